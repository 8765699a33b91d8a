"""iCalendar invitations for booked sessions (RFC 5545, with the methods of RFC 5546).

One event per session, its UID fixed, its SEQUENCE the booking's: a calendar that holds the
invitation updates it when a rescheduled one (METHOD:REQUEST, a higher SEQUENCE) or a
cancellation (METHOD:CANCEL) arrives. Each person's invitation names only them as attendee,
and the organizer is Hypee's own sender address: nobody learns the other's address.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from icalendar import Calendar, Event, vCalAddress, vText

from models.bookings import BookingDocument

PRODUCT = "-//Hypee//Mentorship sessions//EN"


def uid_of(booking: BookingDocument) -> str:
    return f"session-{booking['_id']}@hypee"


def invitation(
    booking: BookingDocument,
    *,
    method: str,
    summary: str,
    description: str,
    sender: str,
    organizer_name: str,
    attendee: tuple[str, str],
    now: datetime,
    meeting_url: str | None,
) -> str:
    """The iCalendar text of `booking` for one `attendee` (name, address): `method`
    "REQUEST" (booked or moved) or "CANCEL"."""
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
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if meeting_url:
        event.add("location", meeting_url)
        event.add("url", meeting_url)
    organizer = vCalAddress(f"mailto:{parseaddr(sender)[1] or 'no-reply@hypee.localhost'}")
    organizer.params["cn"] = vText(organizer_name)
    event["organizer"] = organizer
    name, address = attendee
    person = vCalAddress(f"mailto:{address}")
    person.params["cn"] = vText(name)
    person.params["role"] = vText("REQ-PARTICIPANT")
    person.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", person, encode=0)
    calendar.add_component(event)
    return str(calendar.to_ical().decode())
