"""Order-preserving keys: any BSON value as bytes that compare (memcmp) the way MongoDB orders
values, so SQLite's BLOB comparison sorts and ranges index keys like MongoDB would.

Type order: null (and missing) < numbers < strings < objects < arrays < binary < ObjectId
< booleans < dates. Numbers of any Python type compare by value.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
from bson import ObjectId

NULL = 0x05
EMPTY_ARRAY = 0x06
NUMBER = 0x10
STRING = 0x20
OBJECT = 0x30
ARRAY = 0x38
BINARY = 0x40
OBJECT_ID = 0x50
BOOLEAN = 0x60
DATE = 0x70
_DOUBLE = struct.Struct(">d")
_UINT64 = struct.Struct(">Q")
_SIGN = 1 << 63
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


class Unsupported(TypeError):
    """A value the embedded engine cannot index or compare."""


def _number(value: float) -> bytes:
    if math.isnan(value):
        return bytes([NUMBER])  # NaN sorts below every other number, as in MongoDB
    raw = bytearray(_DOUBLE.pack(value))
    if raw[0] & 0x80:
        raw = bytearray(b ^ 0xFF for b in raw)
    else:
        raw[0] |= 0x80
    return bytes([NUMBER]) + bytes(raw)


def epoch_ms(value: datetime) -> int:
    """Milliseconds since 1970 of a datetime (naive ones are UTC, as PyMongo returns them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MILLISECOND


def encode(value: Any) -> bytes:
    """The key of one value."""
    exact = _BY_TYPE.get(type(value))  # None and bool (no subclasses) always end here
    if exact is not None:
        return exact(value)
    if isinstance(value, int | float):
        return _number(float(value))
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, ObjectId):
        return _object_id(value)
    if isinstance(value, datetime):
        return _date(value)
    if isinstance(value, dict):
        return bytes([OBJECT]) + bson.encode(value)
    if isinstance(value, list | tuple):
        if not value:
            return bytes([EMPTY_ARRAY])
        return bytes([ARRAY]) + b"".join(encode(item) for item in value)
    if isinstance(value, bytes):
        return bytes([BINARY]) + value
    raise Unsupported(f"cannot index a {type(value).__name__}")


_NULL_KEY = bytes([NULL])
_TRUE_KEY = bytes([BOOLEAN, 1])
_FALSE_KEY = bytes([BOOLEAN, 0])
_STRING_TAG = bytes([STRING])
_OBJECT_ID_TAG = bytes([OBJECT_ID])
_DATE_TAG = bytes([DATE])


def _string(value: str) -> bytes:
    return _STRING_TAG + value.encode("utf-8", "surrogatepass")


def _object_id(value: ObjectId) -> bytes:
    return _OBJECT_ID_TAG + value.binary


def _date(value: datetime) -> bytes:
    return _DATE_TAG + _UINT64.pack(epoch_ms(value) + _SIGN)


# The common types by exact type (subclasses take the isinstance path above).
_BY_TYPE: dict[type, Callable[[Any], bytes]] = {
    ObjectId: _object_id,
    str: _string,
    datetime: _date,
    int: lambda value: _number(float(value)),
    float: _number,
    bool: lambda value: _TRUE_KEY if value else _FALSE_KEY,
    type(None): lambda value: _NULL_KEY,
}


def type_of(key: bytes) -> int:
    """The type tag of a key (numbers share one tag, whatever their Python type)."""
    return key[0]


def type_end(key: bytes) -> bytes:
    """A key above every key of `key`'s type and below the next type."""
    return bytes([key[0] + 1])


def type_start(key: bytes) -> bytes:
    """The lowest key of `key`'s type."""
    return bytes([key[0]])
