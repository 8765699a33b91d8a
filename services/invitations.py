"""iCalendar invitations for booked sessions (RFC 5545, with the methods of RFC 5546).

One event per session, its UID fixed, its SEQUENCE the booking's: a calendar that holds the
invitation updates it when a rescheduled one (METHOD:REQUEST, a higher SEQUENCE) or a
cancellation (METHOD:CANCEL) arrives. Each person's invitation names only them as attendee,
and the organizer is Hypee's own sender address: nobody learns the other's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from models.bookings import BookingDocument

PRODUCT = "-//Hypee//Mentorship sessions//EN"


def uid_of(booking: BookingDocument) -> str:
    return f"session-{booking['_id']}@hypee"


@dataclass(frozen=True)
class Invitee:
    """What one person's invitation says besides the session's times."""

    summary: str
    description: str
    organizer: tuple[str, str]  # (name, the sender's address)
    attendee: tuple[str, str]  # (name, address): the person it goes to
    meeting_url: str | None


def invitation(booking: BookingDocument, method: str, invitee: Invitee, now: datetime) -> str:
    """The iCalendar text of `booking` for one invitee: `method` "REQUEST" (booked or moved)
    or "CANCEL"."""
    # Loaded at the first invitation, not at start: most processes never write one.
    from icalendar import Calendar, Event, vCalAddress, vText

    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid_of(booking))
    event.add("dtstamp", now)
    event.add("dtstart", booking["start"])
    event.add("dtend", booking["end"])
    event.add("sequence", booking["sequence"])
    event.add("summary", invitee.summary)
    event.add("description", invitee.description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if invitee.meeting_url:
        event.add("location", invitee.meeting_url)
        event.add("url", invitee.meeting_url)
    organizer_name, sender = invitee.organizer
    organizer = vCalAddress(f"mailto:{parseaddr(sender)[1] or 'no-reply@hypee.localhost'}")
    organizer.params["cn"] = vText(organizer_name)
    event["organizer"] = organizer
    name, address = invitee.attendee
    person = vCalAddress(f"mailto:{address}")
    person.params["cn"] = vText(name)
    person.params["role"] = vText("REQ-PARTICIPANT")
    person.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", person, encode=0)
    calendar.add_component(event)
    return str(calendar.to_ical().decode())
