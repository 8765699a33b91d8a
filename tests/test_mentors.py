"""The mentor directory over real HTTP: profiles, filters, search, sorting, pagination."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from hypee import clock
from tests import conftest
from tests.client import Account, ApiClient
from tests.helpers import PROFILE, assert_error


async def make_mentor(api: ApiClient, name: str | None = None, **profile) -> Account:
    account = await api.register(name)
    response = await api.put("/api/me/mentor-profile", {**PROFILE, **profile}, token=account.access)
    assert response.status == 200, response
    return account


async def list_ids(api: ApiClient, **params) -> list[str]:
    response = await api.get("/api/mentors/?" + urlencode(params, doseq=True))
    assert response.status == 200, response
    return [m["id"] for m in response.json["results"]]


async def walk(api: ApiClient, limit: int, **params) -> list[list[str]]:
    """Every page of a listing, following next_cursor."""
    pages, cursor = [], None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await api.get("/api/mentors/?" + urlencode(query, doseq=True))
        assert response.status == 200, response
        pages.append([m["id"] for m in response.json["results"]])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100


async def test_become_a_mentor(api: ApiClient):
    account = await api.register("José Álvarez")
    profile = {
        **PROFILE,
        "country": "es",
        "languages": ["ES", "en"],
        "specialties": ["Python", " python ", "Go"],
    }
    response = await api.put("/api/me/mentor-profile", profile, token=account.access)
    assert response.status == 200, response
    user = response.json
    assert user["role"] == "mentor"
    assert user["email"] == account.email
    mentor = user["mentor"]
    assert mentor["country"] == "ES"
    assert mentor["languages"] == ["es", "en"]
    assert mentor["specialties"] == ["Python", "Go"]
    assert mentor["listed_at"].endswith("Z")
    assert "search" not in mentor and "specialty_keys" not in mentor
    public = await api.get(f"/api/mentors/{account.id}/")
    assert public.status == 200
    # The meeting link is for the mentor's own view (and their mentees' sessions) only.
    own = {"meeting_url": None, "max_mentees": 3, "mentee_count": 0}
    assert {**public.json["mentor"], **own} == mentor
    assert "meeting_url" not in public.json["mentor"] and "email" not in public.json
    assert mentor["max_mentees"] == 3 and mentor["full"] is False
    assert mentor["rating"] is None and mentor["responsiveness"] is None
    linked = await api.put(
        "/api/me/mentor-profile",
        {**PROFILE, "meeting_url": "https://meet.example.com/jose"},
        token=account.access,
    )
    assert linked.json["mentor"]["meeting_url"] == "https://meet.example.com/jose"
    shown = (await api.get(f"/api/mentors/{account.id}/")).json["mentor"]
    assert "meeting_url" not in shown
    for bad in ("http://meet.example.com", "not a url", 5):
        refused = await api.put(
            "/api/me/mentor-profile", {**PROFILE, "meeting_url": bad}, token=account.access
        )
        assert refused.status == 400 and "meeting_url" in refused.json["error"]["fields"]
    # Replacing the profile keeps the listing date.
    again = await api.put(
        "/api/me/mentor-profile", {**PROFILE, "headline": "New"}, token=account.access
    )
    assert again.json["mentor"]["headline"] == "New"
    assert again.json["mentor"]["listed_at"] == mentor["listed_at"]


async def test_mentor_profile_needs_auth(api: ApiClient):
    assert_error(await api.put("/api/me/mentor-profile", PROFILE), 401, "unauthorized")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "France"}, "country"),
        ({"country": {"$ne": ""}}, "country"),
        ({"languages": ["english"]}, "languages"),
        ({"languages": []}, "languages"),
        ({"languages": "en"}, "languages"),
        ({"specialties": []}, "specialties"),
        ({"specialties": [f"s{i}" for i in range(11)]}, "specialties"),
        ({"specialties": ["x" * 41]}, "specialties"),
        ({"specialties": [{"$gt": ""}]}, "specialties"),
        ({"years_experience": -1}, "years_experience"),
        ({"years_experience": 2.5}, "years_experience"),
        ({"years_experience": "8"}, "years_experience"),
        ({"years_experience": True}, "years_experience"),
        ({"available": "true"}, "available"),
        ({"available": 1}, "available"),
        ({"headline": ""}, "headline"),
        ({"headline": "x" * 121}, "headline"),
        ({"bio": "x" * 4001}, "bio"),
        ({"points": 5}, "points"),
    ],
)
async def test_mentor_profile_validation(api: ApiClient, change: dict, field: str):
    account = await api.register()
    response = await api.put("/api/me/mentor-profile", {**PROFILE, **change}, token=account.access)
    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert_error(await api.get(f"/api/mentors/{account.id}/"), 404, "not_found")


async def test_missing_profile_fields(api: ApiClient):
    account = await api.register()
    response = await api.put(
        "/api/me/mentor-profile", {"headline": "Only this"}, token=account.access
    )
    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == set(PROFILE) - {"headline"}


async def test_mentor_by_id_404s(api: ApiClient):
    mentee = await api.register()
    for mentor_id in (mentee.id, str(ObjectId()), "zzz"):
        assert_error(await api.get(f"/api/mentors/{mentor_id}/"), 404, "not_found")


async def test_only_mentors_are_listed(api: ApiClient):
    mentor = await make_mentor(api)
    await api.register()  # a mentee
    await api.register(role="mentor")  # said mentor, but no profile yet
    assert await list_ids(api) == [mentor.id]


async def test_filters(api: ApiClient):
    fr_python = await make_mentor(
        api, country="FR", specialties=["Python", "Leadership"], languages=["fr"]
    )
    de_go = await make_mentor(
        api, country="DE", specialties=["Go"], languages=["de", "en"], available=False
    )
    br_python = await make_mentor(
        api, country="BR", specialties=["python", "Data science"], languages=["pt", "en"]
    )
    assert set(await list_ids(api, country="fr")) == {fr_python.id}
    assert set(await list_ids(api, country="BR")) == {br_python.id}
    assert set(await list_ids(api, specialty="PYTHON")) == {fr_python.id, br_python.id}
    assert set(await list_ids(api, specialty=["python", "leadership"])) == {fr_python.id}
    assert set(await list_ids(api, specialty="data  science")) == {br_python.id}
    assert set(await list_ids(api, language="en")) == {de_go.id, br_python.id}
    assert set(await list_ids(api, available="true")) == {fr_python.id, br_python.id}
    assert set(await list_ids(api, available="false")) == {de_go.id}
    assert set(await list_ids(api, language="en", specialty="python")) == {br_python.id}
    assert await list_ids(api, country="JP") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"country": "ZZ"}, "country"),
        ({"language": "klingon"}, "language"),
        ({"sort": "random"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"available": "maybe"}, "available"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"q": "x" * 201}, "q"),
    ],
)
async def test_listing_validation(api: ApiClient, params: dict, field: str):
    response = await api.get("/api/mentors/?" + urlencode(params))
    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]


async def test_cursor_of_another_sort_is_refused(api: ApiClient):
    for _ in range(3):
        await make_mentor(api)
    first = (await api.get("/api/mentors/?sort=newest&limit=1")).json
    response = await api.get(f"/api/mentors/?sort=points&cursor={first['next_cursor']}")
    assert_error(response, 400, "validation_error")


async def test_accent_and_case_insensitive_search(api: ApiClient):
    jose = await make_mentor(api, "José Müller", headline="Ingénieure données")
    zoe = await make_mentor(api, "Zoë Ærøe", bio="Je parle français et j'adore l'écriture.")
    other = await make_mentor(api, "Plain Name", headline="Nothing special")
    assert await list_ids(api, q="jose") == [jose.id]
    assert await list_ids(api, q="JOSÉ") == [jose.id]
    assert await list_ids(api, q="muller") == [jose.id]
    assert await list_ids(api, q="ingenieure") == [jose.id]
    assert await list_ids(api, q="zoe") == [zoe.id]
    assert await list_ids(api, q="francais") == [zoe.id]
    assert await list_ids(api, q="ecriture") == [zoe.id]
    assert await list_ids(api, q="jos mul") == [jose.id]  # prefixes of every word
    assert await list_ids(api, q="jose zoe") == []  # every word must match
    assert set(await list_ids(api, q="python")) == {jose.id, zoe.id, other.id}
    assert set(await list_ids(api, q="")) == {jose.id, zoe.id, other.id}
    # Punctuation separates words and regex syntax means nothing: ".*" has no words at all.
    assert set(await list_ids(api, q=".*")) == {jose.id, zoe.id, other.id}
    assert await list_ids(api, q="jos[") == [jose.id]
    assert await list_ids(api, q="^mul$") == [jose.id]


async def test_search_follows_a_new_display_name(api: ApiClient):
    mentor = await make_mentor(api, "Old Name")
    await api.patch("/api/me", {"display_name": "Renée Nouvelle"}, token=mentor.access)
    assert await list_ids(api, q="renee") == [mentor.id]
    assert await list_ids(api, q="old") == []


async def test_relevance_ranks_headline_matches_before_bio_matches(api: ApiClient):
    in_bio = await make_mentor(api, "Bio Only", bio="Some rust on the side.", headline="Manager")
    in_headline = await make_mentor(api, "Headline", headline="Rust engineer", bio="Systems.")
    in_specialty = await make_mentor(api, "Specialist", specialties=["Rust"], available=False)
    ranked = await list_ids(api, q="rust")
    # Name/headline/specialty matches first (available ones before unavailable), then bio-only.
    assert ranked == [in_headline.id, in_specialty.id, in_bio.id]


async def test_sort_by_points_and_newest(api: ApiClient):
    mentors = [await make_mentor(api) for _ in range(4)]
    db = api.server.services.db
    for points, mentor in zip([30, 10, 40, 20], mentors, strict=True):
        await db.users.update_one({"_id": ObjectId(mentor.id)}, {"$set": {"points": points}})
    assert await list_ids(api, sort="points") == [mentors[i].id for i in (2, 0, 3, 1)]
    assert await list_ids(api, sort="newest") == [m.id for m in reversed(mentors)]


@pytest.mark.parametrize("sort", ["relevance", "newest", "points"])
async def test_pagination_has_no_duplicates_or_gaps(api: ApiClient, sort: str):
    created = await asyncio.gather(*(make_mentor(api, available=i % 3 != 0) for i in range(23)))
    db = api.server.services.db
    for i, mentor in enumerate(created):
        # Many ties on points, so the tie-breaker matters.
        await db.users.update_one({"_id": ObjectId(mentor.id)}, {"$set": {"points": i % 4}})
    pages = await walk(api, 5, sort=sort)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    seen = [mentor_id for page in pages for mentor_id in page]
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == {m.id for m in created}
    # Pages concatenated give the same order as one big page.
    assert seen == await list_ids(api, sort=sort, limit=100)


async def test_search_pagination_has_no_duplicates_or_gaps(api: ApiClient):
    created = [
        await make_mentor(
            api, headline=f"Rust mentor {i}" if i % 2 else "Manager", bio="I like rust."
        )
        for i in range(11)
    ]
    pages = await walk(api, 3, q="rust")
    seen = [mentor_id for page in pages for mentor_id in page]
    assert len(seen) == len(set(seen)) == 11
    assert set(seen) == {m.id for m in created}
    assert seen == await list_ids(api, q="rust", limit=100)


async def test_pagination_is_stable_when_mentors_join_between_pages(api: ApiClient):
    first_batch = [await make_mentor(api) for _ in range(6)]
    page = (await api.get("/api/mentors/?sort=newest&limit=3")).json
    await make_mentor(api)  # joins at the top of "newest" while the client pages
    rest = (await api.get(f"/api/mentors/?sort=newest&limit=10&cursor={page['next_cursor']}")).json
    ids = [m["id"] for m in page["results"] + rest["results"]]
    assert ids == [m.id for m in reversed(first_batch)]


async def test_default_limit_is_20(api: ApiClient):
    await asyncio.gather(*(make_mentor(api) for _ in range(21)))
    page = (await api.get("/api/mentors/")).json
    assert len(page["results"]) == 20
    assert page["next_cursor"]


async def test_a_directory_page_carries_an_etag_and_answers_304_while_unchanged(api: ApiClient):
    mentor = await make_mentor(api, "Etag Mentor", headline="Before")
    first = await api.get("/api/mentors/?limit=5")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = await api.get("/api/mentors/?limit=5", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    # Another query is another answer.
    other = await api.get("/api/mentors/?limit=5&q=nobody", headers={"If-None-Match": etag})
    assert other.status == 200 and other.headers["ETag"] != etag

    # A change made through this process shows at once, under a new ETag.
    edited = {**PROFILE, "headline": "After"}
    assert (await api.put("/api/me/mentor-profile", edited, token=mentor.access)).status == 200
    changed = await api.get("/api/mentors/?limit=5", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert changed.json["results"][0]["mentor"]["headline"] == "After"


async def test_a_change_made_by_another_process_shows_within_the_cache_time(api: ApiClient):
    """Another process's write does not reach this one's cache: the answer may be kept for
    HYPEE_DIRECTORY_CACHE_SECONDS (2), never longer."""
    mentor = await make_mentor(api, "Cached Mentor", headline="Before")
    services = api.server.services
    assert (await api.get("/api/mentors/")).json["results"][0]["mentor"]["headline"] == "Before"
    if conftest.TEST_MONGO_URI:
        client: AsyncMongoClient = AsyncMongoClient(conftest.TEST_MONGO_URI, tz_aware=True)
        elsewhere = client[services.settings.mongo_db]["users"]
    else:
        client, elsewhere = None, services.store.embedded_db["users"]
    try:
        await elsewhere.update_one(
            {"_id": ObjectId(mentor.id)}, {"$set": {"mentor.headline": "Elsewhere"}}
        )
    finally:
        if client is not None:
            await client.close()
    kept = await api.get("/api/mentors/")
    assert kept.json["results"][0]["mentor"]["headline"] == "Before"
    clock.advance(services.settings.directory_cache_seconds + 0.1)
    fresh = await api.get("/api/mentors/")
    assert fresh.json["results"][0]["mentor"]["headline"] == "Elsewhere"


async def test_a_reader_with_blocks_gets_a_page_of_their_own(api: ApiClient):
    mentor = await make_mentor(api, "Blocked Mentor")
    other = await make_mentor(api, "Other Mentor")
    reader = await api.register("Reader")
    assert set(await list_ids(api)) == {mentor.id, other.id}  # kept for everyone
    assert (await api.put(f"/api/me/blocks/{mentor.id}", {}, token=reader.access)).status in (
        200,
        201,
        204,
    )
    page = await api.get("/api/mentors/", token=reader.access)
    assert [m["id"] for m in page.json["results"]] == [other.id]
    assert page.headers["Cache-Control"] == "no-store" and "ETag" not in page.headers
    assert set(await list_ids(api)) == {mentor.id, other.id}
