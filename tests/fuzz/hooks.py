"""Schemathesis hooks for tests/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

One rule of the API cannot be written in OpenAPI, so schema-valid requests the server must
refuse are not sent as "valid" ones: a `cursor` only comes from a `next_cursor` the server
signed (a made-up one is 400; tests/test_hostile_input.py covers those). Likewise a
`time_zone` must be one the IANA database knows, a list that changes with each release of
it: schema-valid requests get a real one ("Europe/Paris"), and made-up names are refused in
tests/test_away_emails.py.

Another: deleting a question deletes its answers. The check that a created resource can
be used (ST302) only knows of a DELETE on the resource itself, so when a stateful sequence
creates an answer and then deletes its question, the answer's 404 is the API being right;
that failure is dropped for the operations addressing an answer, and kept everywhere else.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.openapi.checks import EnsureResourceAvailability


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if case.query:
        case.query.pop("cursor", None)
    if isinstance(case.body, dict) and "time_zone" in case.body:
        case.body["time_zone"] = "Europe/Paris"


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    answer_gone = case.operation.path.startswith("/api/answers/{")
    return not (isinstance(failure, EnsureResourceAvailability) and answer_gone)
