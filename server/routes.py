"""The route table: every URL the server answers and the handler class of each."""

from __future__ import annotations

from typing import Any

from config import Settings
from handlers import (
    account_data,
    auth,
    conversations,
    credentials,
    mentors,
    mentorships,
    moderation,
    notification_settings,
    notifications,
    ops,
    push,
    questions,
    safety,
    scheduling,
    uploads,
    ws,
)
from handlers.base import implemented_methods
from hypee.fields import any_case_pattern
from hypee.openapi import build_spec
from hypee.routing import Route
from models.frames import frame_components

ROUTES = [
    Route("/api/auth/register", auth.RegisterHandler),
    Route("/api/auth/login", auth.LoginHandler),
    Route("/api/auth/refresh", auth.RefreshHandler),
    Route("/api/auth/logout", auth.LogoutHandler),
    Route("/api/auth/verify-email", credentials.VerifyEmailHandler),
    Route("/api/auth/verify-email/resend", credentials.ResendVerificationHandler),
    Route("/api/auth/password/forgot", credentials.ForgotPasswordHandler),
    Route("/api/auth/password/reset", credentials.ResetPasswordHandler),
    Route("/api/me", auth.MeHandler),
    Route("/api/me/password", credentials.ChangePasswordHandler),
    Route("/api/me/email", credentials.ChangeEmailHandler),
    Route("/api/me/notification-settings", notification_settings.NotificationSettingsHandler),
    Route("/api/unsubscribe/{token}", notification_settings.UnsubscribeHandler),
    Route("/api/push/public-key", push.PublicKeyHandler),
    Route("/api/push/subscriptions", push.SubscriptionListHandler),
    Route("/api/push/subscriptions/{subscription_id}", push.SubscriptionHandler),
    Route("/api/me/mentor-profile", auth.MentorProfileHandler),
    Route("/api/me/export", account_data.ExportHandler),
    Route("/api/me/availability", scheduling.AvailabilityHandler),
    Route("/api/me/blocks/", safety.BlockListHandler),
    Route("/api/me/blocks/{user_id}", safety.BlockHandler),
    Route("/api/me/muted-conversations/", safety.MutedListHandler),
    Route("/api/reports/", safety.ReportListHandler),
    Route("/api/reports/{report_id}", safety.ReportHandler),
    Route("/api/moderation/reports/", moderation.CaseListHandler),
    Route("/api/moderation/reports/{case_id}", moderation.CaseHandler),
    Route("/api/moderation/actions/", moderation.ActionHandler),
    Route("/api/moderation/audit/", moderation.AuditHandler),
    Route("/api/users/{user_id}", auth.UserHandler),
    Route("/api/users/{user_id}/roles", moderation.RolesHandler),
    Route("/api/users/{user_id}/avatar", uploads.AvatarHandler),
    Route("/api/users/{user_id}/points", questions.PointHistoryHandler),
    Route("/api/mentors/", mentors.MentorListHandler),
    Route("/api/mentors/{mentor_id}/", mentors.MentorHandler),
    Route("/api/mentors/{mentor_id}/slots/", scheduling.SlotListHandler),
    Route("/api/mentors/{mentor_id}/reviews/", mentorships.MentorReviewListHandler),
    Route("/api/mentorships/", mentorships.MentorshipListHandler),
    Route("/api/mentorships/{mentorship_id}", mentorships.MentorshipHandler),
    Route("/api/mentorships/{mentorship_id}/accept", mentorships.AcceptHandler),
    Route("/api/mentorships/{mentorship_id}/decline", mentorships.DeclineHandler),
    Route("/api/mentorships/{mentorship_id}/withdraw", mentorships.WithdrawHandler),
    Route("/api/mentorships/{mentorship_id}/complete", mentorships.CompleteHandler),
    Route("/api/mentorships/{mentorship_id}/end", mentorships.EndHandler),
    Route("/api/mentorships/{mentorship_id}/goals/", mentorships.GoalListHandler),
    Route("/api/mentorships/{mentorship_id}/sessions/", scheduling.SessionListHandler),
    Route("/api/mentorships/{mentorship_id}/sessions/{session_id}", scheduling.SessionHandler),
    Route("/api/mentorships/{mentorship_id}/review", mentorships.ReviewHandler),
    Route("/api/mentorships/{mentorship_id}/review/reply", mentorships.ReviewReplyHandler),
    Route("/api/goals/{goal_id}", mentorships.GoalHandler),
    Route("/api/conversations/", conversations.ConversationListHandler),
    Route("/api/conversations/{conversation_id}/", conversations.ConversationHandler),
    Route("/api/conversations/{conversation_id}/messages/", conversations.MessageListHandler),
    Route("/api/conversations/{conversation_id}/messages/{seq}/", conversations.MessageHandler),
    Route("/api/conversations/{conversation_id}/read", conversations.ReadHandler),
    Route("/api/conversations/{conversation_id}/mute", safety.MuteHandler),
    Route("/api/conversations/{conversation_id}/changes/", conversations.ChangesHandler),
    Route("/api/conversations/{conversation_id}/members/", conversations.MembersHandler),
    Route("/api/conversations/{conversation_id}/members/{user_id}/", conversations.MemberHandler),
    Route("/api/questions/", questions.QuestionListHandler),
    Route("/api/questions/{question_id}/", questions.QuestionHandler),
    Route("/api/questions/{post_id}/vote", questions.VoteHandler),
    Route("/api/answers/", questions.AnswerListHandler),
    Route("/api/answers/{answer_id}/", questions.AnswerHandler),
    Route("/api/answers/{post_id}/vote", questions.AnswerVoteHandler),
    Route("/api/answers/{answer_id}/accept", questions.AcceptHandler),
    Route("/api/notifications/", notifications.NotificationListHandler),
    Route("/api/notifications/read", notifications.NotificationReadHandler),
    Route("/api/uploads/", uploads.UploadHandler),
    Route("/api/attachments/{attachment_id}", uploads.AttachmentHandler),
    Route("/files/{key}", uploads.LocalFileHandler),
    Route("/api/openapi.json", ops.OpenApiHandler),
    Route("/healthz", ops.HealthzHandler),
    Route("/readyz", ops.ReadyzHandler),
    Route("/metrics", ops.MetricsHandler),
]


SOCKET_ROUTES = [
    Route("/ws", ws.SocketHandler),
    Route("/ws/chat/{conversation_id}/", ws.SocketHandler),
]


def openapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The OpenAPI document of every route, with this deployment's limits when `settings`
    are given (the upload size and content types it accepts)."""
    spec = build_spec(
        ROUTES + SOCKET_ROUTES,
        methods_of=implemented_methods,
        public_methods_of=lambda handler: handler.public_methods,
        extra_components=frame_components,
    )
    if settings is not None:
        upload = spec["components"]["schemas"]["NewUpload"]["properties"]
        upload["size"]["maximum"] = settings.max_upload_bytes
        # The type before any parameters (";charset=...") is compared case-insensitively.
        parameters = r"(?:;[\s\S]*)?"
        upload["content_type"]["pattern"] = any_case_pattern(
            settings.upload_content_types, parameters
        )
    return spec
