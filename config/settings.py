"""Every setting of the server, read from HYPEE_* environment variables into one typed object."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_JWT_SECRET = "hypee-development-secret-do-not-use-in-production"

DEFAULT_UPLOAD_TYPES = (
    "image/jpeg,image/png,image/gif,image/webp,image/heic,"
    "application/pdf,text/plain,text/markdown,text/csv,"
    "application/msword,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.ms-excel,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
    "application/vnd.ms-powerpoint,"
    "application/vnd.openxmlformats-officedocument.presentationml.presentation,"
    "application/vnd.oasis.opendocument.text,application/vnd.oasis.opendocument.spreadsheet,"
    "audio/mpeg,audio/mp4,audio/aac,audio/ogg,audio/wav,audio/webm"
)


class ConfigError(ValueError):
    """A setting has a value the server cannot run with; the message is one line."""


def _text(raw: str) -> str:
    return raw.strip()


def _optional_text(raw: str) -> str | None:
    return raw.strip() or None


def _integer(minimum: int = 0) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _word_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {raw!r}")
        return value

    return parse


def _smtp_url(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in ("smtp", "smtps"):
        raise ValueError(f"expected smtp://host:port or smtps://host:port, got scheme {scheme!r}")
    return value


def _setting(
    env: str, default: Any, parse: Callable[[str], Any], help: str, secret: bool = False
) -> Any:
    return field(
        default=default,
        metadata={"env": env, "parse": parse, "help": help, "secret": secret},
    )


@dataclass(frozen=True)
class Settings:
    """The server's configuration. Build it with `Settings.from_env`; tests use `replace`.

    Longer than 200 lines on purpose: one declaration per setting (variable, default, parser,
    help line), so that `run.py --help` and this class can never disagree.
    """

    env: str = _setting(
        "HYPEE_ENV",
        "development",
        _choice("development", "production", "test"),
        "development or production; production refuses the default secret and the embedded store",
    )
    host: str = _setting("HYPEE_HOST", "127.0.0.1", _text, "address to listen on (--host)")
    port: int = _setting("HYPEE_PORT", 8000, _integer(0), "port to listen on (--port)")
    data_dir: str = _setting(
        "HYPEE_DATA_DIR",
        "./var",
        _text,
        "the embedded database (hypee.db) and local-disk attachments",
    )
    mongo_uri: str | None = _setting(
        "HYPEE_MONGO_URI",
        None,
        _optional_text,
        "MongoDB connection string; unset means the embedded SQLite database",
    )
    mongo_db: str = _setting("HYPEE_MONGO_DB", "hypee", _text, "MongoDB database name")
    mongo_timeout_ms: int = _setting(
        "HYPEE_MONGO_TIMEOUT_MS",
        5000,
        _integer(1),
        "how long a request waits for an unreachable MongoDB before answering 503",
    )
    jwt_secret: str = _setting(
        "HYPEE_JWT_SECRET",
        DEFAULT_JWT_SECRET,
        _text,
        "token signing key",
        secret=True,
    )
    access_token_seconds: int = _setting(
        "HYPEE_ACCESS_TOKEN_SECONDS",
        900,
        _integer(1),
        "access token lifetime",
    )
    refresh_token_seconds: int = _setting(
        "HYPEE_REFRESH_TOKEN_SECONDS",
        30 * 24 * 3600,
        _integer(1),
        "refresh token lifetime",
    )
    redis_url: str | None = _setting(
        "HYPEE_REDIS_URL",
        None,
        _optional_text,
        "Redis for fan-out and shared rate limits between processes; unset means in-process",
    )
    s3_endpoint: str | None = _setting(
        "HYPEE_S3_ENDPOINT",
        None,
        _optional_text,
        "S3-compatible endpoint URL (MinIO, S3); unset means local-disk attachments",
    )
    s3_bucket: str = _setting("HYPEE_S3_BUCKET", "hypee", _text, "attachment bucket")
    s3_access_key: str | None = _setting(
        "HYPEE_S3_ACCESS_KEY",
        None,
        _optional_text,
        "S3 access key",
        secret=True,
    )
    s3_secret_key: str | None = _setting(
        "HYPEE_S3_SECRET_KEY",
        None,
        _optional_text,
        "S3 secret key",
        secret=True,
    )
    s3_region: str = _setting("HYPEE_S3_REGION", "us-east-1", _text, "S3 region")
    s3_public_endpoint: str | None = _setting(
        "HYPEE_S3_PUBLIC_ENDPOINT",
        None,
        _optional_text,
        "endpoint put in URLs handed to clients, when it differs from HYPEE_S3_ENDPOINT",
    )
    s3_create_bucket: bool = _setting(
        "HYPEE_S3_CREATE_BUCKET",
        True,
        _boolean,
        "create the bucket at start-up if it is absent",
    )
    max_upload_bytes: int = _setting(
        "HYPEE_MAX_UPLOAD_BYTES",
        25 * 1024 * 1024,
        _integer(1),
        "largest attachment accepted",
    )
    upload_content_types: tuple[str, ...] = _setting(
        "HYPEE_UPLOAD_CONTENT_TYPES",
        _word_list(DEFAULT_UPLOAD_TYPES),
        _word_list,
        "comma-separated content types allowed for attachments",
    )
    upload_purge_seconds: int = _setting(
        "HYPEE_UPLOAD_PURGE_SECONDS",
        300,
        _integer(1),
        "seconds between removals of expired, never attached uploads",
    )
    public_url: str | None = _setting(
        "HYPEE_PUBLIC_URL",
        None,
        _optional_text,
        "external base URL for links in emails (default http://HOST:PORT) and local-disk upload "
        "links (default: the request's host)",
    )
    web_dist: str = _setting(
        "HYPEE_WEB_DIST",
        str(Path(__file__).resolve().parent.parent / "web" / "dist"),
        str,
        "the built web app this server serves (make run builds it)",
    )
    smtp_url: str | None = _setting(
        "HYPEE_SMTP_URL",
        None,
        _smtp_url,
        "smtp://user:pass@host:587 (STARTTLS) or smtps://...:465 (TLS); unset: emails are "
        "written to HYPEE_DATA_DIR/mail/ as .eml files",
        secret=True,
    )
    mail_from: str = _setting(
        "HYPEE_MAIL_FROM", "Hypee <no-reply@hypee.localhost>", _text, "the From of every email"
    )
    require_verified_email: bool | None = _setting(
        "HYPEE_REQUIRE_VERIFIED_EMAIL",
        None,
        _boolean,
        "starting conversations, asking and answering need a verified email "
        "(default: on in production, off otherwise)",
    )
    autohide_reports: int = _setting(
        "HYPEE_AUTOHIDE_REPORTS",
        3,
        _integer(1),
        "content reported by this many distinct people is hidden until a moderator decides",
    )
    new_conversations_per_day: int = _setting(
        "HYPEE_NEW_CONVERSATIONS_PER_DAY",
        10,
        _integer(1),
        "how many conversations an account younger than a day, with no points, may start a day",
    )
    export_link_hours: int = _setting(
        "HYPEE_EXPORT_LINK_HOURS",
        168,
        _integer(1),
        "how long a data export stays downloadable",
    )
    request_expiry_days: int = _setting(
        "HYPEE_REQUEST_EXPIRY_DAYS",
        7,
        _integer(1),
        "a mentorship request nobody answered expires after this many days",
    )
    session_change_hours: int = _setting(
        "HYPEE_SESSION_CHANGE_HOURS",
        12,
        _integer(0),
        "a booked session can be cancelled or moved up to this many hours before it starts",
    )
    missed_message_delay_seconds: int = _setting(
        "HYPEE_MISSED_MESSAGE_DELAY_SECONDS",
        120,
        _integer(0),
        "how long a message to someone away stays unread before it is emailed",
    )
    due_work_poll_seconds: int = _setting(
        "HYPEE_DUE_WORK_POLL_SECONDS",
        5,
        _integer(1),
        "how often each process looks for emails, pushes and scheduled work that came due",
    )
    delivery_retry_seconds: int = _setting(
        "HYPEE_DELIVERY_RETRY_SECONDS",
        30,
        _integer(1),
        "first wait before an email or push that failed for a passing reason is tried again "
        "(doubling, at most an hour, given up after a day)",
    )
    vapid_private_key: str | None = _setting(
        "HYPEE_VAPID_PRIVATE_KEY",
        None,
        _optional_text,
        "Web Push signing key (PEM or base64url); unset: made at first start, kept in the store",
        secret=True,
    )
    vapid_subject: str = _setting(
        "HYPEE_VAPID_SUBJECT",
        "mailto:admin@hypee.localhost",
        _text,
        "the contact push services see in VAPID signatures (mailto: or https:)",
    )
    cors_origins: tuple[str, ...] = _setting(
        "HYPEE_CORS_ORIGINS",
        (),
        _word_list,
        "comma-separated allowed origins (* for any)",
    )
    trust_proxy: bool = _setting(
        "HYPEE_TRUST_PROXY",
        False,
        _boolean,
        "take the client address from X-Forwarded-For / X-Real-IP (only behind a proxy)",
    )
    login_failures_per_min: int = _setting(
        "HYPEE_LOGIN_FAILURES_PER_MIN",
        10,
        _integer(1),
        "failed logins per email per minute before 429",
    )
    auth_attempts_per_ip_per_min: int = _setting(
        "HYPEE_AUTH_ATTEMPTS_PER_IP_PER_MIN",
        60,
        _integer(1),
        "registrations and failed logins per client address per minute before 429",
    )
    send_rate_per_10s: int = _setting(
        "HYPEE_SEND_RATE_PER_10S",
        30,
        _integer(0),
        "messages one user may send per 10 s; 0 disables",
    )
    max_sends_in_flight: int = _setting(
        "HYPEE_MAX_SENDS_IN_FLIGHT",
        64,
        _integer(0),
        "sends this process works on at once; past it a send gets 503 busy at once (0: no cap)",
    )
    directory_cache_seconds: int = _setting(
        "HYPEE_DIRECTORY_CACHE_SECONDS",
        2,
        _integer(0),
        "how long a directory page may be answered again without reading the store; a change "
        "made in this process shows at once, one made in another within this (0: off)",
    )
    ws_buffer_bytes: int = _setting(
        "HYPEE_WS_BUFFER_BYTES",
        1024 * 1024,
        _integer(1024),
        "outgoing bytes a socket may have waiting before it is closed with 1013",
    )
    ws_max_frame_bytes: int = _setting(
        "HYPEE_WS_MAX_FRAME_BYTES",
        64 * 1024,
        _integer(1024),
        "largest WebSocket frame a client may send (larger: close 1009)",
    )
    ws_auth_seconds: int = _setting(
        "HYPEE_WS_AUTH_SECONDS",
        10,
        _integer(1),
        "time a new socket has to send its auth frame",
    )
    ws_ping_seconds: int = _setting(
        "HYPEE_WS_PING_SECONDS",
        20,
        _integer(1),
        "WebSocket keepalive ping interval",
    )
    argon2_time_cost: int = _setting(
        "HYPEE_ARGON2_TIME_COST",
        3,
        _integer(1),
        "Argon2id iterations",
    )
    argon2_memory_kib: int = _setting(
        "HYPEE_ARGON2_MEMORY_KIB",
        65536,
        _integer(8),
        "Argon2id memory per hash, in KiB",
    )
    shutdown_grace_seconds: int = _setting(
        "HYPEE_SHUTDOWN_GRACE_SECONDS",
        15,
        _integer(0),
        "how long shutdown waits for in-flight requests",
    )
    log_level: str = _setting(
        "HYPEE_LOG_LEVEL",
        "info",
        _choice("debug", "info", "warning", "error"),
        "logging level",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every HYPEE_* variable of `environ` (default: the process environment)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            raw = environ.get(spec.metadata["env"])
            if raw is None:
                continue
            try:
                values[spec.name] = spec.metadata["parse"](raw)
            except ValueError as exc:
                raise ConfigError(f"{spec.metadata['env']}: {exc}") from None
        return cls(**values)

    @property
    def embedded_store(self) -> bool:
        """True when documents live in the in-process engine rather than MongoDB."""
        return self.mongo_uri is None

    @property
    def verified_email_required(self) -> bool:
        """Whether starting conversations, asking and answering need a verified email."""
        if self.require_verified_email is None:
            return self.env == "production"
        return self.require_verified_email

    @property
    def local_storage(self) -> bool:
        """True when attachments live on local disk rather than S3."""
        return self.s3_endpoint is None

    def check_production(self) -> None:
        """Refuse settings that must never reach production; raise ConfigError with the reason."""
        if self.env != "production":
            return
        if self.jwt_secret == DEFAULT_JWT_SECRET:
            raise ConfigError(
                "HYPEE_ENV=production refuses the default HYPEE_JWT_SECRET: set a secret"
            )
        if len(self.jwt_secret) < 32:
            raise ConfigError("HYPEE_JWT_SECRET must be at least 32 characters in production")
        if self.mongo_uri is None:
            raise ConfigError(
                "HYPEE_ENV=production needs HYPEE_MONGO_URI: the embedded store is for development"
            )
        if self.smtp_url and not self.public_url:
            raise ConfigError(
                "HYPEE_ENV=production with HYPEE_SMTP_URL needs HYPEE_PUBLIC_URL: the links in "
                "emails must point at this site"
            )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def describe_settings() -> str:
    """The environment variables, their defaults and meaning, for `run.py --help`."""
    lines = ["environment variables (defaults in brackets):"]
    for spec in dataclasses.fields(Settings):
        default = spec.default
        if spec.metadata["secret"] and default:
            shown = "development value"
        elif isinstance(default, tuple):
            shown = ",".join(default) if len(default) <= 3 else f"{len(default)} types"
        elif default is None:
            shown = "unset"
        else:
            shown = str(default)
        lines.append(f"  {spec.metadata['env']:<36} {spec.metadata['help']} [{shown}]")
    return "\n".join(lines)
