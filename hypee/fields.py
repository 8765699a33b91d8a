"""Marshmallow fields shared by the schemas: strict types, trimmed text, ids and UTC datetimes."""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from marshmallow import ValidationError, fields

from hypee.ids import parse_object_id
from hypee.jsonio import format_datetime

# Control characters other than tab and newlines are refused in every text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]")


class Text(fields.String):
    """A string trimmed of surrounding spaces, with a length checked after trimming.

    `multiline=False` also refuses tabs and line breaks (names, titles, headlines).
    """

    def __init__(
        self,
        *,
        min_length: int = 1,
        max_length: int,
        multiline: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.min_length = min_length
        self.max_length = max_length
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("Not a valid string.")
        text = value.strip()
        if _CONTROL.search(text) or (not self.multiline and _LINE_BREAKS.search(text)):
            raise ValidationError("Contains characters that are not allowed.")
        if len(text) < self.min_length:
            raise ValidationError(
                "Must not be empty."
                if self.min_length == 1
                else f"Must be at least {self.min_length} characters."
            )
        if len(text) > self.max_length:
            raise ValidationError(f"Must be at most {self.max_length} characters.")
        return text


class StrictBoolean(fields.Boolean):
    """A JSON true or false, nothing else (no 1, "yes" or "true")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


class StrictInteger(fields.Integer):
    """A JSON integer (no floats, strings or booleans)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)


class ObjectIdField(fields.Field):
    """An id: a 24-character hex string in JSON, an ObjectId in MongoDB."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> ObjectId:
        parsed = parse_object_id(value)
        if parsed is None:
            raise ValidationError("Not a valid id.")
        return parsed


class UtcDateTime(fields.Field):
    """An ISO 8601 UTC timestamp with a Z, e.g. 2026-11-27T10:07:58.123Z (output only)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format_datetime(value)
