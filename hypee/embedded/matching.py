"""MongoDB query filters evaluated in Python, on the candidates an index selected.

`compile_filter` turns a filter into a predicate once per query. Supported: equality (with
MongoDB's array and null rules), $eq $ne $gt $gte $lt $lte $in $nin $all $exists $regex
$options $elemMatch $not $size, and $and $or $nor. Anything else raises Unsupported, so a
query the engine does not understand fails loudly instead of matching wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hypee.dbapi import Filter
from hypee.embedded.keys import Unsupported, encode, type_of
from hypee.embedded.paths import MISSING, leaf_values, values_at

Predicate = Callable[[Any], bool]


def equal(stored: Any, wanted: Any) -> bool:
    """MongoDB equality of one stored value with a query value (None matches missing)."""
    if wanted is None:
        return stored is None or stored is MISSING
    if stored is MISSING or stored is None:
        return False
    if isinstance(stored, bool) or isinstance(wanted, bool):
        return type(stored) is type(wanted) and bool(stored == wanted)
    if isinstance(stored, datetime) and isinstance(wanted, datetime):
        return encode(stored) == encode(wanted)
    return bool(stored == wanted)


def compare(stored: Any, bound: Any) -> int | None:
    """-1, 0 or 1 comparing values of the same type bracket; None across brackets."""
    if stored is MISSING:
        stored = None
    key, other = encode(stored), encode(bound)
    if type_of(key) != type_of(other):
        return None
    return (key > other) - (key < other)


def compile_filter(query: Filter | None) -> Predicate:
    """A predicate on documents for a MongoDB filter."""
    if not query:
        return lambda document: True
    tests = [_clause(name, value) for name, value in query.items()]
    if len(tests) == 1:
        return tests[0]
    return lambda document: all(test(document) for test in tests)


def _clause(name: str, value: Any) -> Predicate:
    if name == "$and":
        parts = [compile_filter(part) for part in value]
        return lambda document: all(part(document) for part in parts)
    if name == "$or":
        parts = [compile_filter(part) for part in value]
        return lambda document: any(part(document) for part in parts)
    if name == "$nor":
        parts = [compile_filter(part) for part in value]
        return lambda document: not any(part(document) for part in parts)
    if name.startswith("$"):
        raise Unsupported(f"query operator {name}")
    if is_operator_dict(value):
        test = _operators(name, value)
        return test
    return lambda document: (
        any(equal(v, value) for v in leaf_values(document, name))
        or (isinstance(value, list) and any(v == value for v in values_at(document, name)))
    )


def is_operator_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k.startswith("$") for k in value)


def _operators(path: str, spec: dict[str, Any]) -> Predicate:
    tests = [_operator(path, op, arg, spec) for op, arg in spec.items() if op != "$options"]
    if len(tests) == 1:
        return tests[0]
    return lambda document: all(test(document) for test in tests)


def _operator(path: str, op: str, arg: Any, spec: dict[str, Any]) -> Predicate:
    if op == "$eq":
        return _clause(path, arg)
    if op == "$ne":
        same = _clause(path, arg)
        return lambda document: not same(document)
    if op in _ORDER:
        wanted = _ORDER[op]
        return lambda document: any(
            (c := compare(v, arg)) is not None and c in wanted
            for v in leaf_values(document, path)
            if v is not MISSING or arg is None
        )
    if op == "$in":
        options = list(arg)
        return lambda document: any(
            equal(v, option) for v in leaf_values(document, path) for option in options
        )
    if op == "$nin":
        inside = _operator(path, "$in", arg, spec)
        return lambda document: not inside(document)
    if op == "$all":
        each = [_clause(path, item) for item in arg]
        return lambda document: bool(each) and all(test(document) for test in each)
    if op == "$exists":
        want = bool(arg)
        return lambda document: (values_at(document, path) != [MISSING]) == want
    if op == "$regex":
        pattern = re.compile(arg, _flags(spec.get("$options", ""))) if isinstance(arg, str) else arg
        return lambda document: any(
            isinstance(v, str) and pattern.search(v) for v in leaf_values(document, path)
        )
    if op == "$elemMatch":
        return _elem_match(path, arg)
    if op == "$not":
        inner = _operators(path, arg)
        return lambda document: not inner(document)
    if op == "$size":
        return lambda document: any(
            isinstance(v, list) and len(v) == arg for v in values_at(document, path)
        )
    raise Unsupported(f"query operator {op}")


_ORDER = {"$gt": (1,), "$gte": (0, 1), "$lt": (-1,), "$lte": (-1, 0)}


def _flags(options: str) -> int:
    flags = 0
    for letter, flag in (("i", re.I), ("m", re.M), ("s", re.S), ("x", re.X)):
        if letter in options:
            flags |= flag
    return flags


def _elem_match(path: str, spec: dict[str, Any]) -> Predicate:
    on_element: Predicate
    if is_operator_dict(spec):
        element_test = _operators("v", spec)
        on_element = lambda item: element_test({"v": item})  # noqa: E731
    else:
        on_element = compile_filter(spec)

    return lambda document: any(
        isinstance(v, list) and any(on_element(item) for item in v)
        for v in values_at(document, path)
    )
