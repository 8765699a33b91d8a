"""The mentor directory: mentor profiles (a `mentor` sub-document of users) and their search."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate
from pymongo import IndexModel, ReturnDocument

from hypee.dbapi import DocumentDatabase
from hypee.errors import conflict
from hypee.fields import StrictBoolean, StrictInteger, Text, UtcDateTime, any_case_pattern, trim
from hypee.jsonio import utcnow
from hypee.pagination import Listing, Page, decode_cursor, encode_cursor, find_page
from hypee.paging import PageQuerySchema
from hypee.textsearch import matches_prefix, prefix_filter, query_words, words
from models import mentor_record
from models.codes import COUNTRIES, LANGUAGES

COLLECTION = "users"
IS_MENTOR = {"mentor": {"$exists": True}}
# What public views of a user need: no credentials, no search arrays.
PUBLIC_PROJECTION = {
    "password_hash": 0,
    "email": 0,
    "mentor.search": 0,
    "mentor.search_primary": 0,
    "mentor.specialty_keys": 0,
    "blocked_ids": 0,
    "blocked_by_ids": 0,
}
_MENTORS_ONLY = {"partialFilterExpression": IS_MENTOR}

INDEXES = {
    COLLECTION: [
        IndexModel([("mentor.listed_at", -1), ("_id", -1)], name="mentors_newest", **_MENTORS_ONLY),
        IndexModel([("points", -1), ("_id", -1)], name="mentors_points", **_MENTORS_ONLY),
        IndexModel(
            [("mentor.available", -1), ("points", -1), ("_id", -1)],
            name="mentors_relevance",
            **_MENTORS_ONLY,
        ),
        # A country with the default (relevance) order: a page reads only its own mentors.
        IndexModel(
            [("mentor.country", 1), ("mentor.available", -1), ("points", -1), ("_id", -1)],
            name="mentors_country_relevance",
            **_MENTORS_ONLY,
        ),
        IndexModel("mentor.specialty_keys", name="mentors_specialty", **_MENTORS_ONLY),
        IndexModel("mentor.languages", name="mentors_language", **_MENTORS_ONLY),
        IndexModel("mentor.search", name="mentors_search", **_MENTORS_ONLY),
        IndexModel(
            [("mentor.response_score", -1), ("_id", -1)],
            name="mentors_responsive",
            **_MENTORS_ONLY,
        ),
    ]
}

LISTINGS = {
    "relevance": Listing(
        "mentors:relevance",
        [("mentor.available", -1), ("points", -1), ("_id", -1)],
        (bool, int, ObjectId),
    ),
    "newest": Listing(
        "mentors:newest", [("mentor.listed_at", -1), ("_id", -1)], (datetime, ObjectId)
    ),
    "points": Listing("mentors:points", [("points", -1), ("_id", -1)], (int, ObjectId)),
    "responsive": Listing(
        "mentors:responsive", [("mentor.response_score", -1), ("_id", -1)], (int, ObjectId)
    ),
}
_RANKED_TYPES = (int, bool, int, ObjectId)


class CountryCode(fields.String):
    """An ISO 3166-1 alpha-2 country code, any case in, upper case out."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        code = trim(super()._deserialize(value, attr, data, **kwargs)).upper()
        if code not in COUNTRIES:
            raise ValidationError("Not an ISO 3166-1 alpha-2 country code (such as 'FR').")
        return code

    def json_schema(self, documented: dict[str, Any]) -> dict[str, Any]:
        return {"pattern": any_case_pattern(COUNTRIES)}


class LanguageCode(fields.String):
    """An ISO 639-1 language code, any case in, lower case out."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        code = trim(super()._deserialize(value, attr, data, **kwargs)).lower()
        if code not in LANGUAGES:
            raise ValidationError("Not an ISO 639-1 language code (such as 'en' or 'pt').")
        return code

    def json_schema(self, documented: dict[str, Any]) -> dict[str, Any]:
        return {"pattern": any_case_pattern(LANGUAGES)}


def _distinct(values: list[str], key: Callable[[str], str] = str.casefold) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(key(value), value)
    return list(seen.values())


class MentorProfileSchema(Schema):
    """PUT /api/me/mentor-profile: the whole profile."""

    headline = Text(max_length=120, required=True)
    bio = Text(min_length=0, max_length=4000, multiline=True, required=True)
    country = CountryCode(required=True, metadata={"description": "ISO 3166-1 alpha-2"})
    specialties = fields.List(Text(max_length=40), required=True, validate=validate.Length(1, 10))
    languages = fields.List(
        LanguageCode(metadata={"description": "ISO 639-1"}),
        required=True,
        validate=validate.Length(1, 10),
    )
    years_experience = StrictInteger(required=True, validate=validate.Range(0, 80))
    available = StrictBoolean(required=True)
    max_mentees = StrictInteger(
        validate=validate.Range(1, 50),
        metadata={
            "description": "How many mentees at once (default 3; omitted: unchanged). Fewer "
            "than the current mentees leaves the mentor full until some finish."
        },
    )
    meeting_url = fields.Url(
        schemes={"https"},
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={
            "description": "The video-call link sessions use (https); null removes it, "
            "omitted: unchanged. Shown only to the mentor's mentees, on their sessions."
        },
    )


class MentorProfileOutSchema(Schema):
    """The `mentor` object of a user: what the directory shows."""

    headline = fields.String(required=True)
    bio = fields.String(required=True)
    country = fields.String(required=True)
    specialties = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    years_experience = fields.Integer(required=True)
    available = fields.Boolean(required=True)
    listed_at = UtcDateTime(
        required=True, metadata={"description": "When the user became a mentor."}
    )
    max_mentees = fields.Integer(metadata={"description": "The caller's own profile only."})
    mentee_count = fields.Integer(
        metadata={
            "description": "Mentorships accepted and not finished (the caller's own profile only)."
        }
    )
    full = fields.Boolean(
        required=True, metadata={"description": "No place left: new requests are refused."}
    )
    responsiveness = fields.Nested(
        mentor_record.ResponsivenessSchema,
        required=True,
        allow_none=True,
        metadata={
            "description": "Measured over the last 90 days; null before any sample, and each "
            "figure null below 3 samples."
        },
    )
    rating = fields.Nested(
        mentor_record.RatingSchema,
        required=True,
        allow_none=True,
        metadata={"description": "From reviews: null before any; average null below 3."},
    )
    meeting_url = fields.String(
        allow_none=True, metadata={"description": "The caller's own profile only."}
    )


class MentorQuerySchema(PageQuerySchema):
    """GET /api/mentors/ filters."""

    country = CountryCode()
    specialty = fields.List(
        Text(max_length=40),
        metadata={"description": "Repeatable; a mentor must have every specialty given."},
    )
    language = LanguageCode()
    available = fields.Boolean(
        metadata={"description": "true: only mentors taking mentees and with a place left."}
    )
    q = Text(
        min_length=0,
        max_length=200,
        metadata={
            "description": "Words in name, headline, bio or specialties; "
            "case- and accent-insensitive, prefixes match."
        },
    )
    sort = fields.String(
        load_default="relevance",
        validate=validate.OneOf(list(LISTINGS)),
        metadata={
            "description": "relevance (default): with q, matches in name, headline or "
            "specialties before matches in the bio only; then available mentors, then "
            "points. newest: most recently listed. points: most points. responsive: the "
            "highest share of requests answered, then the quickest (unmeasured last)."
        },
    )


def _search_fields(display_name: str, profile: dict[str, Any]) -> dict[str, list[str]]:
    primary = words(display_name, profile["headline"], *profile["specialties"])
    return {"search_primary": primary, "search": words(" ".join(primary), profile["bio"])}


def refreshed_search(display_name: str, mentor: dict[str, Any]) -> dict[str, Any]:
    """`$set` fields that keep a mentor's search words in step with a new display name."""
    return {f"mentor.{key}": value for key, value in _search_fields(display_name, mentor).items()}


async def set_profile(
    db: DocumentDatabase, user_id: ObjectId, profile: dict[str, Any]
) -> dict[str, Any] | None:
    """List `user_id` in the directory with `profile` (replacing any previous one). The
    record (models/mentor_record.py) stays; a new `max_mentees` moves the places left by the
    difference, in the same conditional update, so acceptances racing it count right."""
    profile = {
        **profile,
        "specialties": _distinct(profile["specialties"]),
        "languages": _distinct(profile["languages"]),
    }
    max_mentees = profile.pop("max_mentees", None)
    link_given = "meeting_url" in profile  # null removes it; left out, it stays
    meeting_url = profile.pop("meeting_url", None)
    for _ in range(5):  # another change of the profile came between the read and the write
        user = await db[COLLECTION].find_one({"_id": user_id}, {"display_name": 1, "mentor": 1})
        if user is None:
            return None
        now = utcnow()
        fields_set: dict[str, Any] = {
            **profile,
            "specialty_keys": _distinct([" ".join(words(s)) for s in profile["specialties"]]),
            "updated_at": now,
            **_search_fields(user["display_name"], profile),
        }
        update: dict[str, Any] = {"$set": {"role": "mentor"}}
        previous = user.get("mentor")
        if previous is None:
            record = mentor_record.initial(max_mentees or mentor_record.DEFAULT_MAX_MENTEES)
            fields_set.update(record, listed_at=now)
            where: dict[str, Any] = {"_id": user_id, "mentor": {"$exists": False}}
        else:
            old_max = previous.get("max_mentees", mentor_record.DEFAULT_MAX_MENTEES)
            new_max = old_max if max_mentees is None else max_mentees
            fields_set["max_mentees"] = new_max
            update["$inc"] = {"mentor.places_left": new_max - old_max}
            where = {"_id": user_id, "mentor.max_mentees": old_max}
        if meeting_url is not None:
            fields_set["meeting_url"] = meeting_url
        elif link_given and previous is not None:
            update["$unset"] = {"mentor.meeting_url": ""}
        update["$set"].update({f"mentor.{k}": v for k, v in fields_set.items()})
        changed = await db[COLLECTION].find_one_and_update(
            where, update, return_document=ReturnDocument.AFTER
        )
        if changed is not None:
            return changed
    raise conflict("The profile changed meanwhile; send it again.")


async def get_mentor(db: DocumentDatabase, user_id: ObjectId) -> dict[str, Any] | None:
    """The user `user_id` if it is listed as a mentor."""
    return await db[COLLECTION].find_one({"_id": user_id, **IS_MENTOR}, PUBLIC_PROJECTION)


def _directory_filter(params: dict[str, Any], query: list[str]) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [IS_MENTOR]
    if "country" in params:
        clauses.append({"mentor.country": params["country"]})
    specialties = [" ".join(words(s)) for s in params.get("specialty", [])]
    if specialties:
        clauses.append({"mentor.specialty_keys": {"$all": specialties}})
    if "language" in params:
        clauses.append({"mentor.languages": params["language"]})
    if "available" in params:
        clauses.append({"mentor.available": params["available"]})
        if params["available"]:
            clauses.append({"mentor.places_left": {"$gt": 0}})
    if query:
        clauses.append(prefix_filter("mentor.search", query))
    if params.get("hidden_ids"):
        clauses.append({"_id": {"$nin": list(params["hidden_ids"])}})
    return {"$and": clauses}


async def list_mentors(db: DocumentDatabase, params: dict[str, Any]) -> Page:
    """One page of the directory for the loaded MentorQuerySchema `params` (and
    `hidden_ids`: people this reader blocked)."""
    query = query_words(params.get("q") or "")
    where = _directory_filter(params, query)
    sort = params["sort"]
    if sort == "relevance" and query:
        return await _ranked_page(db, where, query, params["limit"], params.get("cursor"))
    return await find_page(
        db[COLLECTION],
        where,
        LISTINGS[sort],
        limit=params["limit"],
        cursor=params.get("cursor"),
        projection=PUBLIC_PROJECTION,
    )


async def _ranked_page(
    db: DocumentDatabase, where: dict[str, Any], query: list[str], limit: int, cursor: str | None
) -> Page:
    """Relevance order for a text query: a word found in the name, headline or specialties
    counts twice as much as one found only in the bio; ties go by availability, points, age.

    MongoDB without `$text` cannot compute this, so the matching ids (a small projection) are
    ranked here and the page's documents fetched by id.
    """
    candidates = (
        await db[COLLECTION]
        .find(where, {"points": 1, "mentor.available": 1, "mentor.search_primary": 1})
        .to_list(None)
    )

    def rank(doc: dict[str, Any]) -> tuple[int, bool, int, ObjectId]:
        primary = doc["mentor"].get("search_primary", [])
        score = sum(2 if matches_prefix(primary, word) else 1 for word in query)
        return (score, bool(doc["mentor"].get("available")), doc.get("points", 0), doc["_id"])

    ranked = sorted((rank(doc) for doc in candidates), reverse=True)
    if cursor:
        after = tuple(decode_cursor(cursor, "mentors:ranked", _RANKED_TYPES))
        ranked = [key for key in ranked if key < after]
    page_keys = ranked[:limit]
    next_cursor = encode_cursor("mentors:ranked", page_keys[-1]) if len(ranked) > limit else None
    ids = [key[-1] for key in page_keys]
    found = {
        doc["_id"]: doc
        for doc in await db[COLLECTION].find({"_id": {"$in": ids}}, PUBLIC_PROJECTION).to_list(None)
    }
    return Page([found[i] for i in ids if i in found], next_cursor)


async def similar(
    db: DocumentDatabase, mentor: dict[str, Any], exclude: list[ObjectId], limit: int = 3
) -> list[dict[str, Any]]:
    """Up to `limit` other mentors who share one of `mentor`'s specialties, take mentees and
    have a place left: most points first ({id, display_name, headline})."""
    keys = mentor.get("specialty_keys") or []
    if not keys:
        return []
    found = (
        await db[COLLECTION]
        .find(
            {
                **IS_MENTOR,
                "mentor.specialty_keys": {"$in": keys},
                "mentor.available": True,
                "mentor.places_left": {"$gt": 0},
                "_id": {"$nin": exclude},
            },
            {"display_name": 1, "mentor.headline": 1, "points": 1},
        )
        .sort([("points", -1), ("_id", -1)])
        .limit(limit)
        .to_list(None)
    )
    return [
        {"id": m["_id"], "display_name": m["display_name"], "headline": m["mentor"]["headline"]}
        for m in found
    ]
