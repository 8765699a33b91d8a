"""MongoDB update documents applied in Python: $set $unset $inc $max $min $push (with $each and
$slice) $pull $addToSet and, on insert, $setOnInsert. Anything else raises Unsupported."""

from __future__ import annotations

from typing import Any

from hypee.dbapi import Filter
from hypee.embedded.keys import Unsupported
from hypee.embedded.matching import compare, compile_filter, equal, is_operator_dict
from hypee.embedded.paths import MISSING, get_path, set_path, unset_path


def apply(
    document: dict[str, Any],
    update: dict[str, Any] | list[dict[str, Any]],
    *,
    inserting: bool = False,
) -> None:
    """Apply `update` to `document` in place (callers compare encodings to see a change).

    A list is an update pipeline: `$set` (or `$addFields`) and `$unset` stages whose values
    are expressions: "$field.path", {"$add": [...]}, {"$literal": value}, or constants.
    """
    if isinstance(update, list):
        for stage in update:
            _stage(document, stage)
        return
    if not update or not all(op.startswith("$") for op in update):
        raise Unsupported("an update needs operators such as $set (replacing is not supported)")
    for op, fields in update.items():
        if op == "$setOnInsert":
            if inserting:
                for path, value in fields.items():
                    _set(document, path, value)
            continue
        action = _ACTIONS.get(op)
        if action is None:
            raise Unsupported(f"update operator {op}")
        _each(document, fields, action)


def _each(document: dict[str, Any], fields: dict[str, Any], action: Any) -> None:
    for path, value in fields.items():
        if path.split(".")[0] == "_id" and get_path(document, path) != value:
            raise Unsupported("the _id of a document cannot change")
        action(document, path, value)


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    # No copy: the document is encoded right after the update and never kept as objects.
    set_path(document, path, value)


def _unset(document: dict[str, Any], path: str, value: Any) -> None:
    unset_path(document, path)


def _number(value: Any, path: str) -> Any:
    if value is MISSING:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unsupported(f"cannot $inc the non-number at {path}")
    return value


def _inc(document: dict[str, Any], path: str, value: Any) -> None:
    set_path(document, path, _number(get_path(document, path), path) + value)


def _max(document: dict[str, Any], path: str, value: Any) -> None:
    current = get_path(document, path)
    if current is MISSING or (compare(current, value) or 0) < 0:
        set_path(document, path, value)


def _min(document: dict[str, Any], path: str, value: Any) -> None:
    current = get_path(document, path)
    if current is MISSING or (compare(current, value) or 0) > 0:
        set_path(document, path, value)


def _array_at(document: dict[str, Any], path: str) -> list[Any]:
    current = get_path(document, path)
    if current is MISSING:
        current = []
        set_path(document, path, current)
    if not isinstance(current, list):
        raise Unsupported(f"{path} is not an array")
    return current


def _push(document: dict[str, Any], path: str, value: Any) -> None:
    array = _array_at(document, path)
    if is_operator_dict(value) and "$each" in value:
        array += value["$each"]
        if "$slice" in value:
            size = value["$slice"]
            array[:] = array[size:] if size < 0 else array[:size]
    else:
        array.append(value)


def _add_to_set(document: dict[str, Any], path: str, value: Any) -> None:
    array = _array_at(document, path)
    items = value["$each"] if is_operator_dict(value) and "$each" in value else [value]
    for item in items:
        if not any(equal(existing, item) for existing in array):
            array.append(item)


def _pull(document: dict[str, Any], path: str, value: Any) -> None:
    array = get_path(document, path)
    if not isinstance(array, list):
        return
    if isinstance(value, dict):
        test = compile_filter({"v": value}) if is_operator_dict(value) else compile_filter(value)
        keep = [
            item
            for item in array
            if not (test({"v": item}) if is_operator_dict(value) else test(item))
        ]
    else:
        keep = [item for item in array if not equal(item, value)]
    array[:] = keep


_ACTIONS = {
    "$set": _set,
    "$unset": _unset,
    "$inc": _inc,
    "$max": _max,
    "$min": _min,
    "$push": _push,
    "$addToSet": _add_to_set,
    "$pull": _pull,
}


def upsert_base(query: Filter) -> dict[str, Any]:
    """The document an upsert starts from: the equality conditions of its filter (the caller
    gives it an `_id` after the update, unless `$setOnInsert` did)."""
    document: dict[str, Any] = {}
    _equalities(query, document)
    return document


def _equalities(query: Filter, document: dict[str, Any]) -> None:
    for name, value in query.items():
        if name == "$and":
            for part in value:
                _equalities(part, document)
        elif name.startswith("$"):
            continue
        elif is_operator_dict(value):
            if "$eq" in value:
                set_path(document, name, value["$eq"])
        else:
            set_path(document, name, value)


def _stage(document: dict[str, Any], stage: dict[str, Any]) -> None:
    [(name, spec)] = stage.items()
    if name in ("$set", "$addFields"):
        values = {path: evaluate(expression, document) for path, expression in spec.items()}
        for path, value in values.items():
            if path.split(".")[0] == "_id" and get_path(document, path) != value:
                raise Unsupported("the _id of a document cannot change")
            set_path(document, path, value)
    elif name == "$unset":
        for path in [spec] if isinstance(spec, str) else spec:
            unset_path(document, path)
    else:
        raise Unsupported(f"update pipeline stage {name}")


def evaluate(expression: Any, document: dict[str, Any]) -> Any:
    """An aggregation expression's value on `document` (the few forms updates use)."""
    if isinstance(expression, str) and expression.startswith("$"):
        value = get_path(document, expression[1:])
        return None if value is MISSING else value
    if isinstance(expression, dict):
        if len(expression) == 1 and next(iter(expression)).startswith("$"):
            [(op, argument)] = expression.items()
            if op == "$literal":
                return argument
            if op == "$add":
                return sum(_number(evaluate(a, document), op) for a in argument)
            raise Unsupported(f"expression operator {op}")
        return {key: evaluate(value, document) for key, value in expression.items()}
    if isinstance(expression, list):
        return [evaluate(item, document) for item in expression]
    return expression
