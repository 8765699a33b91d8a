"""Accounts: registration, credentials, profiles, and the public and private views of a user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from bson import ObjectId
from marshmallow import Schema, ValidationError, fields, validate
from pymongo import IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from hypee import batches, clock
from hypee.auth import PasswordService
from hypee.dbapi import DocumentDatabase
from hypee.errors import ApiError, conflict
from hypee.fields import ObjectIdField, Text, UtcDateTime, trim
from hypee.jsonio import as_utc, format_datetime, utcnow
from models import mentor_record, mentors

COLLECTION = "users"
ROLES = ("mentee", "mentor")
STAFF_ROLES = ("moderator", "admin")  # apart from mentor/mentee; an admin also moderates
DELETED_NAME = "Deleted user"
MIN_PASSWORD = 8
MAX_PASSWORD = 1024

INDEXES = {COLLECTION: [IndexModel("email", unique=True, name="email_unique")]}


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively: they are stored trimmed and lower-cased."""
    return trim(email).lower()


class EmailAddress(fields.Email):
    """An email address, trimmed and lower-cased."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("Not a valid email address.")
        email = normalize_email(value)
        if len(email) > 254:
            raise ValidationError("Must be at most 254 characters.")
        return super()._deserialize(email, attr, data, **kwargs)


class RegisterSchema(Schema):
    email = EmailAddress(required=True)
    password = fields.String(
        required=True,
        validate=validate.Length(MIN_PASSWORD, MAX_PASSWORD),
        metadata={"description": f"At least {MIN_PASSWORD} characters."},
    )
    display_name = Text(max_length=80, required=True)
    role = fields.String(load_default="mentee", validate=validate.OneOf(ROLES))


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(1, 320))
    password = fields.String(required=True, validate=validate.Length(1, MAX_PASSWORD))


AVATAR_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


class ProfileUpdateSchema(Schema):
    """PATCH /api/me: any subset of the editable fields."""

    display_name = Text(max_length=80)
    bio = Text(min_length=0, max_length=2000, multiline=True)
    avatar_upload_id = ObjectIdField(
        allow_none=True,
        metadata={
            "description": "An uploaded image (POST /api/uploads/); null removes the avatar."
        },
    )


class PublicUserSchema(Schema):
    """What anyone may see of a user (never the email)."""

    id = ObjectIdField(attribute="_id", required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    points = fields.Integer(required=True)
    bio = fields.String(required=True)
    avatar_url = fields.Function(
        lambda user: f"/api/users/{user['_id']}/avatar" if user.get("avatar") else None,
        required=True,
        allow_none=True,
        metadata={
            "description": "Redirects to the image; null without an avatar.",
            "type": "string",
        },
    )
    mentor = fields.Nested(
        mentors.MentorProfileOutSchema,
        metadata={"description": "Present when the user is listed as a mentor."},
    )
    created_at = UtcDateTime(required=True)


class PrivateUserSchema(PublicUserSchema):
    """The caller's own account (GET /api/me)."""

    email = fields.String(required=True)
    email_verified = fields.Boolean(
        required=True,
        metadata={"description": "Whether the owner opened the link sent to `email`."},
    )
    roles = fields.List(
        fields.String(validate=validate.OneOf(STAFF_ROLES)),
        required=True,
        metadata={"description": "Staff roles: `moderator` (the moderation area), `admin`."},
    )


_MENTOR_FIELDS = (
    "headline",
    "bio",
    "country",
    "specialties",
    "languages",
    "years_experience",
    "available",
    "listed_at",
)


class UserDocument(TypedDict, total=False):
    """An account as stored in `users` (projections return some of these fields)."""

    _id: ObjectId
    email: str
    password_hash: str
    display_name: str
    role: str  # "mentee" or "mentor"
    bio: str
    points: int
    avatar: dict[str, Any]  # the upload shown as the photo
    mentor: dict[str, Any]  # the mentor profile, once listed (models/mentors.py)
    search: dict[str, list[str]]
    created_at: datetime
    email_verified: bool
    notify: dict[str, Any]  # notification settings (models/notification_settings.py)
    roles: list[str]  # STAFF_ROLES held
    blocked_ids: list[ObjectId]  # whom this person blocked (copies of models/blocks.py)
    blocked_by_ids: list[ObjectId]  # who blocked this person
    suspension: dict[str, Any]  # {until: datetime | None (for good), reason, at} while suspended
    mentor_suspended: dict[str, Any]  # the mentor profile, out of the directory meanwhile
    deleted_at: datetime  # the account was deleted: only an anonymous name remains


class PublicUserView(TypedDict):
    """A person as anyone may see them (PublicUserSchema)."""

    id: str
    display_name: str
    role: str
    points: int
    bio: str
    avatar_url: str | None
    created_at: str
    mentor: NotRequired[dict[str, Any]]


class PrivateUserView(PublicUserView):
    """The caller's own account (PrivateUserSchema): the public view and the email."""

    email: str
    email_verified: bool
    roles: list[str]


def public_view(user: UserDocument | dict[str, Any]) -> PublicUserView:
    """`user` as anyone may see it (PublicUserSchema; built by hand because the directory
    renders many at a time, and tests check it against the schema). Only these fields leave:
    never the email or the password hash."""
    view: PublicUserView = {
        "id": str(user["_id"]),
        "display_name": user["display_name"],
        "role": user["role"],
        "points": user.get("points", 0),
        "bio": user.get("bio", ""),
        "avatar_url": f"/api/users/{user['_id']}/avatar" if user.get("avatar") else None,
        "created_at": format_datetime(user["created_at"]),
    }
    mentor = user.get("mentor")
    if mentor:
        shown = {field: mentor[field] for field in _MENTOR_FIELDS if field in mentor}
        if "listed_at" in shown:
            shown["listed_at"] = format_datetime(shown["listed_at"])
        mentor_record.show(shown, mentor)
        view["mentor"] = shown
    return view


def private_view(user: UserDocument | dict[str, Any]) -> PrivateUserView:
    """`user` as its owner sees it (PrivateUserSchema)."""
    shown = public_view(user)
    if "mentor" in shown:
        mentor = user["mentor"]
        shown["mentor"].update(
            mentor_record.capacity(mentor), meeting_url=mentor.get("meeting_url")
        )
    return {
        **shown,
        "email": user["email"],
        "email_verified": bool(user.get("email_verified")),
        "roles": list(user.get("roles", [])),
    }


async def register(
    db: DocumentDatabase, data: dict[str, Any], password_hash: str
) -> dict[str, Any]:
    """Create an account from loaded RegisterSchema `data` (`email_verified` may be added:
    demo accounts) with the hash of its password; 409 if the email is taken."""
    if await email_taken(db, data["email"]):
        raise conflict("An account with this email already exists.")
    user = {
        "_id": ObjectId(),
        "email": data["email"],
        "password_hash": password_hash,
        "display_name": data["display_name"],
        "role": data["role"],
        "bio": "",
        "points": 0,
        "created_at": utcnow(),
        "email_verified": bool(data.get("email_verified", False)),
    }
    try:
        await db[COLLECTION].insert_one(user)
    except DuplicateKeyError:
        # Two registrations raced past the check above; the unique index decides.
        raise conflict("An account with this email already exists.") from None
    return user


async def authenticate(
    db: DocumentDatabase, passwords: PasswordService, email: str, password: str
) -> dict[str, Any] | None:
    """The user whose credentials these are, or None; upgrades outdated password hashes."""
    user = await by_email(db, email)
    stored_hash = user.get("password_hash") if user else None  # none: a deleted account
    if not await passwords.verify(stored_hash, password) or user is None:
        return None
    if passwords.needs_rehash(user["password_hash"]):
        await db[COLLECTION].update_one(
            {"_id": user["_id"]}, {"$set": {"password_hash": await passwords.hash(password)}}
        )
    return user


async def count(db: DocumentDatabase, limit: int = 1) -> int:
    """How many accounts there are, counting up to `limit`."""
    return await db[COLLECTION].count_documents({}, limit=limit)


async def get_user(db: DocumentDatabase, user_id: ObjectId) -> dict[str, Any] | None:
    """The user `user_id`, or None."""
    return await db[COLLECTION].find_one({"_id": user_id})


async def public_users(
    db: DocumentDatabase, user_ids: Iterable[ObjectId]
) -> dict[ObjectId, dict[str, Any]]:
    """The users `user_ids` with what their public views need, by id, in one query."""
    found = (
        await db[COLLECTION]
        .find({"_id": {"$in": list(set(user_ids))}}, mentors.PUBLIC_PROJECTION)
        .to_list(None)
    )
    return {user["_id"]: user for user in found}


async def display_name(db: DocumentDatabase, user_id: ObjectId) -> str:
    """The user's display name ("Someone" for an account that no longer exists)."""
    user = await db[COLLECTION].find_one({"_id": user_id}, {"display_name": 1})
    return user["display_name"] if user else "Someone"


async def update_profile(
    db: DocumentDatabase, user: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply loaded ProfileUpdateSchema `changes` to `user`; a mentor's search words follow a
    new name. A new `avatar_upload_id` must already be attached to the user (services do it)."""
    update: dict[str, Any] = {k: v for k, v in changes.items() if k != "avatar_upload_id"}
    unset: dict[str, str] = {}
    if "display_name" in changes and "mentor" in user:
        update.update(mentors.refreshed_search(changes["display_name"], user["mentor"]))
    if "avatar_upload_id" in changes:
        avatar_id = changes["avatar_upload_id"]
        if avatar_id is None:
            unset["avatar"] = ""
        else:
            update["avatar"] = {"upload_id": avatar_id, "updated_at": utcnow()}
    operations: dict[str, Any] = {"$set": update} if update else {}
    if unset:
        operations["$unset"] = unset
    if not operations:
        return user
    return await db[COLLECTION].find_one_and_update(
        {"_id": user["_id"]}, operations, return_document=ReturnDocument.AFTER
    )


def avatar_upload_id(user: dict[str, Any]) -> ObjectId | None:
    """The upload of the user's current avatar, if any."""
    return (user.get("avatar") or {}).get("upload_id")


async def add_points(db: DocumentDatabase, user_id: ObjectId, delta: int) -> int:
    """Change a user's points by `delta`, never below 0; returns the change actually made."""
    if delta >= 0:
        result = await db[COLLECTION].update_one({"_id": user_id}, {"$inc": {"points": delta}})
        return delta if result.matched_count else 0
    while True:
        result = await db[COLLECTION].update_one(
            {"_id": user_id, "points": {"$gte": -delta}}, {"$inc": {"points": delta}}
        )
        if result.matched_count:
            return delta
        before = await db[COLLECTION].find_one_and_update(
            {"_id": user_id, "points": {"$lt": -delta}},
            {"$set": {"points": 0}},
            projection={"points": 1},
            return_document=ReturnDocument.BEFORE,
        )
        if before is not None:
            return -int(before["points"])
        if not await db[COLLECTION].count_documents({"_id": user_id}, limit=1):
            return 0  # the user is gone
        # The points changed between the two updates: try again.


async def points_of_everyone(db: DocumentDatabase) -> dict[ObjectId, int]:
    """Every user's points (the integrity check)."""
    return {
        user["_id"]: user.get("points", 0)
        async for user in batches.each(db[COLLECTION], projection={"points": 1})
    }


async def set_points(db: DocumentDatabase, user_id: ObjectId, value: int) -> None:
    await db[COLLECTION].update_one({"_id": user_id}, {"$set": {"points": value}})


async def set_password_hash(db: DocumentDatabase, user_id: ObjectId, password_hash: str) -> None:
    await db[COLLECTION].update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})


async def verify_email(
    db: DocumentDatabase, user_id: ObjectId, email: str
) -> dict[str, Any] | None:
    """The user's address is `email` and verified: a verification of the current address, or
    a change of address confirmed from the new one. None when the account is gone; 409 when
    another account took the address meanwhile."""
    try:
        return await db[COLLECTION].find_one_and_update(
            {"_id": user_id},
            {"$set": {"email": email, "email_verified": True}},
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError:
        raise conflict("An account with this email already exists.") from None


async def email_taken(db: DocumentDatabase, email: str) -> bool:
    """Whether an account has the (normalized) address `email`."""
    return await db[COLLECTION].count_documents({"email": email}, limit=1) > 0


async def by_email(db: DocumentDatabase, email: str) -> dict[str, Any] | None:
    """The account of `email`, compared as stored (trimmed, lower-cased), or None."""
    return await db[COLLECTION].find_one({"email": normalize_email(email)})


async def set_notification_settings(
    db: DocumentDatabase, user_id: ObjectId, settings: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Store the user's notification settings (all fields); the user after, or None."""
    return await db[COLLECTION].find_one_and_update(
        {"_id": user_id}, {"$set": {"notify": dict(settings)}}, return_document=ReturnDocument.AFTER
    )


async def with_settings(db: DocumentDatabase, user_ids: list[ObjectId]) -> list[dict[str, Any]]:
    """The users `user_ids` with what reaching them needs (address, name, settings)."""
    return (
        await db[COLLECTION]
        .find(
            {"_id": {"$in": user_ids}},
            {"email": 1, "display_name": 1, "notify": 1, "email_verified": 1},
        )
        .to_list(None)
    )


async def email_verified(db: DocumentDatabase, user_id: ObjectId) -> bool:
    found = await db[COLLECTION].count_documents({"_id": user_id, "email_verified": True}, limit=1)
    return found > 0


# -- staff roles and suspension --------------------------------------------------------------

# What a person's standing is read from: blocks, a suspension, a deletion.
_BLOCK_FIELDS = {"blocked_ids": 1, "blocked_by_ids": 1}
_STANDING_FIELDS = {"suspension": 1, "deleted_at": 1, **_BLOCK_FIELDS}


def moderates(user: Mapping[str, Any] | None) -> bool:
    """Whether `user` (with its `roles`) may use the moderation area."""
    return user is not None and bool(set(user.get("roles", [])) & set(STAFF_ROLES))


async def staff_roles(db: DocumentDatabase, user_id: ObjectId) -> list[str]:
    """The staff roles of `user_id` (none for an unknown account)."""
    user = await db[COLLECTION].find_one({"_id": user_id, "deleted_at": None}, {"roles": 1})
    return list((user or {}).get("roles", []))


async def set_role(db: DocumentDatabase, user_id: ObjectId, role: str, held: bool) -> bool:
    """Give (`held`) or take `role`; False when the account does not exist."""
    operation = "$addToSet" if held else "$pull"
    result = await db[COLLECTION].update_one(
        {"_id": user_id, "deleted_at": None}, {operation: {"roles": role}}
    )
    return result.matched_count > 0


def active_suspension(user: Mapping[str, Any]) -> dict[str, Any] | None:
    """The suspension in force on `user` now (until None: for good), or None."""
    suspension = user.get("suspension")
    if not suspension:
        return None
    until = suspension.get("until")
    if until is not None and as_utc(until) <= clock.now():
        return None
    return {**suspension, "until": as_utc(until) if until is not None else None}


async def suspend(
    db: DocumentDatabase, user: Mapping[str, Any], until: datetime | None, reason: str
) -> dict[str, Any]:
    """Suspend `user` (its document as read in the caller's unit) until `until` (None: for
    good); a listed mentor profile leaves the directory meanwhile. The suspension stored."""
    suspension = {"until": until, "reason": reason, "at": clock.now()}
    update: dict[str, Any] = {"$set": {"suspension": suspension}}
    if "mentor" in user:
        update["$set"]["mentor_suspended"] = user["mentor"]
        update["$unset"] = {"mentor": ""}
    await db[COLLECTION].update_one({"_id": user["_id"]}, update)
    return suspension


async def lift_suspension(db: DocumentDatabase, user: Mapping[str, Any]) -> bool:
    """End `user`'s suspension (the mentor profile returns); False when there was none."""
    if not user.get("suspension"):
        return False
    update: dict[str, Any] = {"$unset": {"suspension": "", "mentor_suspended": ""}}
    if "mentor_suspended" in user:
        update["$set"] = {"mentor": user["mentor_suspended"]}
    await db[COLLECTION].update_one({"_id": user["_id"]}, update)
    return True


def suspended_error(suspension: Mapping[str, Any]) -> ApiError:
    """403 `suspended`, saying until when."""
    until = suspension.get("until")
    when = f"until {format_datetime(until)}" if until is not None else "for good"
    return ApiError(
        "suspended",
        f"This account is suspended {when}.",
        extra={"until": format_datetime(until) if until is not None else None},
    )


async def require_not_suspended(db: DocumentDatabase, user_id: ObjectId) -> None:
    """403 `suspended` while `user_id` is suspended, 401 once the account is deleted (an
    access token outlives its login by up to its lifetime); read in the caller's unit."""
    user = await db[COLLECTION].find_one({"_id": user_id}, _STANDING_FIELDS)
    if user is None:
        raise ApiError("unauthorized", "This account no longer exists.")
    check_standing(user)


@dataclass
class Relations:
    """How one person stands with some others: whom they blocked, and who blocked them."""

    blocked: set[ObjectId] = field(default_factory=set)
    blocked_by: set[ObjectId] = field(default_factory=set)

    @property
    def either(self) -> set[ObjectId]:
        """The others with a block in either direction: nothing passes between them."""
        return self.blocked | self.blocked_by


def relations_of(user: Mapping[str, Any], others: Iterable[ObjectId] | None) -> Relations:
    """`user`'s blocks (its `blocked_ids` and `blocked_by_ids`), among `others` (None: all)."""
    blocked = set(user.get("blocked_ids", ()))
    blocked_by = set(user.get("blocked_by_ids", ()))
    if others is not None:
        among = set(others)
        blocked, blocked_by = blocked & among, blocked_by & among
    return Relations(blocked, blocked_by)


async def relations(
    db: DocumentDatabase, user_id: ObjectId, others: Iterable[ObjectId] | None = None
) -> Relations:
    """How `user_id` stands with `others` (with everyone when None): one read of the user."""
    user = await db[COLLECTION].find_one({"_id": user_id}, _BLOCK_FIELDS)
    return relations_of(user or {}, others)


def check_standing(standing: Mapping[str, Any]) -> None:
    """403 `suspended` or 401 for a deleted account, from a user document or its copy in a
    conversation (`mirrored`)."""
    if standing.get("deleted_at") is not None or standing.get("deleted"):
        raise ApiError("unauthorized", "This account no longer exists.")
    suspension = active_suspension(standing)
    if suspension is not None:
        raise suspended_error(suspension)


# The fields of a member's standing copy in each conversation (`mirrored`).
MIRRORED_FIELDS = ("blocked_ids", "blocked_by_ids", "suspension", "deleted")


def mirrored(user: Mapping[str, Any]) -> dict[str, Any]:
    """What each conversation keeps of a member's standing (its `members.<id>` entry), so a
    send checks its sender with the conversation it already updates: blocks, a suspension,
    a deletion. Kept in step by models/blocks.py and the services that suspend and delete."""
    copy: dict[str, Any] = {
        field: list(user[field]) for field in ("blocked_ids", "blocked_by_ids") if user.get(field)
    }
    if user.get("suspension"):
        copy["suspension"] = dict(user["suspension"])
    if user.get("deleted_at") is not None:
        copy["deleted"] = True
    return copy


async def standings(
    db: DocumentDatabase, user_ids: list[ObjectId]
) -> dict[ObjectId, dict[str, Any]]:
    """The standing fields of the existing accounts among `user_ids`, by id."""
    found = await db[COLLECTION].find({"_id": {"$in": user_ids}}, _STANDING_FIELDS).to_list(None)
    return {user["_id"]: user for user in found}


async def set_block(
    db: DocumentDatabase, blocker_id: ObjectId, blocked_id: ObjectId, on: bool
) -> None:
    """Record (or forget) a block on both people's documents (models/blocks.py owns the
    block itself; these copies let one read of a person say whom they stand apart from)."""
    operation = "$addToSet" if on else "$pull"
    await db[COLLECTION].update_one({"_id": blocker_id}, {operation: {"blocked_ids": blocked_id}})
    await db[COLLECTION].update_one(
        {"_id": blocked_id}, {operation: {"blocked_by_ids": blocker_id}}
    )


# -- deletion --------------------------------------------------------------------------------


async def anonymize(db: DocumentDatabase, user_id: ObjectId) -> dict[str, Any] | None:
    """Delete the account: only an anonymous name remains for what others keep (forum posts,
    conversations). The address is freed (it can register again); credentials, profile,
    avatar, mentor profile, settings and points go. The user before, or None."""
    before = await db[COLLECTION].find_one({"_id": user_id, "deleted_at": None})
    if before is None:
        return None
    await db[COLLECTION].update_one(
        {"_id": user_id},
        {
            "$set": {
                # The unique index needs some address; this one can never be registered.
                "email": f"deleted-{user_id}@deleted.invalid",
                "display_name": DELETED_NAME,
                "bio": "",
                "points": 0,
                "email_verified": False,
                "deleted_at": clock.now(),
            },
            "$unset": {
                field: ""
                for field in (
                    "password_hash",
                    "avatar",
                    "mentor",
                    "mentor_suspended",
                    "notify",
                    "roles",
                    "search",
                    "suspension",
                    "blocked_ids",
                    "blocked_by_ids",
                )
            },
        },
    )
    return before


def each_standing(db: DocumentDatabase) -> AsyncIterator[dict[str, Any]]:
    """Every account's standing fields (the integrity check)."""
    return batches.each(db[COLLECTION], projection=_STANDING_FIELDS)


async def set_block_copies(
    db: DocumentDatabase, user_id: ObjectId, blocked: list[ObjectId], blocked_by: list[ObjectId]
) -> None:
    """Replace an account's copies of its blocks (the repair)."""
    await db[COLLECTION].update_one(
        {"_id": user_id}, {"$set": {"blocked_ids": blocked, "blocked_by_ids": blocked_by}}
    )
