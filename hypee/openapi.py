"""The OpenAPI 3.1 document, generated from the routes, their handlers' `docs` and the schemas."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from marshmallow import Schema, fields

from hypee.errors import STATUS_CODES
from hypee.fields import OBJECT_ID_PATTERN, ObjectIdField, UtcDateTime
from hypee.routing import Route

API_TITLE = "Hypee API"
API_VERSION = "1.0.0"
_DESCRIPTIONS = {
    400: "The request is not valid (`validation_error` names each bad field, or `invalid_json`).",
    401: "No valid access token (`unauthorized` or `token_expired`).",
    403: "The caller may not do this (`forbidden`).",
    404: "No such resource, or one the caller may not see (`not_found`).",
    405: "Method not allowed on this route.",
    409: "Conflicts with the current state (`conflict`).",
    410: "What the client holds cannot be brought up to date; fetch it anew (`stale`).",
    413: "The body is too large (`payload_too_large`).",
    429: "Too many requests (`rate_limited`); see the Retry-After header.",
    503: "A backing service is unavailable, or the store cannot save writes (`unavailable`); "
    "or the server is shedding load (`busy`, see the Retry-After header).",
    507: "No room left to store the file (`insufficient_storage`).",
}


# Path parameters: ids are ObjectIds, seqs ASCII digits (anything else is 404).
_PATH_PATTERNS = {"seq": "^[0-9]{1,18}$", "key": None}


def _path_parameter(name: str) -> dict[str, Any]:
    pattern = _PATH_PATTERNS.get(name, OBJECT_ID_PATTERN)
    schema = {"type": "string"} if pattern is None else {"type": "string", "pattern": pattern}
    return {"name": name, "in": "path", "required": True, "schema": schema}


class _Converter(OpenAPIConverter):
    """Adds what our fields and schemas enforce beyond what marshmallow tells apispec: a
    field's `json_schema(documented)` constraints, and a schema's `json_schema_rules` (rules across
    fields), so that every request the document calls valid is accepted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_attribute_function(_field_constraints)

    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        result = super().schema2jsonschema(schema)
        return {**result, **getattr(schema, "json_schema_rules", {})}


def _field_constraints(
    self: Any, field: fields.Field[Any], ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """`field.json_schema(documented)`: what the field adds to what apispec documented."""
    describe = getattr(field, "json_schema", None)
    return describe(ret) if callable(describe) else {}


class _Plugin(MarshmallowPlugin):
    Converter = _Converter


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"enum": sorted(STATUS_CODES)})
    message = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        metadata={"description": "Per-field problems (validation_error only)."},
    )
    until = fields.String(
        allow_none=True,
        metadata={
            "description": "`suspended` only: when the suspension ends (UTC), null when it is "
            "for good."
        },
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


@dataclass(frozen=True)
class Operation:
    """How one method of one route is documented.

    `response` is a marshmallow schema, a plain JSON Schema dict for answers that are not
    API objects (metrics text, this document), or None for 204 with no body. `errors` lists
    statuses beyond the ones every operation of its kind gets.
    """

    summary: str
    response: type[Schema] | dict[str, Any] | None = None
    status: int = 200
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    errors: Sequence[int] = ()
    description: str = ""
    content_type: str = "application/json"
    # Other successful answers: {status: JSON Schema of its JSON body, or None: no body}.
    also: Mapping[int, dict[str, Any] | None] = field(default_factory=dict)
    # Header and cookie parameters (OpenAPI Parameter objects), and the success answer's
    # headers ({name: OpenAPI Header object}).
    parameters: Sequence[dict[str, Any]] = ()
    headers: Mapping[str, dict[str, Any]] = field(default_factory=dict)


ExtraComponents = Callable[[Callable[[type[Schema]], dict[str, Any]]], dict[str, Any]]


def build_spec(
    routes: Sequence[Route],
    public_methods_of: Any,
    methods_of: Any,
    extra_components: ExtraComponents | None = None,
) -> dict[str, Any]:
    """The OpenAPI document of `routes`.

    `methods_of(handler)` lists the methods a handler answers and `public_methods_of(handler)`
    those answered without a token; each must have an `Operation` in the handler's `docs`.
    `extra_components(as_json_schema)` adds schemas no route names (the WebSocket frames);
    `as_json_schema(schema_class)` is a marshmallow schema's JSON Schema, the schemas it
    nests registered as components and referenced.
    """
    plugin = _Plugin()
    spec = APISpec(
        title=API_TITLE,
        version=API_VERSION,
        openapi_version="3.1.0",
        plugins=[plugin],
        info={"description": "The HTTP contract of the Hypee server (docs/api.md)."},
        servers=[{"url": "/"}],
    )
    plugin.map_to_openapi_type(ObjectIdField, "string", None)
    plugin.map_to_openapi_type(UtcDateTime, "string", "date-time")
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for status, text in _DESCRIPTIONS.items():
        spec.components.response(
            str(status),
            {"description": text, "content": {"application/json": {"schema": "Error"}}},
        )
    for route in routes:
        operations = {}
        for method in methods_of(route.handler):
            doc: Operation = getattr(route.handler, "docs")[method]  # noqa: B009
            operations[method.lower()] = _operation(
                doc, route, authenticated=method not in public_methods_of(route.handler)
            )
        spec.path(
            path=route.template,
            operations=operations,
            parameters=[_path_parameter(name) for name in route.parameters],
        )
    if extra_components is not None and plugin.converter is not None:
        for name, body in extra_components(plugin.converter.schema2jsonschema).items():
            spec.components.schema(name, body)
    return spec.to_dict()


def _operation(doc: Operation, route: Route, *, authenticated: bool) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": doc.summary, "responses": {}}
    if doc.description:
        operation["description"] = doc.description
    if route.template.startswith("/api/"):
        operation["tags"] = [route.template.split("/")[2]]
    if doc.response is None:
        # No body: 204, or another status given (202: accepted, to be done after the answer).
        empty = 204 if doc.status == 200 else doc.status
        operation["responses"][str(empty)] = {
            "description": "Done; no content." if empty == 204 else "Accepted; no content."
        }
    else:
        operation["responses"][str(doc.status)] = {
            "description": doc.summary,
            "content": {doc.content_type: {"schema": doc.response}},
        }
    if doc.headers:
        empty_status = 204 if doc.status == 200 else doc.status
        operation["responses"][str(doc.status if doc.response else empty_status)]["headers"] = dict(
            doc.headers
        )
    for status, schema in doc.also.items():
        answer: dict[str, Any] = {"description": doc.summary}
        if schema is not None:
            answer["content"] = {"application/json": {"schema": schema}}
        else:
            answer["description"] = "Not modified: the client's copy is current; no content."
        operation["responses"][str(status)] = answer
    if doc.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": doc.body}},
        }
    parameters: list[dict[str, Any]] = list(doc.parameters)
    if doc.query is not None:
        parameters.insert(0, {"in": "query", "schema": doc.query})
    if parameters:
        operation["parameters"] = parameters
    statuses = set(doc.errors)
    if doc.body is not None or doc.query is not None:
        statuses.add(400)
    if doc.body is not None:
        statuses.add(413)
    if route.parameters:
        statuses.add(404)
    if authenticated:
        statuses.add(401)
        operation["security"] = [{"bearer": []}]
    elif route.template.startswith("/api/"):
        operation["security"] = [{}]
    for status in sorted(statuses):
        operation["responses"][str(status)] = {"$ref": f"#/components/responses/{status}"}
    return operation
