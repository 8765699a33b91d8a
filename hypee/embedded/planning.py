"""Query plans: which index answers a filter and a sort, as one SQL query over its key table.

The filter's top-level conditions (after flattening `$and`) give bounds per field: an
equality, an `$in`, a range (`$gt`/`$gte`/`$lt`/`$lte`, type-bracketed as in MongoDB) or an
anchored regex prefix. An index is usable for the longest run of its leading fields with
bounds (a sparse index needs one that excludes null; a partial index needs its filter among
the query's conditions), and also, unbounded, to walk a sort in order. The plan with the most
bounded fields wins, then the one that yields the sort's order (so a limit stops early). The
whole filter is still evaluated on every candidate: bounds only narrow.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from hypee.dbapi import Filter
from hypee.embedded.indexes import IndexSpec, filter_paths
from hypee.embedded.keys import NULL, encode, type_end, type_of, type_start
from hypee.embedded.matching import is_operator_dict

Sort = list[tuple[str, int]]
_LITERAL_PREFIX = re.compile(r"^\^((?:[^\\.^$|?*+()\[\]{}]|\\[^A-Za-z0-9])*)")
_RANGE_OPS = ("$gt", "$gte", "$lt", "$lte")


@dataclass
class Bound:
    """What one field's condition lets an index select."""

    kind: str  # "eq", "in" or "range"
    keys: list[bytes] = field(default_factory=list)  # eq / in
    low: bytes | None = None
    low_inclusive: bool = True
    high: bytes | None = None
    high_inclusive: bool = False
    exact: bool = False  # the index bound alone decides the condition

    @property
    def excludes_null(self) -> bool:
        if self.kind in ("eq", "in"):
            return all(type_of(key) != NULL for key in self.keys)
        return self.low is not None and type_of(self.low) != NULL


@dataclass
class Plan:
    """How to find the candidates of a query: SQL returning (rid, doc) rows."""

    sql: str
    params: list[Any]
    ordered: bool  # rows come in the requested sort order
    exact: bool  # the bounds decide the whole filter (a count needs no documents)
    index: IndexSpec | None
    count_sql: str = ""
    scans: bool = False  # reads the whole collection
    # The fields whose bounds give `params`, in order (a cached plan takes new values so).
    param_paths: tuple[str, ...] = ()


def conjuncts(query: Filter | None) -> list[tuple[str, Any]]:
    """The top-level conditions of a filter, `$and` flattened."""
    found: list[tuple[str, Any]] = []
    for name, value in (query or {}).items():
        if name == "$and":
            for part in value:
                found += conjuncts(part)
        else:
            found.append((name, value))
    return found


def _bound(value: Any) -> Bound | None:
    """The bound one condition gives, or None when an index cannot use it."""
    if not is_operator_dict(value):
        if isinstance(value, dict | list):
            return None
        return Bound("eq", [encode(value)], exact=value is not None)
    if "$eq" in value and len(value) == 1:
        return _bound(value["$eq"]) if not is_operator_dict(value["$eq"]) else None
    if "$in" in value and len(value) == 1:
        options = value["$in"]
        if any(isinstance(o, dict | list) or hasattr(o, "pattern") for o in options):
            return None
        return Bound("in", sorted({encode(o) for o in options}), exact=None not in options)
    if set(value) <= set(_RANGE_OPS):
        return _range(value)
    if (
        "$regex" in value
        and isinstance(value["$regex"], str)
        and "i" not in value.get("$options", "")
    ):
        match = _LITERAL_PREFIX.match(value["$regex"])
        if match and match.group(1):
            prefix = re.sub(r"\\(.)", r"\1", match.group(1))
            key = encode(prefix)
            exact = match.group(0) == value["$regex"] and set(value) <= {"$regex", "$options"}
            return Bound("range", low=key, high=key + b"\xff", exact=exact)
    if "$all" in value and value["$all"] and not isinstance(value["$all"][0], dict):
        return Bound("eq", [encode(value["$all"][0])])
    return None


def _range(spec: dict[str, Any]) -> Bound:
    # One side decides the condition alone; two sides are checked on the documents too (in
    # an array, MongoDB lets different elements meet each side).
    bound = Bound("range", exact=len(spec) == 1)
    for op, argument in spec.items():
        key = encode(argument)
        if op in ("$gt", "$gte"):
            bound.low, bound.low_inclusive = key, op == "$gte"
            bound.high = bound.high or type_end(key)
        else:
            bound.high, bound.high_inclusive = key, op == "$lte"
            if bound.low is None:
                bound.low = type_start(key)
    return bound


def field_bounds(query: Filter | None) -> tuple[dict[str, Bound], list[tuple[str, Any]]]:
    """(the bound of each field, the conditions that no bound decides exactly)."""
    bounds: dict[str, Bound] = {}
    loose: list[tuple[str, Any]] = []
    for name, value in conjuncts(query):
        bound = None if name.startswith("$") else _bound(value)
        if bound is None or name in bounds:
            loose.append((name, value))
            continue
        bounds[name] = bound
        if not bound.exact:
            loose.append((name, value))
    return bounds, loose


def _implies(query_parts: list[tuple[str, Any]], partial: dict[str, Any]) -> bool:
    return all(part in query_parts for part in conjuncts(partial))


@dataclass
class _Candidate:
    index: IndexSpec
    where: list[str]
    params: list[Any]
    bounded: int
    order: list[str] | None  # ORDER BY terms, when the index yields the sort
    exact: bool

    def score(self) -> tuple[int, int, int]:
        return (self.bounded, 1 if self.order is not None else 0, -len(self.index.fields))


def _sql_bound(column: str, bound: Bound, where: list[str], params: list[Any]) -> None:
    if bound.kind == "eq":
        where.append(f"{column} = ?")
    elif bound.kind == "in":
        where.append(f"{column} IN ({', '.join('?' * len(bound.keys))})")
    else:
        if bound.low is not None:
            where.append(f"{column} {'>=' if bound.low_inclusive else '>'} ?")
        if bound.high is not None:
            where.append(f"{column} {'<=' if bound.high_inclusive else '<'} ?")
    _bound_params(bound, params)


def _bound_params(bound: Bound, params: list[Any]) -> None:
    """The parameters of `bound`'s SQL conditions (see `_sql_bound`), in order."""
    if bound.kind == "eq":
        params.append(bound.keys[0])
    elif bound.kind == "in":
        params += bound.keys
    else:
        if bound.low is not None:
            params.append(bound.low)
        if bound.high is not None:
            params.append(bound.high)


def _order(index: IndexSpec, fixed: int, sort: Sort, columns: list[str]) -> list[str] | None:
    """ORDER BY terms walking `index` after its `fixed` equality fields in `sort`'s order."""
    if not sort:
        return []
    rest = index.fields[fixed:]
    if len(sort) > len(rest):
        return None
    pairs = list(zip(sort, rest, strict=False))
    if any(s_path != i_path for (s_path, _), (i_path, _) in pairs):
        return None
    same = all(s_dir == i_dir for (_, s_dir), (_, i_dir) in pairs)
    reverse = all(s_dir == -i_dir for (_, s_dir), (_, i_dir) in pairs)
    if not (same or reverse):
        return None
    return [
        f"{columns[fixed + i]} {'ASC' if s_dir > 0 else 'DESC'}"
        for i, (_, s_dir) in enumerate(sort)
    ]


def _candidate(
    index: IndexSpec, bounds: dict[str, Bound], loose: list[Any], parts: list[Any], sort: Sort
) -> _Candidate | None:
    if index.partial and not _implies(parts, index.partial):
        return None
    columns = [f"x.k{i}" for i in range(len(index.fields))]
    where: list[str] = []
    params: list[Any] = []
    used: list[Bound] = []
    fixed = 0
    for i, (path, _) in enumerate(index.fields):
        bound = bounds.get(path)
        if bound is None:
            break
        _sql_bound(columns[i], bound, where, params)
        used.append(bound)
        if bound.kind == "range":
            break
        fixed += 1
    if index.sparse and not any(bound.excludes_null for bound in used):
        return None
    # Equality fields of the sort are constant here: the rest must follow the index.
    constant = {path for path, _ in index.fields[:fixed]}
    order = _order(index, fixed, [s for s in sort if s[0] not in constant], columns)
    if not used and order is None:
        return None
    # Exact when every bound is used and what no bound decides is the index's own condition.
    implied = conjuncts(index.partial) if index.partial else []
    covered = len(used) == len(bounds) and all(part in implied for part in loose)
    return _Candidate(index, where, params, len(used), order, covered)


def plan(
    collection_table: str,
    indexes: list[IndexSpec],
    query: Filter | None,
    sort: Sort,
) -> Plan:
    """The plan for `query` in `sort` order over a collection's usable `indexes`."""
    bounds, loose = field_bounds(query)
    parts = conjuncts(query)
    exact = not loose
    id_bound = bounds.get("_id")
    if id_bound is not None and id_bound.kind in ("eq", "in"):
        return _id_plan(collection_table, id_bound, sort, exact and len(bounds) == 1)
    best: _Candidate | None = None
    first_sorted = sort[0][0] if sort else None
    for index in indexes:
        leading = index.fields[0][0]
        if leading not in bounds and leading != first_sorted:
            continue  # neither bounded nor walking the sort: it cannot help
        candidate = _candidate(index, bounds, loose, parts, sort)
        if candidate is not None and (best is None or candidate.score() > best.score()):
            best = candidate
    id_order = _order(_ID_INDEX, 0, sort, ["c.id"]) if sort else None
    if id_bound is not None and (best is None or best.bounded == 0):
        return _id_plan(collection_table, id_bound, sort, exact and len(bounds) == 1)
    if best is None or (best.bounded == 0 and id_order is not None):
        return _scan_plan(collection_table, id_order, exact and not bounds)
    return _index_plan(collection_table, best)


_ID_INDEX = IndexSpec(name="_id_", fields=(("_id", 1),), table="")


def _id_plan(table: str, bound: Bound, sort: Sort, exact: bool) -> Plan:
    where: list[str] = []
    params: list[Any] = []
    _sql_bound("c.id", bound, where, params)
    order = _order(_ID_INDEX, 0, sort, ["c.id"])
    order_sql = f" ORDER BY {', '.join(order)}" if order else ""
    condition = " AND ".join(where)
    return Plan(
        sql=f'SELECT c.rid, c.doc FROM "{table}" AS c WHERE {condition}{order_sql}',
        params=params,
        ordered=order is not None,
        exact=exact,
        index=None,
        count_sql=f'SELECT c.rid FROM "{table}" AS c WHERE {condition}',
        param_paths=("_id",),
    )


def _scan_plan(table: str, order: list[str] | None, exact: bool) -> Plan:
    order_sql = f" ORDER BY {', '.join(order)}" if order else ""
    return Plan(
        sql=f'SELECT c.rid, c.doc FROM "{table}" AS c{order_sql}',
        params=[],
        ordered=order is not None,
        exact=exact,
        index=None,
        count_sql=f'SELECT c.rid FROM "{table}" AS c',
        scans=order is None,  # in _id order it walks the _id index and a limit stops it
    )


def _index_plan(table: str, best: _Candidate) -> Plan:
    where_sql = f" WHERE {' AND '.join(best.where)}" if best.where else ""
    order_sql = f" ORDER BY {', '.join(best.order)}" if best.order else ""
    index_table = best.index.table
    return Plan(
        sql=f'SELECT c.rid, c.doc FROM "{index_table}" AS x JOIN "{table}" AS c '
        f"ON c.rid = x.rid{where_sql}{order_sql}",
        params=best.params,
        ordered=best.order is not None,
        exact=best.exact,
        index=best.index,
        count_sql=f'SELECT DISTINCT x.rid FROM "{index_table}" AS x{where_sql}',
        param_paths=tuple(path for path, _ in best.index.fields[: best.bounded]),
    )


# -- plans kept by the shape of their query ------------------------------------------------

MAX_KEPT_PLANS = 1000
_NULL_SHAPE = ("null",)


class PlanCache:
    """One collection's plans by query shape: a query of a known shape takes the kept plan
    with its own values as parameters, instead of weighing every index again.

    A shape keeps what planning looks at: the fields and operators, each value's type, the
    values of booleans and nulls, regular expressions whole, and the whole value of any
    field a partial index's filter names (the filter must be among the query's conditions).
    Kept plans are forgotten when an index is added or becomes usable.
    """

    def __init__(self) -> None:
        self._state: tuple[int, int] | None = None
        self._plans: dict[Any, Plan] = {}
        self._fixed: frozenset[str] = frozenset()

    def plan(
        self,
        table: str,
        indexes: list[IndexSpec],
        committed_only: bool,
        query: Filter | None,
        sort: Sort,
    ) -> Plan:
        """The plan of `query` in `sort` order over `indexes` (the committed ones only, when
        `committed_only`)."""
        state = (len(indexes), sum(index.committed for index in indexes))
        if state != self._state:
            self._state, self._plans = state, {}
            self._fixed = frozenset(
                path for index in indexes if index.partial for path in filter_paths(index.partial)
            )
        shape = _shape(query, self._fixed)
        if shape is None:
            return plan(table, _usable(indexes, committed_only), query, sort)
        key = (committed_only, shape, *sort)
        kept = self._plans.get(key)
        if kept is None:
            made = plan(table, _usable(indexes, committed_only), query, sort)
            if len(self._plans) >= MAX_KEPT_PLANS:
                self._plans.clear()
            self._plans[key] = made
            return made
        if not kept.param_paths:
            return kept
        assert query is not None  # a plan with parameters has conditions
        params: list[Any] = []
        for path in kept.param_paths:
            # Only these fields' values are encoded: the shape names each, at the top level,
            # with the operators it was planned with.
            value = query[path]
            if isinstance(value, dict):
                bound = _bound(value)
                assert bound is not None  # as when the plan was made, for the same shape
                _bound_params(bound, params)
            else:
                params.append(encode(value))
        if len(params) != len(kept.params):  # an $in list with repeated values
            return plan(table, _usable(indexes, committed_only), query, sort)
        return dataclasses.replace(kept, params=params)


def _usable(indexes: list[IndexSpec], committed_only: bool) -> list[IndexSpec]:
    return [index for index in indexes if index.committed or not committed_only]


def _shape(query: Filter | None, fixed: frozenset[str]) -> tuple[Any, ...] | None:
    """What planning sees of `query`; None for forms not worth keeping (`$and`, `$or`...)."""
    parts: list[Any] = []
    for name, value in (query or {}).items():
        if name.startswith("$"):
            return None
        if name in fixed:
            parts.append((name, repr(value)))
        else:
            parts.append((name, _value_shape(value)))
    return tuple(parts)


def _value_shape(value: Any) -> Any:
    kind = type(value)
    if value is None:
        return _NULL_SHAPE
    if kind is bool:
        return ("bool", value)
    if kind is dict:
        if not is_operator_dict(value):
            return ("document",)
        return tuple(
            (op, repr(argument) if op in ("$regex", "$options") else _argument_shape(argument))
            for op, argument in value.items()
        )
    if kind is list:
        return ("list",)
    return kind


def _argument_shape(argument: Any) -> Any:
    if type(argument) is list:
        return ("list", *(_value_shape(item) for item in argument))
    if type(argument) is dict:
        return ("document", repr(argument))
    return _value_shape(argument)
