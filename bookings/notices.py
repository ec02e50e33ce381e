"""Messages a booking sends on its own: what agents did, and reminders before it.

A notice is stored (`bookings/store/reminders.py`) as a kind and parameters (a snapshot
of the booking when it was written), due at a time. It is rendered in the person's
language only when it goes, by the runtime's job runner, and each channel delivers it
its own way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bookings.states import Status
from bookings.views import BookingView, aware


class NoticeKind(StrEnum):
    """Also the keys of WhatsApp's templates (`PASSERELLE_WHATSAPP_TEMPLATES`)."""

    CONFIRMED = "booking_confirmed"
    DECLINED = "booking_declined"
    CANCELLED = "booking_cancelled"
    MOVED = "booking_moved"
    SLOT_CANCELLED = "slot_cancelled"
    DAY_BEFORE = "reminder_day_before"
    TWO_HOURS = "reminder_two_hours"


#: How long before the appointment each reminder goes.
REMINDER_LEADS: dict[NoticeKind, dt.timedelta] = {
    NoticeKind.DAY_BEFORE: dt.timedelta(days=1),
    NoticeKind.TWO_HOURS: dt.timedelta(hours=2),
}
REMINDERS = frozenset(REMINDER_LEADS)


class AboutBooking(Protocol):
    """What a notice snapshots of a booking (a stored row or a view)."""

    @property
    def reference(self) -> str: ...

    @property
    def service_id(self) -> str: ...

    @property
    def place_id(self) -> str | None: ...

    @property
    def starts_at(self) -> dt.datetime | None: ...

    @property
    def ends_at(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class Notice:
    """What a notification says, as data."""

    kind: NoticeKind
    reference: str
    service_id: str
    place_id: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    #: An agent's words for a decline or a cancellation.
    reason: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "service": self.service_id,
            "place": self.place_id,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "reason": self.reason,
        }

    @classmethod
    def of(cls, kind: str, params: dict[str, Any]) -> Notice:
        def when(key: str) -> dt.datetime | None:
            value = params.get(key)
            return aware(dt.datetime.fromisoformat(value)) if isinstance(value, str) else None

        place = params.get("place")
        reason = params.get("reason")
        return cls(
            kind=NoticeKind(kind),
            reference=str(params.get("reference", "")),
            service_id=str(params.get("service", "")),
            place_id=place if isinstance(place, str) else None,
            starts_at=when("starts_at"),
            ends_at=when("ends_at"),
            reason=reason if isinstance(reason, str) else None,
        )

    @classmethod
    def about(cls, kind: NoticeKind, booking: AboutBooking, reason: str | None = None) -> Notice:
        return cls(
            kind=kind,
            reference=booking.reference,
            service_id=booking.service_id,
            place_id=booking.place_id,
            starts_at=aware(booking.starts_at) if booking.starts_at else None,
            ends_at=aware(booking.ends_at) if booking.ends_at else None,
            reason=reason,
        )


def still_worth_sending(notice: Notice, booking: BookingView | None, now: dt.datetime) -> bool:
    """A notice may wait a while (the runtime was down): send it only if it still holds.

    A reminder goes only for a confirmed booking still at the same time, and not once it
    no longer helps (the day-before one after the two-hours one is due). News of a
    confirmation or a move goes only while the booking is still open.
    """
    if notice.kind in REMINDERS:
        if booking is None or booking.status is not Status.CONFIRMED:
            return False
        if booking.starts_at is None or booking.starts_at != notice.starts_at:
            return False
        latest = booking.starts_at
        if notice.kind is NoticeKind.DAY_BEFORE:
            latest -= REMINDER_LEADS[NoticeKind.TWO_HOURS]
        return now < latest
    if notice.kind in (NoticeKind.CONFIRMED, NoticeKind.MOVED):
        return booking is not None and booking.is_open
    return True
