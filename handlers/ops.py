"""Operations: liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields

from handlers.base import BaseHandler
from hypee.openapi import Operation


class HealthSchema(Schema):
    status = fields.String(required=True)


class ReadinessSchema(Schema):
    store = fields.String(
        required=True,
        metadata={
            "description": 'The document store: "ok", "down", or "read-only: <reason>" when '
            "the embedded database cannot commit writes (a full disk, say)."
        },
    )
    storage = fields.String(required=True, metadata={"enum": ["ok", "down", "disabled"]})
    redis = fields.String(required=True, metadata={"enum": ["ok", "down", "disabled"]})
    mail = fields.String(
        required=True,
        metadata={
            "enum": ["ok", "failing", "disabled"],
            "description": "failing: the last email could not be handed over (it is retried); "
            "disabled: no HYPEE_SMTP_URL in production. Never makes the answer 503.",
        },
    )


class OpsHandler(BaseHandler):
    public_methods = frozenset({"GET"})


class HealthzHandler(OpsHandler):
    docs = {"GET": Operation("The process is alive", response=HealthSchema)}

    def get(self) -> None:
        self.write_json({"status": "ok"})


class ReadyzHandler(OpsHandler):
    docs = {
        "GET": Operation(
            "Whether this process can serve traffic",
            response=ReadinessSchema,
            errors=(503,),
            description="200 while the document store answers and accepts writes, 503 when it "
            "does not. The body always lists every component, so a Redis or storage outage shows "
            "without failing the check.",
        )
    }

    async def get(self) -> None:
        components = await self.services.health.check_all()
        self.write_json(components, 200 if components.get("store") == "ok" else 503)


class MetricsHandler(OpsHandler):
    docs = {
        "GET": Operation(
            "Prometheus metrics",
            response={"type": "string"},
            content_type="text/plain; version=0.0.4",
        )
    }

    def get(self) -> None:
        self.set_header("Content-Type", self.services.metrics.content_type)
        self.finish(self.services.metrics.render())


class OpenApiHandler(OpsHandler):
    docs = {"GET": Operation("This OpenAPI 3.1 document", response={"type": "object"})}

    def get(self) -> None:
        self.write_json(self.application.settings["openapi"]())
