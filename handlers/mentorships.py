"""Mentorships: requests and their answers, goals, and reviews. Everything about a mentorship
is 404 to anyone but its mentor and mentee (reviews are public on the mentor's profile)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from marshmallow import fields

from handlers.base import BaseHandler
from hypee.dbapi import DocumentDatabase
from hypee.errors import not_found
from hypee.openapi import Operation
from hypee.paging import PageQuerySchema, page_schema
from models import bookings, goals, mentors, mentorships, reviews, users
from models.mentorships import MentorshipDocument

MentorshipPageSchema = page_schema(mentorships.MentorshipSchema, "MentorshipPage")
ReviewPageSchema = page_schema(reviews.ReviewSchema, "ReviewPage")


class MentorshipDetailSchema(mentorships.MentorshipSchema):
    goals = fields.List(fields.Nested(goals.GoalSchema), required=True)
    sessions = fields.List(fields.Nested(bookings.SessionSchema), required=True)
    review = fields.Nested(reviews.ReviewSchema, required=True, allow_none=True)


async def mentorship_views(
    handler: BaseHandler,
    found: list[MentorshipDocument],
    their_reviews: dict[ObjectId, reviews.ReviewDocument] | None = None,
) -> list[dict[str, Any]]:
    """MentorshipSchema data of `found` for the caller (`their_reviews`: read here unless
    the caller has them)."""
    db: DocumentDatabase = handler.db
    ids = {m["mentor_id"] for m in found} | {m["mentee_id"] for m in found}
    people = await users.public_users(db, ids)
    names = {uid: person["display_name"] for uid, person in people.items()}
    if their_reviews is None:
        their_reviews = await reviews.of_mentorships(db, [m["_id"] for m in found])
    service = handler.services.mentorships
    return [
        mentorships.view(
            mentorship,
            handler.user_id,
            names,
            expires_at=service.expires_at(mentorship),
            review_id=their_reviews[mentorship["_id"]]["_id"]
            if mentorship["_id"] in their_reviews
            else None,
        )
        for mentorship in found
    ]


class MentorshipListHandler(BaseHandler):
    docs = {
        "GET": Operation(
            "The caller's mentorships, most recently changed first",
            query=mentorships.MentorshipQuerySchema,
            response=MentorshipPageSchema,
        ),
        "POST": Operation(
            "Ask a mentor for a mentorship",
            body=mentorships.NewMentorshipSchema,
            response=mentorships.MentorshipSchema,
            status=201,
            errors=(403, 404, 409),
            description="Pending until the mentor accepts or declines it, the mentee withdraws "
            "it, or HYPEE_REQUEST_EXPIRY_DAYS (7) pass (`expired`). 409 `at_capacity` when the "
            "mentor is full or not taking mentees, `pending_limit` with 3 requests waiting, "
            "`conflict` when one to this mentor is waiting (with its `mentorship_id`) or they "
            "are already the caller's mentor. 403 `blocked` between people where either "
            "blocked the other.",
        ),
    }

    async def get(self) -> None:
        params = self.load_query(mentorships.MentorshipQuerySchema)
        page = await mentorships.listing(self.db, self.user_id, params)
        self.write_page(await mentorship_views(self, page.items), page.next_cursor)

    async def post(self) -> None:
        data = self.load_body(mentorships.NewMentorshipSchema)
        created = await self.services.mentorships.request(self.user_id, data)
        [view] = await mentorship_views(self, [created])
        self.write_json(view, 201)


class MentorshipHandler(BaseHandler):
    docs = {
        "GET": Operation(
            "One of the caller's mentorships, with its goals, sessions and review",
            response=MentorshipDetailSchema,
        )
    }

    async def get(self, mentorship_id: str) -> None:
        mentorship = await mentorships.of_member(
            self.db, self.path_id(mentorship_id, "mentorship"), self.user_id
        )
        their_reviews = await reviews.of_mentorships(self.db, [mentorship["_id"]])
        [view] = await mentorship_views(self, [mentorship], their_reviews)
        scheduling = self.services.scheduling
        meeting_url = await scheduling.notices.meeting_url(mentorship["mentor_id"])
        review = their_reviews.get(mentorship["_id"])
        mentee_name = view["mentee"]["display_name"]
        view.update(
            goals=[goals.view(g) for g in await goals.of_mentorship(self.db, mentorship["_id"])],
            sessions=[
                bookings.view(b, meeting_url, scheduling.change_notice)
                for b in await bookings.of_mentorship(self.db, mentorship["_id"])
            ],
            review=reviews.view(review, mentee_name) if review else None,
        )
        self.write_json(view)


def _transition(action: str, summary: str, who: str, with_reason: bool) -> type[BaseHandler]:
    """The handler of POST /api/mentorships/{id}/<action>."""
    leaves, makes, _ = mentorships.TRANSITIONS[action]

    class TransitionHandler(BaseHandler):
        docs = {
            "POST": Operation(
                summary,
                body=mentorships.ReasonSchema if with_reason else None,
                response=mentorships.MentorshipSchema,
                errors=(403, 409),
                description=f"By the {who}, from `{leaves}` to `{makes}`. 409 `conflict` from any "
                "other state, with `state` (the state it is in); 403 for the other side."
                + (
                    " 409 `at_capacity` when the mentor has no place left. Opens (or reuses) "
                    "the direct conversation, with a system message."
                    if action == "accept"
                    else ""
                ),
            )
        }

        async def post(self, mentorship_id: str) -> None:
            reason = ""
            if with_reason and (self.body.data or self.body.too_large):  # the body is optional
                reason = self.load_body(mentorships.ReasonSchema)["reason"]
            moved = await self.services.mentorships.act(
                self.user_id, self.path_id(mentorship_id, "mentorship"), action, reason
            )
            [view] = await mentorship_views(self, [moved])
            self.write_json(view)

    TransitionHandler.__name__ = TransitionHandler.__qualname__ = f"{action.title()}Handler"
    return TransitionHandler


AcceptHandler = _transition("accept", "Accept a mentorship request", "mentor", False)
DeclineHandler = _transition("decline", "Decline a mentorship request", "mentor", True)
WithdrawHandler = _transition("withdraw", "Withdraw a mentorship request", "mentee", False)
CompleteHandler = _transition("complete", "Mark a mentorship completed", "mentor or mentee", False)
EndHandler = _transition("end", "End a mentorship", "mentor or mentee", True)


class GoalListHandler(BaseHandler):
    docs = {
        "GET": Operation("A mentorship's goals, oldest first", response=goals.GoalListSchema),
        "POST": Operation(
            "Add a goal to a mentorship",
            body=goals.NewGoalSchema,
            response=goals.GoalSchema,
            status=201,
            errors=(409,),
            description="Either side, while pending or accepted (409 otherwise); at most 30.",
        ),
    }

    async def get(self, mentorship_id: str) -> None:
        mentorship = await mentorships.of_member(
            self.db, self.path_id(mentorship_id, "mentorship"), self.user_id
        )
        found = await goals.of_mentorship(self.db, mentorship["_id"])
        self.write_json({"results": [goals.view(g) for g in found]})

    async def post(self, mentorship_id: str) -> None:
        data = self.load_body(goals.NewGoalSchema)
        goal = await self.services.goals.add(
            self.user_id, self.path_id(mentorship_id, "mentorship"), data["text"]
        )
        self.write_json(goals.view(goal), 201)


class GoalHandler(BaseHandler):
    docs = {
        "PATCH": Operation(
            "Edit a goal or tick it off",
            body=goals.GoalChangeSchema,
            response=goals.GoalSchema,
            errors=(409,),
            description="`done: true` records who and when; `done: false` clears them.",
        )
    }

    async def patch(self, goal_id: str) -> None:
        data = self.load_body(goals.GoalChangeSchema)
        goal = await self.services.goals.change(self.user_id, self.path_id(goal_id, "goal"), data)
        self.write_json(goals.view(goal))


class ReviewHandler(BaseHandler):
    docs = {
        "PUT": Operation(
            "Review a mentorship (the mentee), or edit the review",
            body=reviews.ReviewInSchema,
            response=reviews.ReviewSchema,
            status=201,
            errors=(403, 409),
            also={200: {"$ref": "#/components/schemas/Review"}},
            description="Once the mentorship is completed or one of its sessions has taken "
            "place (409 before). One per mentorship: 201 when created, 200 for an edit, "
            "possible for 14 days (409 after). The mentor's rating follows.",
        )
    }

    async def put(self, mentorship_id: str) -> None:
        data = self.load_body(reviews.ReviewInSchema)
        review, created = await self.services.reviews.write(
            self.user_id, self.path_id(mentorship_id, "mentorship"), data
        )
        name = await users.display_name(self.db, review["mentee_id"])
        self.write_json(reviews.view(review, name), 201 if created else 200)


class ReviewReplyHandler(BaseHandler):
    docs = {
        "PUT": Operation(
            "Answer the review of a mentorship (the mentor, once)",
            body=reviews.ReplySchema,
            response=reviews.ReviewSchema,
            errors=(403, 409),
        )
    }

    async def put(self, mentorship_id: str) -> None:
        data = self.load_body(reviews.ReplySchema)
        review = await self.services.reviews.reply(
            self.user_id, self.path_id(mentorship_id, "mentorship"), data["text"]
        )
        name = await users.display_name(self.db, review["mentee_id"])
        self.write_json(reviews.view(review, name))


class MentorReviewListHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "A mentor's reviews, newest first",
            query=PageQuerySchema,
            response=ReviewPageSchema,
            description="Public. A review a moderator removed shows `hidden: true` and no text.",
        )
    }

    async def get(self, mentor_id: str) -> None:
        params = self.load_query(PageQuerySchema)
        mentor = await mentors.get_mentor(self.db, self.path_id(mentor_id, "mentor"))
        if mentor is None:
            raise not_found("mentor")
        page = await reviews.of_mentor(self.db, mentor["_id"], params)
        people = await users.public_users(self.db, [r["mentee_id"] for r in page.items])
        self.write_page(
            [
                reviews.view(
                    r, people[r["mentee_id"]]["display_name"] if r["mentee_id"] in people else ""
                )
                for r in page.items
            ],
            page.next_cursor,
        )
