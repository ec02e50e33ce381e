"""The `.ics` file a person adds to their phone's calendar (RFC 5545, with icalendar)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from icalendar import Alarm, Calendar, Event

from bookings.views import PARIS

PRODID = "-//Passerelle//Appointments//FR"
MIME_TYPE = "text/calendar"


@dataclass(frozen=True)
class CalendarEntry:
    """What the event says, already in the person's language."""

    reference: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    description: str
    #: Bumped at every move, so the phone replaces the event instead of adding one.
    sequence: int = 0
    cancelled: bool = False
    #: How long before the start the phone itself rings.
    alarms: Sequence[dt.timedelta] = (dt.timedelta(hours=2),)


def filename(reference: str) -> str:
    return f"appointment-{reference}.ics"


def uid(reference: str) -> str:
    return f"{reference.lower()}@passerelle.appointments"


def ics(entry: CalendarEntry, now: dt.datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid(entry.reference))
    event.add("dtstamp", now.astimezone(dt.UTC))
    # Paris wall-clock times with their zone: right on any phone, across DST changes.
    event.add("dtstart", entry.starts_at.astimezone(PARIS))
    event.add("dtend", entry.ends_at.astimezone(PARIS))
    event.add("summary", entry.title)
    event.add("location", entry.location)
    event.add("description", entry.description)
    event.add("sequence", entry.sequence)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    if not entry.cancelled:
        for lead in entry.alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", entry.title)
            alarm.add("trigger", -lead)
            event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    content: bytes = calendar.to_ical()
    return content
