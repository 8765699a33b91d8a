"""The long-lived objects of one server process, built once and reached through the application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from config import Settings
from hypee.answer_cache import AnswerCache
from hypee.auth import PasswordService, TokenService
from hypee.db import Store
from hypee.health import Health
from hypee.inflight import Inflight
from hypee.metrics import Metrics
from hypee.ratelimit import AuthLimits
from hypee.realtime.hub import Hub
from hypee.storage import Storage
from services.accounts import AccountService
from services.attachments import AttachmentService
from services.blocking import Blocking
from services.conversations import ConversationService
from services.credentials import Credentials
from services.deletion import AccountDeletion
from services.delivery import DueWork
from services.exports import DataExports
from services.forum import ForumService
from services.goals import Goals
from services.mail import Mailer
from services.mentorships import Mentorships
from services.messages import MessageService
from services.moderation import Moderation
from services.notifier import Notifier
from services.preferences import Preferences
from services.push import PushService
from services.reviews import Reviews
from services.scheduling import Scheduling
from services.votes import VoteService

if TYPE_CHECKING:  # loaded only with HYPEE_REDIS_URL (server/lifecycle.py)
    from hypee.realtime.bridge import RedisBridge


@dataclass
class Services:
    """Everything handlers reach through `self.services` (server/lifecycle.py builds it)."""

    settings: Settings
    store: Store
    tokens: TokenService
    auth_limits: AuthLimits
    metrics: Metrics
    health: Health
    hub: Hub
    storage: Storage
    bridge: RedisBridge | None
    inflight: Inflight
    accounts: AccountService
    attachments: AttachmentService
    messages: MessageService
    conversations: ConversationService
    forum: ForumService
    votes: VoteService
    notifier: Notifier
    mailer: Mailer
    credentials: Credentials
    preferences: Preferences
    due_work: DueWork
    push: PushService
    blocking: Blocking
    moderation: Moderation
    exports: DataExports
    deletion: AccountDeletion
    mentorships: Mentorships
    scheduling: Scheduling
    reviews: Reviews
    goals: Goals
    directory: AnswerCache

    @property
    def db(self) -> Any:
        """The database handle models take (reads go straight to the models)."""
        return self.store.db

    @property
    def passwords(self) -> PasswordService:
        return self.accounts.passwords
