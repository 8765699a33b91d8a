"""Emails from templates: a text part and an HTML part (autoescaped), in English or French.

Each email `name` has `templates/<language>/<name>.txt`, whose first line is the subject and
the rest the text part, and `<name>.html`, the HTML part (which extends `base.html`).
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

LANGUAGES = ("en", "fr")
# Headers on one line up to RFC 5322's hard limit: Python's folding at 78 moves a long subject
# whole onto a continuation line, which some readers show with a leading space.
HEADERS_UNFOLDED = email.policy.default.clone(max_line_length=998)
DEFAULT_LANGUAGE = "en"

_templates = Environment(
    loader=PackageLoader("hypee.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class RenderedEmail:
    """What an email says: its subject and its two parts."""

    subject: str
    text: str
    html: str


def language_of(preferred: str | None) -> str:
    """The email language for a stored preference: one of LANGUAGES (English by default)."""
    return preferred if preferred in LANGUAGES else DEFAULT_LANGUAGE


def render(name: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    """The email `name` in `language` (see language_of) with `context`."""
    language = language_of(language)
    context = {**context, "lang": language}
    text = _templates.get_template(f"{language}/{name}.txt").render(context)
    subject, _, body = text.partition("\n")
    html = _templates.get_template(f"{language}/{name}.html").render(context)
    return RenderedEmail(subject.strip(), body.strip() + "\n", html)


def compose(
    rendered: RenderedEmail,
    *,
    sender: str,
    to: str,
    message_id: str,
    headers: dict[str, str],
    calendar: dict[str, str] | None = None,
) -> EmailMessage:
    """A multipart (text, then HTML) message ready for a transport; with `calendar`
    ({method, ics}), the invitation attached as `invite.ics` (text/calendar)."""
    message = EmailMessage(policy=HEADERS_UNFOLDED)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name] = value
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if calendar is not None:
        message.add_attachment(
            calendar["ics"],
            subtype="calendar",
            filename="invite.ics",
            params={"method": calendar["method"]},
        )
    return message
