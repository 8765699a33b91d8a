"""Every WebSocket frame of the API, as a schema: the one definition of the frame protocol.

`CLIENT_FRAMES` are what a client sends (handlers/frames.py loads them with these schemas);
`SERVER_FRAMES` what the server sends. Both go into the OpenAPI document as components
(`<Name>Frame`, and the unions `ClientFrame` and `ServerFrame` keyed by `type`), from which the
web app's frame types are generated as its REST types are; docs/api.md's frame tables are
generated from them too (`frame_tables`), and the suite checks every frame a test receives
against `ServerFrame`. A frame added here and nowhere else fails those checks until the app's
types and the reference are regenerated (`make api-types`).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from hypee.errors import STATUS_CODES
from hypee.fields import ObjectIdField, StrictInteger
from models.answers import AnswerSchema
from models.conversations import ConversationSchema
from models.message_schemas import MessageSchema, NewMessageSchema
from models.notifications import NotificationSchema
from models.questions import QuestionSchema
from models.users import PrivateUserSchema

MAX_RESUME_CONVERSATIONS = 1000


def _kind(name: str, description: str) -> fields.Field[Any]:
    return fields.String(
        required=True,
        validate=validate.OneOf([name]),
        metadata={"enum": [name], "description": description},
    )


def _id(description: str) -> fields.Field[Any]:
    return ObjectIdField(required=True, metadata={"description": description})


# -- client -> server ------------------------------------------------------------------------


class ConversationFrameSchema(Schema):
    conversation_id = ObjectIdField(required=True)


class MessageFrameSchema(NewMessageSchema, ConversationFrameSchema):
    pass


class ReadFrameSchema(ConversationFrameSchema):
    seq = StrictInteger(required=True, validate=validate.Range(min=0))


class WatchFrameSchema(Schema):
    question_id = ObjectIdField(required=True)


class ResumeFrameSchema(Schema):
    cursors = fields.Dict(
        keys=fields.String(),
        values=StrictInteger(validate=validate.Range(min=0)),
        required=True,
        validate=validate.Length(max=MAX_RESUME_CONVERSATIONS),
        metadata={"description": "{conversation_id: the last seq held}"},
    )
    revs = fields.Dict(
        keys=fields.String(),
        values=StrictInteger(validate=validate.Range(min=0)),
        load_default=dict,
        validate=validate.Length(max=MAX_RESUME_CONVERSATIONS),
        metadata={"description": "{conversation_id: the last rev applied} (optional)"},
    )


class AuthFrameSchema(Schema):
    token = fields.String(required=True, metadata={"description": "An access token."})


class EmptyFrameSchema(Schema):
    pass


# Each client frame: (its schema, without `type`; what it does).
CLIENT_FRAMES: dict[str, tuple[type[Schema], str]] = {
    "auth": (AuthFrameSchema, "The first frame, within 10 s: who is on this socket."),
    "message": (MessageFrameSchema, "Send a message (answered `ack`)."),
    "resume": (ResumeFrameSchema, "Catch up after a reconnection (answered `resumed`)."),
    "typing": (ConversationFrameSchema, "The user is typing in a conversation."),
    "read": (ReadFrameSchema, "The user read a conversation up to `seq`."),
    "watch": (WatchFrameSchema, "Be told of changes on a question page (`watching`)."),
    "unwatch": (WatchFrameSchema, "Stop being told of a question's changes."),
    "ping": (EmptyFrameSchema, "Keep-alive (answered `pong`)."),
}


# -- server -> client ------------------------------------------------------------------------


class ReadyFrameSchema(Schema):
    user = fields.Nested(PrivateUserSchema, required=True)


class AckFrameSchema(Schema):
    client_id = fields.String(required=True)
    message = fields.Nested(MessageSchema, required=True)


class MessageEventSchema(Schema):
    message = fields.Nested(MessageSchema, required=True)


class ConversationRefSchema(Schema):
    conversation_id = _id("The conversation.")


class GapFrameSchema(ConversationRefSchema):
    after = StrictInteger(required=True, metadata={"description": "Page the rest over REST."})


class ReadEventSchema(ConversationRefSchema):
    user_id = _id("Who read.")
    seq = StrictInteger(required=True)


class TypingEventSchema(ConversationRefSchema):
    user_id = _id("Who is typing.")


class PresenceEventSchema(Schema):
    user_id = _id("Someone who shares a conversation with the user.")
    online = fields.Boolean(required=True)


class NotificationEventSchema(Schema):
    notification = fields.Nested(NotificationSchema, required=True)


class ConversationEventSchema(Schema):
    conversation = fields.Nested(ConversationSchema, required=True)


class QuestionRefSchema(Schema):
    question_id = _id("The question.")


class QuestionEventSchema(Schema):
    question = fields.Nested(QuestionSchema, required=True)


class AnswerEventSchema(Schema):
    answer = fields.Nested(AnswerSchema, required=True)


class AnswerDeletedSchema(QuestionRefSchema):
    answer_id = _id("The answer deleted.")


class ErrorFrameSchema(Schema):
    code = fields.String(required=True, metadata={"enum": sorted(STATUS_CODES)})
    message = fields.String(required=True)
    ref = fields.String(
        required=True, allow_none=True, metadata={"description": "The frame's client_id."}
    )
    fields_ = fields.Dict(data_key="fields", metadata={"description": "Per-field problems."})
    retry_after = fields.Integer(metadata={"description": "Seconds (rate_limited, busy)."})


SERVER_FRAMES: dict[str, tuple[type[Schema], str]] = {
    "ready": (ReadyFrameSchema, "Authenticated: who the socket belongs to."),
    "ack": (AckFrameSchema, "The sender's message is stored (committed)."),
    "message": (MessageEventSchema, "A new message in one of the user's conversations."),
    "message_updated": (MessageEventSchema, "A message was edited or deleted."),
    "gap": (GapFrameSchema, "More than 500 to catch up: the rest over REST."),
    "stale": (ConversationRefSchema, "Fetch this conversation anew."),
    "resumed": (EmptyFrameSchema, "The catch-up is over."),
    "resync": (EmptyFrameSchema, "Live delivery may have skipped events: resume."),
    "read": (ReadEventSchema, "A participant's read marker moved."),
    "typing": (TypingEventSchema, "A participant is typing."),
    "presence": (PresenceEventSchema, "Someone came online or left."),
    "notification": (NotificationEventSchema, "A new notification."),
    "conversation": (ConversationEventSchema, "A conversation that now includes the user."),
    "watching": (QuestionRefSchema, "Changes on this question will be told."),
    "question_updated": (QuestionEventSchema, "A watched question changed."),
    "answer": (AnswerEventSchema, "A new answer to a watched question."),
    "answer_updated": (AnswerEventSchema, "An answer changed (edit, votes, acceptance)."),
    "answer_deleted": (AnswerDeletedSchema, "An answer was deleted."),
    "question_deleted": (QuestionRefSchema, "A watched question was deleted."),
    "error": (ErrorFrameSchema, "A frame was refused (the socket stays open)."),
    "pong": (EmptyFrameSchema, "The answer to `ping`."),
}


def component_name(kind: str, direction: str) -> str:
    """The OpenAPI component of a frame: `MessageServerFrame`, `ResumeClientFrame`."""
    return "".join(part.title() for part in kind.split("_")) + f"{direction.title()}Frame"


def frame_components(as_json_schema: Any) -> dict[str, dict[str, Any]]:
    """The OpenAPI components of every frame and of the two unions: {name: JSON Schema}.
    `as_json_schema(schema_class)` gives a schema's JSON Schema (nested schemas referenced)."""
    components: dict[str, dict[str, Any]] = {}
    for direction, frames in (("client", CLIENT_FRAMES), ("server", SERVER_FRAMES)):
        mapping = {}  # {type: the frame's component}
        for kind, (schema, description) in frames.items():
            name = component_name(kind, direction)
            body = as_json_schema(schema)
            components[name] = {
                **body,
                "description": description,
                "properties": {
                    "type": {"type": "string", "enum": [kind]},
                    **body.get("properties", {}),
                },
                "required": ["type", *body.get("required", [])],
            }
            mapping[kind] = f"#/components/schemas/{name}"
        components[f"{direction.title()}Frame"] = {
            "oneOf": [{"$ref": ref} for ref in mapping.values()],
            "discriminator": {"propertyName": "type", "mapping": mapping},
        }
    return components


def frame_tables() -> str:
    """docs/api.md's frame reference (between its `frames` markers), from the schemas."""
    lines = []
    for title, frames in (
        ("Client → server", CLIENT_FRAMES),
        ("Server → client", SERVER_FRAMES),
    ):
        lines += [f"**{title}**", "", "| type | fields | what it is |", "|---|---|---|"]
        for kind, (schema, description) in frames.items():
            declared = schema().fields.values()
            names = [
                f"`{field.data_key or field.name}`" + ("" if field.required else "?")
                for field in declared
            ]
            lines.append(f"| `{kind}` | {', '.join(names) or '—'} | {description} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
