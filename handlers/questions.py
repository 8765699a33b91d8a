"""The Q&A forum: questions, answers, votes, acceptance, and users' point histories."""

from __future__ import annotations

import dataclasses
from typing import Any

from bson import ObjectId

from handlers.base import BaseHandler
from handlers.common import require_may_reach_out
from hypee.errors import not_found
from hypee.openapi import Operation
from hypee.paging import PageQuerySchema, page_schema
from models import answers, points, questions, users, votes

QuestionPageSchema = page_schema(questions.QuestionSchema, "QuestionPage")
PointHistorySchema = page_schema(points.PointEventSchema, "PointHistory")


class ForumHandler(BaseHandler):
    @property
    def viewer_id(self) -> ObjectId | None:
        """The caller, when a token was sent (reads are public; `my_vote` needs a viewer)."""
        return self.identity.user_id if self.identity else None

    async def question_detail(self, question: dict[str, Any]) -> questions.QuestionDetailView:
        [view] = await questions.render(self.db, [question], self.viewer_id)
        replies = await answers.for_question(self.db, question["_id"], self.viewer_id)
        return {**view, "answers": replies}


UNVERIFIED = (
    "403 `email_unverified` when this deployment requires a verified email address "
    "(HYPEE_REQUIRE_VERIFIED_EMAIL) and the caller's is not."
)


class QuestionListHandler(ForumHandler):
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "List and search questions",
            query=questions.QuestionQuerySchema,
            response=QuestionPageSchema,
        ),
        "POST": Operation(
            "Ask a question",
            body=questions.NewQuestionSchema,
            response=questions.QuestionSchema,
            status=201,
            errors=(403,),
            description=UNVERIFIED,
        ),
    }

    async def get(self) -> None:
        params = self.load_query(questions.QuestionQuerySchema)
        page = await questions.listing(self.db, params)
        results = await questions.render(self.db, page.items, self.viewer_id)
        self.write_page(results, page.next_cursor)

    async def post(self) -> None:
        data = self.load_body(questions.NewQuestionSchema)
        await require_may_reach_out(self.services, self.user_id)
        question = await self.services.forum.ask(self.user_id, data)
        [view] = await questions.render(self.db, [question], self.user_id)
        self.write_json(view, 201)


class QuestionHandler(ForumHandler):
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "A question with its answers",
            response=questions.QuestionDetailSchema,
            description="Answers: the accepted one first, then by score, then oldest first.",
        ),
        "PATCH": Operation(
            "Edit your question",
            body=questions.EditQuestionSchema,
            response=questions.QuestionDetailSchema,
            errors=(403,),
        ),
        "DELETE": Operation(
            "Delete your question",
            response=None,
            errors=(403, 409),
            description="Its answers go too, and every point they brought anyone is taken back.",
        ),
    }

    async def get(self, question_id: str) -> None:
        question = await questions.get_live(self.db, self.path_id(question_id, "question"))
        self.write_json(await self.question_detail(question))

    async def patch(self, question_id: str) -> None:
        changes = self.load_body(questions.EditQuestionSchema)
        question = await self.services.forum.edit_question(
            self.path_id(question_id, "question"), self.user_id, changes
        )
        self.write_json(await self.question_detail(question))

    async def delete(self, question_id: str) -> None:
        await self.services.forum.delete_question(
            self.path_id(question_id, "question"), self.user_id
        )
        self.no_content()


class AnswerListHandler(ForumHandler):
    docs = {
        "POST": Operation(
            "Answer a question",
            body=answers.NewAnswerSchema,
            response=answers.AnswerSchema,
            status=201,
            errors=(403, 404),
            description=UNVERIFIED,
        )
    }

    async def post(self) -> None:
        data = self.load_body(answers.NewAnswerSchema)
        await require_may_reach_out(self.services, self.user_id)
        answer = await self.services.forum.answer(self.user_id, data)
        self.write_json(await answers.render(self.db, answer, self.user_id), 201)


class AnswerHandler(ForumHandler):
    docs = {
        "PATCH": Operation(
            "Edit your answer",
            body=answers.EditAnswerSchema,
            response=answers.AnswerSchema,
            errors=(403,),
        ),
        "DELETE": Operation(
            "Delete your answer",
            response=None,
            errors=(403, 409),
            description="Every point it brought anyone is taken back.",
        ),
    }

    async def patch(self, answer_id: str) -> None:
        data = self.load_body(answers.EditAnswerSchema)
        answer = await self.services.forum.edit_answer(
            self.path_id(answer_id, "answer"), self.user_id, data["body"]
        )
        self.write_json(await answers.render(self.db, answer, self.user_id))

    async def delete(self, answer_id: str) -> None:
        await self.services.forum.delete_answer(self.path_id(answer_id, "answer"), self.user_id)
        self.no_content()


class VoteHandler(ForumHandler):
    """POST /api/questions/{id}/vote and /api/answers/{id}/vote."""

    target_type = "question"
    docs = {
        "POST": Operation(
            "Vote on a question",
            body=votes.VoteSchema,
            response=votes.VoteResultSchema,
            errors=(403, 409),
            description="1 up, -1 down, 0 withdraws; one vote per user; not on your own post.",
        )
    }

    async def post(self, post_id: str) -> None:
        data = self.load_body(votes.VoteSchema)
        target = self.path_id(post_id, self.target_type)
        result = await self.services.votes.vote(
            self.target_type, target, self.user_id, data["value"]
        )
        self.write_json(result)


class AnswerVoteHandler(VoteHandler):
    target_type = "answer"
    docs = {"POST": dataclasses.replace(VoteHandler.docs["POST"], summary="Vote on an answer")}


class AcceptHandler(ForumHandler):
    docs = {
        "POST": Operation(
            "Accept an answer (the question's author)",
            response=answers.AnswerSchema,
            errors=(403, 409),
            description="A question has at most one accepted answer; accepting another moves it.",
        ),
        "DELETE": Operation(
            "Un-accept an answer (the question's author)",
            response=answers.AnswerSchema,
            errors=(403, 409),
        ),
    }

    async def post(self, answer_id: str) -> None:
        await self._accept(answer_id, True)

    async def delete(self, answer_id: str) -> None:
        await self._accept(answer_id, False)

    async def _accept(self, answer_id: str, accepted: bool) -> None:
        answer = await self.services.forum.accept(
            self.path_id(answer_id, "answer"), self.user_id, accepted
        )
        self.write_json(await answers.render(self.db, answer, self.user_id))


class PointHistoryHandler(BaseHandler):
    public_methods = frozenset({"GET"})
    docs = {
        "GET": Operation(
            "A user's point history, newest first",
            query=PageQuerySchema,
            response=PointHistorySchema,
        )
    }

    async def get(self, user_id: str) -> None:
        uid = self.path_id(user_id, "user")
        if await users.get_user(self.db, uid) is None:
            raise not_found("user")
        params = self.load_query(PageQuerySchema)
        page = await points.history(self.db, uid, params["limit"], params.get("cursor"))
        self.write_page([points.event_view(e) for e in page.items], page.next_cursor)
