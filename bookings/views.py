"""What the booking store hands out: frozen values, no database objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bookings.states import Action, Status

PARIS = ZoneInfo("Europe/Paris")


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; everything stored here is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """What is stored and compared: UTC (SQLite would keep the wall-clock time as it is)."""
    if value.tzinfo is None:
        raise ValueError("a naive datetime: say which time zone it is in")
    return value.astimezone(dt.UTC)


def paris_day(value: dt.datetime) -> dt.date:
    return value.astimezone(PARIS).date()


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants a Paris day starts and ends (23 or 25 hours on DST days)."""
    start = dt.datetime.combine(day, dt.time(), PARIS)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), PARIS)
    return utc(start), utc(end)


class SlotStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SlotView:
    id: int
    service_id: str
    place_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    booked: int
    status: SlotStatus

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0) if self.status is SlotStatus.OPEN else 0


@dataclass(frozen=True)
class Contact:
    """What a service asked for; only the field it needs is set."""

    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class BookingView:
    id: int
    reference: str
    person_id: int | None
    service_id: str
    place_id: str | None
    slot_id: int | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    status: Status
    locale: str
    sequence: int
    created_at: dt.datetime
    #: Where the agent said it takes place, typed (a request at none of the service's places).
    place_text: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def is_past(self, now: dt.datetime) -> bool:
        return self.starts_at is not None and self.starts_at <= now


@dataclass(frozen=True)
class EventView:
    action: Action
    from_status: Status | None
    to_status: Status
    at: dt.datetime
    by: str
    note: str | None


@dataclass(frozen=True)
class AgentLine:
    """A booking as an agent's list shows it: with the contact the service asked for."""

    booking: BookingView
    contact: Contact | None


@dataclass(frozen=True)
class Booked:
    booking: BookingView
    #: False when the same request had already been made (a second press, a redelivery).
    created: bool


@dataclass(frozen=True)
class SlotCancelled:
    slot: SlotView
    #: The bookings that were on it, now cancelled; each person has been notified.
    bookings: tuple[BookingView, ...]


@dataclass(frozen=True)
class SlotsAdded:
    created: tuple[SlotView, ...]
    #: Slots that already existed (same service, place and start): left as they were.
    unchanged: int
