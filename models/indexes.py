"""Every index the models need, gathered for creation at start-up."""

from __future__ import annotations

from pymongo import IndexModel

from models import (
    account_tokens,
    answers,
    audit,
    blocks,
    bookings,
    conversations,
    goals,
    jobs,
    mentors,
    mentorships,
    messages,
    notifications,
    outbox,
    points,
    push_subscriptions,
    questions,
    reports,
    reviews,
    sessions,
    uploads,
    users,
    votes,
)


def all_indexes() -> dict[str, list[IndexModel]]:
    """{collection: [IndexModel]} for every model module."""
    merged: dict[str, list[IndexModel]] = {}
    for module in (
        users,
        sessions,
        mentors,
        conversations,
        messages,
        uploads,
        questions,
        answers,
        votes,
        points,
        notifications,
        account_tokens,
        outbox,
        jobs,
        push_subscriptions,
        blocks,
        reports,
        audit,
        mentorships,
        goals,
        bookings,
        reviews,
    ):
        for collection, indexes in module.INDEXES.items():
            merged.setdefault(collection, []).extend(indexes)
    return merged
