"""The .ics file: what a phone's calendar reads from it."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from bookings.calendar import CalendarEntry, filename, ics, uid
from bookings.views import PARIS

NOW = dt.datetime(2031, 3, 3, 7, 0, tzinfo=dt.UTC)


def _entry(**changes: object) -> CalendarEntry:
    values: dict[str, object] = {
        "reference": "K7P4QX",
        "title": "Aide juridique",
        "starts_at": dt.datetime(2031, 3, 31, 14, 0, tzinfo=PARIS),
        "ends_at": dt.datetime(2031, 3, 31, 14, 30, tzinfo=PARIS),
        "location": "Centre Primo Levi, 107 avenue Parmentier, 75011 Paris",
        "description": "Référence : K7P4QX\n☑️ À apporter :\n• Pièce d'identité",
    }
    values.update(changes)
    return CalendarEntry(**values)  # type: ignore[arg-type]


def test_the_event_carries_time_place_reference_and_a_reminder() -> None:
    calendar = Calendar.from_ical(ics(_entry(), NOW))
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == uid("K7P4QX")
    assert str(event["SUMMARY"]) == "Aide juridique"
    assert "107 avenue Parmentier" in str(event["LOCATION"])
    assert "K7P4QX" in str(event["DESCRIPTION"]) and "Pièce d'identité" in str(event["DESCRIPTION"])
    start = event.decoded("DTSTART")
    # Paris time with its zone: the day summer time starts, 14:00 Paris is 12:00 UTC.
    assert start.tzinfo is not None and start.utcoffset() == dt.timedelta(hours=2)
    assert start.astimezone(dt.UTC) == dt.datetime(2031, 3, 31, 12, 0, tzinfo=dt.UTC)
    assert event.decoded("DTEND") - start == dt.timedelta(minutes=30)
    assert event.decoded("DTSTAMP") == NOW
    assert event.decoded("SEQUENCE") == 0 and str(event["STATUS"]) == "CONFIRMED"
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -dt.timedelta(hours=2)
    assert calendar.walk("VTIMEZONE"), "the zone travels with the file"
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_a_moved_or_cancelled_event_replaces_the_one_on_the_phone() -> None:
    moved = Calendar.from_ical(ics(_entry(sequence=2), NOW))
    assert moved.walk("VEVENT")[0].decoded("SEQUENCE") == 2
    cancelled = Calendar.from_ical(ics(_entry(cancelled=True, sequence=3), NOW))
    [event] = cancelled.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and str(cancelled["METHOD"]) == "CANCEL"
    assert not event.walk("VALARM")
    assert str(event["UID"]) == uid("K7P4QX")


def test_the_file_name_names_the_reference() -> None:
    assert filename("K7P4QX") == "appointment-K7P4QX.ics"
