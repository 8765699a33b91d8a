"""Order-preserving keys: any BSON value as bytes that compare (memcmp) the way MongoDB orders
values, so SQLite's BLOB comparison sorts and ranges index keys like MongoDB would.

Type order: null (and missing) < numbers < strings < objects < arrays < binary < ObjectId
< booleans < dates. Numbers of any Python type compare by value.
"""

from __future__ import annotations

import math
import struct
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
    if value is None:
        return bytes([NULL])
    if value is True or value is False:
        return bytes([BOOLEAN, 1 if value else 0])
    if isinstance(value, int | float):
        return _number(float(value))
    if isinstance(value, str):
        return bytes([STRING]) + value.encode("utf-8", "surrogatepass")
    if isinstance(value, ObjectId):
        return bytes([OBJECT_ID]) + value.binary
    if isinstance(value, datetime):
        return bytes([DATE]) + _UINT64.pack(epoch_ms(value) + _SIGN)
    if isinstance(value, dict):
        return bytes([OBJECT]) + bson.encode(value)
    if isinstance(value, list | tuple):
        if not value:
            return bytes([EMPTY_ARRAY])
        return bytes([ARRAY]) + b"".join(encode(item) for item in value)
    if isinstance(value, bytes):
        return bytes([BINARY]) + value
    raise Unsupported(f"cannot index a {type(value).__name__}")


def type_of(key: bytes) -> int:
    """The type tag of a key (numbers share one tag, whatever their Python type)."""
    return key[0]


def type_end(key: bytes) -> bytes:
    """A key above every key of `key`'s type and below the next type."""
    return bytes([key[0] + 1])


def type_start(key: bytes) -> bytes:
    """The lowest key of `key`'s type."""
    return bytes([key[0]])
