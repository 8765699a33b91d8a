"""Building and tearing down one process's services: stores, clients, domain services, tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pymongo.errors import PyMongoError

from config import Settings
from hypee.admission import SendAdmission
from hypee.answer_cache import AnswerCache
from hypee.auth import PasswordService, TokenService
from hypee.db import Store, connect_mongo, open_embedded
from hypee.embedded.documents import UndecodableDocument
from hypee.health import Health
from hypee.inflight import Inflight
from hypee.mail.transport import FolderTransport, SmtpTransport, Transport
from hypee.metrics import Metrics
from hypee.pagination import configure_cursors
from hypee.ratelimit import AuthLimits, Limiter, RateLimiter
from hypee.realtime.hub import Hub
from hypee.storage import open_storage
from models import jobs, mentors, migrations, outbox
from models.indexes import all_indexes
from services.accounts import AccountService
from services.attachments import AttachmentService
from services.blocking import Blocking
from services.container import Services
from services.conversations import ConversationService
from services.credentials import Credentials
from services.deletion import AccountDeletion
from services.delivery import DueWork
from services.digests import Digests
from services.exports import DataExports
from services.forum import ForumService
from services.forum_live import ForumLive
from services.goals import Goals
from services.mail import Mailer
from services.mentorships import Mentorships
from services.messages import MessageService
from services.missed import MissedMessages
from services.moderation import Moderation
from services.notifier import Notifier
from services.preferences import Preferences
from services.push import PushService
from services.reviews import Reviews
from services.scheduling import Scheduling
from services.session_notices import SessionNotices
from services.votes import VoteService

if TYPE_CHECKING:  # Redis's client is loaded only when HYPEE_REDIS_URL asks for it
    from hypee.realtime.bridge import RedisBridge

log = logging.getLogger("hypee.services")

HEALTH_INTERVAL_SECONDS = 15
EXPIRY_SECONDS = 60
INDEX_RETRY_SECONDS = 5
DUE_WORK_TASK = "due-work"
DUE_WORK_STOP_SECONDS = 10
# Password resets and verification links one address may be sent per hour.
ACCOUNT_EMAILS_PER_HOUR = 5


@dataclass
class Running:
    """Started services and the background tasks that run until they stop."""

    services: Services
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def spawn(self, coroutine: Awaitable[None], name: str) -> None:
        """Run a background task until the services stop."""
        self.tasks.append(asyncio.ensure_future(coroutine))
        self.tasks[-1].set_name(name)


async def _every(seconds: float, action: Callable[[], Awaitable[object]], what: str) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await action()
        except Exception:
            log.exception("periodic task failed", extra={"task": what})


async def _ensure_indexes(store: Store) -> None:
    while True:
        try:
            await store.ensure_indexes(all_indexes())
            await migrations.run(store.db)
            return
        except PyMongoError as exc:
            log.warning("index creation failed; retrying", extra={"error": repr(exc)})
            await asyncio.sleep(INDEX_RETRY_SECONDS)


def _limiter(bridge: RedisBridge | None, name: str, limit: int, window: float) -> Limiter:
    if bridge is None:
        return RateLimiter(limit, window)
    from hypee.shared_ratelimit import SharedRateLimiter

    return SharedRateLimiter(bridge.redis, name, limit, window, lambda: bridge.connected)


def _bridge(redis_url: str, hub: Hub) -> RedisBridge:
    from hypee.realtime.bridge import RedisBridge

    return RedisBridge(redis_url, hub)


def _mail_transport(settings: Settings) -> Transport | None:
    """SMTP when HYPEE_SMTP_URL is set; otherwise .eml files in the data directory, except in
    production, where mail is then disabled (nobody would read the folder)."""
    if settings.smtp_url:
        return SmtpTransport.from_url(settings.smtp_url)
    if settings.env == "production":
        return None
    return FolderTransport(Path(settings.data_dir) / "mail")


def build_services(settings: Settings, store: Store) -> Services:
    """Wire every service of one process around `store` (nothing is started yet)."""
    configure_cursors(settings.jwt_secret)
    watched = store.watch([mentors.COLLECTION])
    directory = AnswerCache(watched, mentors.COLLECTION, settings.directory_cache_seconds)
    metrics = Metrics()
    due_work = DueWork(
        store, metrics, settings.due_work_poll_seconds, settings.delivery_retry_seconds
    )
    mailer = Mailer(store, settings, _mail_transport(settings), due_work.wake)
    if mailer.transport is not None:
        transport = mailer.transport

        async def send_email(entry: outbox.OutboxDocument) -> None:
            await transport.send(mailer.message_of(entry))

        due_work.deliver_with("email", send_email)
    storage = open_storage(settings)
    hub = Hub()
    bridge = _bridge(settings.redis_url, hub) if settings.redis_url else None
    db = store.db
    tokens = TokenService(settings.jwt_secret, settings.access_token_seconds)
    notifier = Notifier(store, hub, mailer, settings.missed_message_delay_seconds)
    push = PushService(store, settings, due_work.wake)
    due_work.deliver_with("push", push.deliver)
    due_work.run_jobs_with(jobs.HELD_PUSH, push.send_held)
    missed = MissedMessages(store, mailer)
    due_work.run_jobs_with(jobs.MISSED_MESSAGES, missed.run)
    due_work.run_jobs_with(jobs.HELD_EMAIL, missed.run)
    attachments = AttachmentService(
        db, storage, settings.max_upload_bytes, settings.upload_content_types
    )
    send_rate = (
        _limiter(bridge, "send", settings.send_rate_per_10s, 10)
        if settings.send_rate_per_10s
        else None
    )
    admission = SendAdmission(settings.max_sends_in_flight, send_rate, metrics.sends_shed)
    messages = MessageService(store, hub, attachments, notifier, metrics, admission)
    conversations = ConversationService(
        store, hub, messages, notifier, settings.new_conversations_per_day
    )
    live = ForumLive(db, hub)
    passwords = PasswordService(settings.argon2_time_cost, settings.argon2_memory_kib)
    digests = Digests(store, mailer)
    preferences = Preferences(store, digests)
    credentials = Credentials(store, hub, passwords, mailer, preferences)
    due_work.run_jobs_with(jobs.DIGEST, digests.run)
    data_exports = DataExports(store, storage, mailer, settings.export_link_hours)
    due_work.run_jobs_with(jobs.EXPORT, data_exports.run)
    notices = SessionNotices(store, notifier, messages, mailer)
    due_work.run_jobs_with(jobs.SESSION_REMINDER, notices.remind)
    scheduling = Scheduling(store, notices, settings.session_change_hours)
    mentorship_service = Mentorships(
        store, notifier, conversations, messages, scheduling, settings.request_expiry_days
    )
    due_work.run_jobs_with(jobs.REQUEST_EXPIRY, mentorship_service.expire)
    hub.on_presence = conversations.announce_presence
    metrics.websocket_connections.set_function(lambda: hub.connection_count)
    if store.engine is not None:
        metrics.watch_store(store.engine.stats)
    return Services(
        settings=settings,
        store=store,
        tokens=tokens,
        auth_limits=AuthLimits(
            login_failures_by_email=_limiter(
                bridge, "login-failures", settings.login_failures_per_min, 60
            ),
            attempts_by_ip=_limiter(bridge, "auth-ip", settings.auth_attempts_per_ip_per_min, 60),
            emails_by_address=_limiter(bridge, "account-emails", ACCOUNT_EMAILS_PER_HOUR, 3600),
        ),
        metrics=metrics,
        health=Health(
            {
                "store": store.check,
                "storage": storage.check,
                "redis": bridge.ping if bridge else None,
                "mail": _channel_check(due_work, "email") if mailer.enabled else None,
            },
            metrics,
        ),
        hub=hub,
        storage=storage,
        bridge=bridge,
        inflight=Inflight(),
        accounts=AccountService(
            store,
            hub,
            tokens,
            attachments,
            credentials,
            settings.refresh_token_seconds,
        ),
        attachments=attachments,
        messages=messages,
        conversations=conversations,
        forum=ForumService(store, notifier, live),
        votes=VoteService(store, live),
        notifier=notifier,
        mailer=mailer,
        credentials=credentials,
        preferences=preferences,
        due_work=due_work,
        push=push,
        blocking=Blocking(store, hub),
        moderation=Moderation(store, hub, live, settings.autohide_reports),
        exports=data_exports,
        deletion=AccountDeletion(store, hub, credentials, attachments, storage, mentorship_service),
        mentorships=mentorship_service,
        scheduling=scheduling,
        reviews=Reviews(store, notifier),
        goals=Goals(store),
        directory=directory,
    )


def _channel_check(due_work: DueWork, channel: outbox.Channel) -> Callable[[], Awaitable[str]]:
    async def check() -> str:
        return due_work.status(channel)

    return check


def open_store(settings: Settings, *, accept_loss: bool = False) -> Store:
    """The document store the settings name: MongoDB, or the embedded engine (which refuses a
    database that lost acknowledged commits, unless `accept_loss`)."""
    if settings.embedded_store:
        return open_embedded(
            settings.mongo_db,
            settings.data_dir,
            strict=settings.env == "test",
            accept_loss=accept_loss,
        )
    return connect_mongo(settings.mongo_uri or "", settings.mongo_db, settings.mongo_timeout_ms)


async def start_services(settings: Settings) -> Running:
    """Open the stores and start the background tasks of one server process."""
    store = open_store(settings)
    services = build_services(settings, store)
    running = Running(services)
    if services.bridge is not None:
        await services.bridge.start()
    try:
        await asyncio.wait_for(store.ensure_indexes(all_indexes()), 10)
        await migrations.run(store.db)
        log.info("units of work", extra={"each_is": await store.describe_units()})
    except UndecodableDocument:
        # Logged with its collection and row; the rest of the store serves, and the
        # migrations run again at the next start (after `run.py --repair`).
        log.error("migrations skipped: a stored document cannot be decoded")
    except (PyMongoError, TimeoutError) as exc:
        log.warning("MongoDB not reachable at start; will keep trying", extra={"error": repr(exc)})
        running.spawn(_ensure_indexes(store), "ensure-indexes")
    try:
        await services.storage.prepare()
    except Exception as exc:  # storage down at start: the rest of the service still works
        log.warning("attachment storage not ready", extra={"error": repr(exc)})
    running.spawn(
        _every(settings.upload_purge_seconds, services.attachments.purge_expired, "upload purge"),
        "upload-purge",
    )
    if store.embedded:
        running.spawn(_every(EXPIRY_SECONDS, store.expire, "ttl expiry"), "ttl-expiry")
    running.spawn(_every(HEALTH_INTERVAL_SECONDS, services.health.check_all, "health"), "health")
    try:
        await services.push.start()
        services.notifier.pushes_enabled = True
    except Exception as exc:  # the store not answering yet: pushes start with the next process
        log.warning("web push not started", extra={"error": repr(exc)})
    running.spawn(services.due_work.run(), DUE_WORK_TASK)
    if services.mailer.transport is None:
        log.warning("mail disabled: set HYPEE_SMTP_URL to send emails")
    else:
        log.info("mail", extra={"transport": services.mailer.transport.describe()})
    return running


async def stop_services(running: Running) -> None:
    """Stop background tasks, commit what is pending and close every client."""
    running.services.due_work.stop()
    for task in running.tasks:
        if task.get_name() == DUE_WORK_TASK:  # let it finish the email or job in hand
            await asyncio.wait([task], timeout=DUE_WORK_STOP_SECONDS)
        task.cancel()
    for task in running.tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    running.tasks.clear()
    services = running.services
    await services.hub.stop()
    if services.bridge is not None:
        await services.bridge.stop()
    await services.store.close()
    services.passwords.close()
    services.storage.close()
