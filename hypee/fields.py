"""Marshmallow fields shared by the schemas: strict types, trimmed text, ids and UTC datetimes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bson import ObjectId
from marshmallow import ValidationError, fields

from hypee.ids import parse_object_id
from hypee.jsonio import format_datetime

# Control characters other than tab and newlines are refused in every text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]")

OBJECT_ID_PATTERN = "^[0-9a-fA-F]{24}$"

# What trimming removes: the characters both Python (str.isspace) and JSON Schema's ECMA-262
# `\s` call whitespace. Patterns name them explicitly instead of `\s`, whose meaning differs
# between the two (U+0085 is whitespace to Python only, U+FEFF to ECMA-262 only), so that a
# text the document calls valid is never trimmed to nothing here.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def trim(text: str) -> str:
    """`text` without the WHITESPACE around it."""
    return text.strip(WHITESPACE)


def trimmed_pattern(edge: str, inner: str, min_length: int, max_length: int) -> str:
    """A JSON Schema pattern for text that, once trimmed of whitespace, is `min_length` to
    `max_length` characters, begins and ends with a character of the class `edge` and has
    only characters of the class `inner` (both given without brackets) in between."""
    if max_length == 1:
        core = f"[{edge}]"
    elif min_length <= 1:
        core = f"[{edge}](?:[{inner}]{{0,{max_length - 2}}}[{edge}])?"
    else:
        core = f"[{edge}][{inner}]{{{min_length - 2},{max_length - 2}}}[{edge}]"
    if min_length == 0:
        core = f"(?:{core})?"
    return f"^[{SPACE}]*{core}[{SPACE}]*$"


def any_case_pattern(words: Iterable[str], tail: str = "") -> str:
    """A JSON Schema pattern matching one of `words` in any case, with spaces around and
    then `tail` (ECMA-262 has no case-insensitive flag inside a pattern: each letter is a
    class)."""
    spelled = (
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)
        for word in sorted(words)
    )
    return f"^[{SPACE}]*(?:{'|'.join(spelled)})[{SPACE}]*{tail}$"


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
        text = trim(value)
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

    def json_schema(self, documented: dict[str, Any] | None = None) -> dict[str, Any]:
        """The constraints above, for the OpenAPI document."""
        inner = r"^\x00-\x08\x0b\x0c\x0e-\x1f\x7f" if self.multiline else r"^\x00-\x1f\x7f"
        edge = rf"^{SPACE}\x00-\x1f\x7f"
        pattern = trimmed_pattern(edge, inner, self.min_length, self.max_length)
        return {"pattern": pattern, "minLength": self.min_length}


class StrictBoolean(fields.Boolean):
    """A JSON true or false, nothing else (no 1, "yes" or "true")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class StrictInteger(fields.Integer):
    """A JSON integer that MongoDB can store: a number with no fractional part (5, or 5.0 as
    JSON Schema counts it too) within 64 bits; never a string or a boolean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        number = super()._validated(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise self.make_error("invalid")
        return number

    def json_schema(self, documented: dict[str, Any]) -> dict[str, Any]:
        return {
            "minimum": documented.get("minimum", INT64_MIN),
            "maximum": documented.get("maximum", INT64_MAX),
        }


class ObjectIdField(fields.Field[ObjectId]):
    """An id: a 24-character hex string in JSON, an ObjectId in MongoDB."""

    def json_schema(self, documented: dict[str, Any]) -> dict[str, Any]:
        return {"pattern": OBJECT_ID_PATTERN}

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> ObjectId:
        parsed = parse_object_id(value)
        if parsed is None:
            raise ValidationError("Not a valid id.")
        return parsed


class UtcDateTime(fields.Field[datetime]):
    """An ISO 8601 UTC timestamp with a Z, e.g. 2026-11-27T10:07:58.123Z (output only)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format_datetime(value)
