"""Messages: the stored document, the schemas of sending, editing and listing them, and the
view the API shows (a stored message has `_id` and ObjectIds; its view `id` and strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, NotRequired, TypedDict

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hypee.fields import INT64_MAX, ObjectIdField, Text, UtcDateTime
from hypee.paging import PageQuerySchema

MAX_BODY = 4000
MAX_ATTACHMENTS = 10


class AttachmentView(TypedDict):
    id: str
    filename: str
    content_type: str
    size: int
    url: str


class MessageDocument(TypedDict):
    """A message as stored in `messages` (`seq`, `rev` and `conversation_id` are set when it
    is stored; a conversation's inbox summary holds the same fields but those three)."""

    _id: ObjectId
    conversation_id: NotRequired[ObjectId]
    seq: NotRequired[int]
    rev: NotRequired[int]
    kind: str  # "user" or "system"
    event: dict[str, Any] | None
    sender_id: ObjectId
    body: str
    attachments: list[AttachmentView]
    client_id: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: NotRequired[bool]  # hidden by a moderator: the body is kept for the audit


class MessageView(TypedDict):
    """A message as the API shows it (MessageSchema)."""

    id: str
    conversation_id: str
    seq: int
    rev: int
    kind: str
    event: dict[str, Any] | None
    sender_id: str
    body: str
    attachments: list[AttachmentView]
    client_id: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: bool
    from_blocked: NotRequired[bool]


class AttachmentSchema(Schema):
    id = ObjectIdField(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "/api/attachments/{id}"})


class MessageSchema(Schema):
    id = ObjectIdField(required=True)
    conversation_id = ObjectIdField(required=True)
    seq = fields.Integer(required=True)
    rev = fields.Integer(
        required=True,
        metadata={
            "description": "The conversation's change counter at this message's last "
            "change (stored, edited or deleted)."
        },
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["user", "system"]),
        metadata={
            "description": "`system`: a change of the group, or of the pair's mentorship or "
            "sessions, described by `event`."
        },
    )
    event = fields.Dict(
        required=True,
        allow_none=True,
        metadata={
            "description": "System messages: {type: members_added | member_left | "
            "member_removed | renamed, user_ids?, title?}, {type: mentorship_accepted, "
            "mentorship_id} or {type: session_booked | session_rescheduled | "
            "session_cancelled, session_id, mentorship_id, start, minutes, meeting_url}; "
            "null otherwise."
        },
    )
    sender_id = ObjectIdField(required=True)
    body = fields.String(required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    client_id = fields.String(required=True)
    created_at = UtcDateTime(required=True)
    edited_at = UtcDateTime(required=True, allow_none=True)
    deleted = fields.Boolean(required=True)
    hidden = fields.Boolean(
        required=True,
        metadata={
            "description": "Removed by a moderator: the body and attachments are withheld "
            '(shown as "removed by a moderator").'
        },
    )
    from_blocked = fields.Boolean(
        metadata={
            "description": "Present (true) in a group when the reader blocked the sender: "
            "clients fold it."
        },
    )


class NewMessageSchema(Schema):
    """A message to send: POST .../messages/ and the WebSocket `message` frame."""

    client_id = Text(
        max_length=100,
        required=True,
        metadata={
            "description": "Chosen by the client; sending it again returns the same message."
        },
    )
    body = Text(min_length=0, max_length=MAX_BODY, multiline=True, load_default="")
    attachments = fields.List(
        ObjectIdField(),
        load_default=list,
        validate=validate.Length(max=MAX_ATTACHMENTS),
        metadata={"description": "Upload ids (POST /api/uploads/)."},
    )

    json_schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {
                "required": ["body"],
                "properties": {
                    "body": Text(max_length=MAX_BODY, multiline=True).json_schema(),
                },
            },
            {"required": ["attachments"], "properties": {"attachments": {"minItems": 1}}},
        ]
    }

    @validates_schema
    def _body_or_attachments(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("body") and not data.get("attachments"):
            raise ValidationError("Must not be empty (unless the message has attachments).", "body")


class FirstMessageSchema(Schema):
    """The optional first message of a new conversation."""

    client_id = Text(max_length=100, required=True)
    body = Text(max_length=MAX_BODY, multiline=True, required=True)


class EditMessageSchema(Schema):
    body = Text(max_length=MAX_BODY, multiline=True, required=True)


class HistoryQuerySchema(PageQuerySchema):
    before = fields.Integer(
        validate=validate.Range(1, INT64_MAX),
        metadata={
            "description": "Messages with a lower seq (paging back through history); with "
            "`after`, the end (excluded) of the range `after` pages through."
        },
    )
    after = fields.Integer(
        validate=validate.Range(0, INT64_MAX),
        metadata={"description": "Messages with a higher seq (catching up)."},
    )


class ChangesQuerySchema(PageQuerySchema):
    after_rev = fields.Integer(
        load_default=0,
        validate=validate.Range(0, INT64_MAX),
        metadata={"description": "The conversation `rev` the client is up to date with."},
    )


def message_view(conversation_id: ObjectId, message: MessageDocument) -> MessageView:
    """A stored message (or a conversation's summary of one, given its seq and rev) as the API
    shows it (MessageSchema). A hidden message's body and attachments never leave."""
    if message.get("hidden"):
        return {
            **_view(conversation_id, message),
            "body": "",
            "attachments": [],
            "hidden": True,
        }
    return _view(conversation_id, message)


def _view(conversation_id: ObjectId, message: MessageDocument) -> MessageView:
    return {
        "id": str(message["_id"]),
        "conversation_id": str(conversation_id),
        "seq": message.get("seq", 0),
        "rev": message.get("rev", 0),
        "kind": message.get("kind", "user"),
        "event": message.get("event"),
        "sender_id": str(message["sender_id"]),
        "body": message["body"],
        "attachments": message.get("attachments", []),
        "client_id": message["client_id"],
        "created_at": message["created_at"],
        "edited_at": message.get("edited_at"),
        "deleted": message.get("deleted", False),
        "hidden": False,
    }
