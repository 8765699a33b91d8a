"""Reports, and the cases moderators work from: one open case per reported target.

A report is one person's complaint about a message, question, answer or user; it keeps a
snapshot of the content as it was (and, for a message, the messages around it), so an edit or
deletion afterwards erases no evidence. A reporter has at most one open report per target
(`open_key`, unique while open): reporting again answers the open one. Each open report
counts on its target's open case (`open_key` there too), which moderators list oldest first,
with the count and the reasons. Deciding a case closes it and its reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from bson import ObjectId
from marshmallow import Schema, fields, validate
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee import clock
from hypee.dbapi import DocumentCollection, DocumentDatabase, typed
from hypee.fields import ObjectIdField, Text, UtcDateTime
from hypee.pagination import Listing, Page, find_page
from hypee.paging import PageQuerySchema
from models import users

REPORTS = "reports"
CASES = "report_cases"
TARGET_KINDS = ("message", "question", "answer", "review", "user")
REASONS = ("spam", "harassment", "inappropriate", "other")
CASE_STATUSES = ("open", "dismissed", "actioned")
OLDEST_FIRST = Listing("cases:open", [("opened_at", 1), ("_id", 1)], (datetime, ObjectId))
NEWEST_CLOSED = Listing("cases:closed", [("closed_at", -1), ("_id", -1)], (datetime, ObjectId))

INDEXES = {
    REPORTS: [
        IndexModel("open_key", unique=True, sparse=True, name="one_open_per_reporter"),
        IndexModel([("target_key", 1), ("created_at", 1)], name="by_target"),
        IndexModel([("reporter_id", 1), ("created_at", -1)], name="by_reporter"),
    ],
    CASES: [
        IndexModel("open_key", unique=True, sparse=True, name="one_open_per_target"),
        IndexModel([("status", 1), ("opened_at", 1), ("_id", 1)], name="queue"),
        IndexModel([("status", 1), ("closed_at", -1), ("_id", -1)], name="closed"),
    ],
}


class TargetSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(TARGET_KINDS))
    id = ObjectIdField(required=True)


class NewReportSchema(Schema):
    target = fields.Nested(TargetSchema, required=True)
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    details = Text(min_length=0, max_length=1000, multiline=True, load_default="")


class ReportSchema(Schema):
    """A report as its reporter sees it."""

    id = ObjectIdField(required=True)
    target = fields.Nested(TargetSchema, required=True)
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    details = fields.String(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(CASE_STATUSES),
        metadata={"description": "open, then dismissed or actioned once a moderator decides."},
    )
    created_at = UtcDateTime(required=True)


class ReportedBySchema(Schema):
    """One report of a case, as moderators see it."""

    id = ObjectIdField(required=True)
    reporter = fields.Nested(users.PublicUserSchema, required=True, allow_none=True)
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    details = fields.String(required=True)
    created_at = UtcDateTime(required=True)


class CaseSchema(Schema):
    """Reports of one target, grouped (the moderation queue)."""

    id = ObjectIdField(required=True)
    target = fields.Nested(TargetSchema, required=True)
    status = fields.String(required=True, validate=validate.OneOf(CASE_STATUSES))
    count = fields.Integer(required=True, metadata={"description": "Distinct reporters."})
    reasons = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "How many reports gave each reason."},
    )
    author = fields.Nested(
        users.PublicUserSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Who wrote the content (for a user target: the user)."},
    )
    snapshot = fields.Dict(
        required=True,
        metadata={"description": "The content as the first report found it."},
    )
    auto_hidden = fields.Boolean(
        required=True,
        metadata={"description": "Hidden automatically by the number of reports."},
    )
    opened_at = UtcDateTime(required=True)
    closed_at = UtcDateTime(required=True, allow_none=True)


class CaseDetailSchema(CaseSchema):
    context = fields.List(
        fields.Dict(),
        required=True,
        metadata={"description": "A message's neighbours, as they were when first reported."},
    )
    reports = fields.List(fields.Nested(ReportedBySchema), required=True)
    current = fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "The content as it is now (null when it is gone)."},
    )


class CaseQuerySchema(PageQuerySchema):
    status = fields.String(
        load_default="open",
        validate=validate.OneOf(["open", "closed"]),
        metadata={"description": "open (oldest first) or closed (latest decided first)."},
    )


class ReportDocument(TypedDict, total=False):
    _id: ObjectId
    reporter_id: ObjectId
    target: dict[str, Any]  # {kind, id}
    target_key: str
    reason: str
    details: str
    status: str
    open_key: str  # reporter and target, while open
    snapshot: dict[str, Any]
    context: list[dict[str, Any]]
    created_at: datetime
    closed_at: datetime


class CaseDocument(TypedDict, total=False):
    _id: ObjectId
    target: dict[str, Any]
    target_key: str
    status: str
    open_key: str  # the target, while open
    count: int
    reasons: dict[str, int]
    author_id: ObjectId | None
    snapshot: dict[str, Any]
    context: list[dict[str, Any]]
    auto_hidden: bool
    opened_at: datetime
    closed_at: datetime | None


def _reports(db: DocumentDatabase) -> DocumentCollection[ReportDocument]:
    return typed(db[REPORTS], ReportDocument)


def _cases(db: DocumentDatabase) -> DocumentCollection[CaseDocument]:
    return typed(db[CASES], CaseDocument)


def target_key(target: dict[str, Any]) -> str:
    return f"{target['kind']}:{target['id']}"


def stored_target(target: dict[str, Any]) -> dict[str, Any]:
    """A target as stored: {kind, id as an ObjectId}."""
    return {"kind": target["kind"], "id": ObjectId(target["id"])}


async def open_report(
    db: DocumentDatabase, reporter_id: ObjectId, target: dict[str, Any]
) -> ReportDocument | None:
    """The reporter's open report of `target`, if any."""
    return await _reports(db).find_one({"open_key": f"{reporter_id}:{target_key(target)}"})


async def file(
    db: DocumentDatabase,
    reporter_id: ObjectId,
    data: dict[str, Any],
    snapshot: dict[str, Any],
    context: list[dict[str, Any]],
    author_id: ObjectId | None,
) -> tuple[ReportDocument, CaseDocument | None]:
    """Store a report (loaded NewReportSchema `data`) and count it on its target's open case:
    (the report, the case after) — or (the open report filed before, None) for a repeat."""
    target = stored_target(data["target"])
    key = target_key(target)
    now = clock.now()
    report: ReportDocument = {
        "_id": ObjectId(),
        "reporter_id": reporter_id,
        "target": target,
        "target_key": key,
        "reason": data["reason"],
        "details": data["details"],
        "status": "open",
        "open_key": f"{reporter_id}:{key}",
        "snapshot": snapshot,
        "context": context,
        "created_at": now,
    }
    try:
        await _reports(db).insert_one(report)
    except DuplicateKeyError:
        before = await open_report(db, reporter_id, target)
        if before is None:  # decided in between: file it again
            return await file(db, reporter_id, data, snapshot, context, author_id)
        return before, None
    case = await _count_on_case(db, report, author_id)
    return report, case


async def _count_on_case(
    db: DocumentDatabase, report: ReportDocument, author_id: ObjectId | None
) -> CaseDocument:
    """Count `report` on its target's open case, opening one (with the report's snapshot)
    when there is none."""
    target, reason, now = report["target"], report["reason"], report["created_at"]
    key = target_key(target)
    for _attempt in range(3):
        case = await _cases(db).find_one_and_update(
            {"open_key": key},
            {"$inc": {"count": 1, f"reasons.{reason}": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if case is not None:
            return case
        document: CaseDocument = {
            "_id": ObjectId(),
            "target": target,
            "target_key": key,
            "status": "open",
            "open_key": key,
            "count": 1,
            "reasons": {reason: 1},
            "author_id": author_id,
            "snapshot": report["snapshot"],
            "context": report["context"],
            "auto_hidden": False,
            "opened_at": now,
            "closed_at": None,
        }
        try:
            await _cases(db).insert_one(document)
            return document
        except DuplicateKeyError:
            continue  # another report opened it meanwhile: count on that one
    raise RuntimeError(f"could not count a report on the case of {key}")


async def mark_auto_hidden(db: DocumentDatabase, case_id: ObjectId) -> None:
    await _cases(db).update_one({"_id": case_id}, {"$set": {"auto_hidden": True}})


async def close(db: DocumentDatabase, target: dict[str, Any], status: str) -> CaseDocument | None:
    """Decide the open case of `target` (dismissed or actioned) and its reports; the case
    before, or None when there was no open case."""
    key = target_key(stored_target(target))
    now = clock.now()
    case = await _cases(db).find_one_and_update(
        {"open_key": key},
        {"$set": {"status": status, "closed_at": now}, "$unset": {"open_key": ""}},
    )
    if case is None:
        return None
    await _reports(db).update_many(
        {"target_key": key, "status": "open"},
        {"$set": {"status": status, "closed_at": now}, "$unset": {"open_key": ""}},
    )
    return case


async def get_case(db: DocumentDatabase, case_id: ObjectId) -> CaseDocument | None:
    return await _cases(db).find_one({"_id": case_id})


async def queue(db: DocumentDatabase, params: dict[str, Any]) -> Page:
    """A page of cases for a loaded CaseQuerySchema: open ones oldest first, closed ones
    latest decided first."""
    if params["status"] == "open":
        query: dict[str, Any] = {"status": "open"}
        listing = OLDEST_FIRST
    else:
        query = {"status": {"$in": ["dismissed", "actioned"]}}
        listing = NEWEST_CLOSED
    return await find_page(
        db[CASES], query, listing, limit=params["limit"], cursor=params.get("cursor")
    )


async def reports_of_case(db: DocumentDatabase, case: CaseDocument) -> list[ReportDocument]:
    """The reports a case counted (those filed while it was open), oldest first."""
    query: dict[str, Any] = {
        "target_key": case["target_key"],
        "created_at": {"$gte": case["opened_at"]},
    }
    if case.get("closed_at") is not None:
        query["created_at"]["$lte"] = case["closed_at"]
    return await _reports(db).find(query).sort("created_at", 1).limit(500).to_list(None)


async def get_own(
    db: DocumentDatabase, report_id: ObjectId, reporter_id: ObjectId
) -> ReportDocument | None:
    """The caller's report `report_id` (None for anyone else's)."""
    return await _reports(db).find_one({"_id": report_id, "reporter_id": reporter_id})


async def made_by(db: DocumentDatabase, reporter_id: ObjectId) -> list[ReportDocument]:
    """Every report `reporter_id` filed (their export)."""
    return (
        await _reports(db).find({"reporter_id": reporter_id}).sort("created_at", -1).to_list(None)
    )


def report_view(report: ReportDocument) -> dict[str, Any]:
    """ReportSchema data (as its reporter sees it)."""
    return {
        "id": report["_id"],
        "target": report["target"],
        "reason": report["reason"],
        "details": report.get("details", ""),
        "status": report["status"],
        "created_at": report["created_at"],
    }
