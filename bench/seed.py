"""Stores for the benchmark, filled through the real services before the server starts.

`seed` writes, into the store the settings name: the fan-out groups (20 conversations of 4
members, each member with an access token), optionally a large population around them
(mentors, conversations, messages with their notifications), and sessions whose tokens the
idle-socket figure uses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from config import Settings
from hypee.db import Store
from models import mentors
from server.lifecycle import build_services, open_store
from services.container import Services

PASSWORD = "benchmark password"
COUNTRIES = ["FR", "DE", "BR", "JP", "NG", "IN", "US", "GB", "KE", "MX", "IT", "PL", "CA", "SE"]
SPECIALTIES = ["Python", "Go", "Rust", "React", "DevOps", "Data science", "Leadership", "UX"]
BATCH = 500


@dataclass
class Population:
    """How much to put around the fan-out groups."""

    mentors: int = 0
    conversations: int = 0
    messages: int = 0
    idle_sessions: int = 0
    # The fan-out groups with what sends have had to look at since: see `_feature`.
    featured: bool = False


@dataclass
class Seeded:
    """What the load generator needs: sockets of the fan-out groups, tokens for idle ones."""

    sockets: list[dict[str, str]] = field(default_factory=list)
    idle_tokens: list[str] = field(default_factory=list)


async def seed(settings: Settings, population: Population, groups: int = 20) -> Seeded:
    store = open_store(settings)
    services = build_services(settings, store)
    try:
        from models.indexes import all_indexes

        await store.ensure_indexes(all_indexes())
        return await _fill(store, services, population, groups)
    finally:
        await services.hub.stop()
        services.passwords.close()
        await store.close()


async def _fill(store: Store, services: Services, population: Population, groups: int) -> Seeded:
    rng = random.Random(2026)
    seeded = Seeded()
    people: list[dict[str, Any]] = []
    for group in range(groups):
        members = [await _account(services, f"member{group}-{n}") for n in range(4)]
        people += members
        away = [await _account(services, f"away{group}")] if population.featured else []
        cid = await _conversation(services, members + away)
        if population.featured:
            await _feature(services, cid, members, away[0])
        for member in members:
            token = await _token(services, member)
            seeded.sockets.append({"path": "/ws", "token": token, "conversation": str(cid)})
    for first in range(0, population.mentors, BATCH):
        async with store.atomic():
            for n in range(first, min(first + BATCH, population.mentors)):
                user = await _account(services, f"mentor{n}")
                await mentors.set_profile(store.db, user["_id"], _profile(rng))
                people.append(user)
    conversations = []
    for first in range(0, population.conversations, BATCH):
        async with store.atomic():
            for _ in range(first, min(first + BATCH, population.conversations)):
                members = rng.sample(people, rng.choice((2, 2, 3, 4)))
                conversations.append((await _conversation(services, members), members))
    for first in range(0, population.messages, BATCH):
        async with store.atomic():
            for n in range(first, min(first + BATCH, population.messages)):
                cid, members = conversations[n % len(conversations)]
                data = {"client_id": f"seed-{n}", "body": f"message {n}", "attachments": []}
                await services.messages.send(cid, rng.choice(members)["_id"], data)
    for n in range(population.idle_sessions):
        seeded.idle_tokens.append(await _token(services, people[n % len(people)]))
    return seeded


async def _feature(
    services: Services, cid: Any, members: list[dict[str, Any]], away: dict[str, Any]
) -> None:
    """A group as sends now find them: one member blocked another (whose messages reach them
    folded), one muted it, one changed their notification settings, and a fifth member is
    away (no socket) with email and a push subscription, so their notification is made and
    their email and push are queued. Push endpoints refuse connections (a closed loopback
    port), so a delivery that comes due fails at once and is retried later."""
    await services.blocking.block(members[2]["_id"], members[1]["_id"])
    await services.blocking.mute(cid, members[3]["_id"], True)
    changes = {"digest": "daily", "push": {"messages": False, "forum": True, "mentorship": True}}
    await services.preferences.update(members[0]["_id"], changes)
    keys = {"p256dh": _P256DH, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}
    await services.push.subscribe(away["_id"], f"http://127.0.0.1:9/push/{away['_id']}", keys)


# An uncompressed P-256 public key (the curve's generator point), as subscriptions carry.
_P256DH = "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"


async def _account(services: Services, name: str) -> dict[str, Any]:
    data = {
        "email": f"{name}@bench.hypee.dev",
        "password": PASSWORD,
        "display_name": name.title(),
        "role": "mentee",
        "email_verified": True,  # as demo accounts: no verification emails queued
    }
    return await services.accounts.register(data)


async def _conversation(services: Services, members: list[dict[str, Any]]) -> Any:
    data = {"participant_ids": [m["_id"] for m in members[1:]]}
    conversation, _ = await services.conversations.open(members[0]["_id"], data)
    return conversation["_id"]


async def _token(services: Services, user: dict[str, Any]) -> str:
    return (await services.accounts.open_session(user, "bench", "127.0.0.1"))["access"]


def _profile(rng: random.Random) -> dict[str, Any]:
    return {
        "headline": rng.choice(["Staff engineer", "Designer", "Engineering manager"]),
        "bio": "I mentor people who are starting out.",
        "country": rng.choice(COUNTRIES),
        "specialties": rng.sample(SPECIALTIES, 2),
        "languages": ["en"],
        "years_experience": rng.randint(1, 30),
        "available": rng.random() < 0.7,
    }
