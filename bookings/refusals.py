"""Why the desk says no, and who acts on a booking: what the dialogs read of the desk's
answers without knowing how it stores anything."""

from __future__ import annotations

from enum import StrEnum

from bookings.views import BookingView

#: Who made a transition, as recorded in `booking_events.by`.
PERSON = "person"
SYSTEM = "system"


def agent_actor(person_id: int) -> str:
    return f"agent:{person_id}"


class Refusal(StrEnum):
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_SLOT = "unknown_slot"
    UNKNOWN_PLACE = "unknown_place"
    UNKNOWN_BOOKING = "unknown_booking"
    WRONG_SERVICE = "wrong_service"
    SLOT_CANCELLED = "slot_cancelled"
    PAST = "past"
    FULL = "full"
    ALREADY_BOOKED = "already_booked"
    NEEDS_CONTACT = "needs_contact"
    NEEDS_TIME = "needs_time"
    #: A request is confirmed with a place: one of the service's, or one the agent types.
    NEEDS_PLACE = "needs_place"
    TOO_EARLY = "too_early"
    #: Moved by someone else at the same moment: look at it again.
    CHANGED = "changed"


class Refused(Exception):
    """The desk said no; `reason` says why, `booking` is the one in the way, if any."""

    def __init__(self, reason: Refusal, booking: BookingView | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.booking = booking
