"""The day's appointments as the workspace shows and runs them, with the booking desk's own
operations (the chat commands of `dialogs/agents.py` call the same ones)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bookings.catalogue import Mode
from bookings.slots import SlotPlan
from bookings.states import InvalidTransition
from bookings.store import BookingDesk, Refused
from bookings.views import AgentLine, BookingView, SlotView, day_bounds, paris_day
from dialogs.i18n import N_, Catalogs

UPCOMING_DAYS = 7
SLOT_DAYS = 14
AGENT_PREFIX = "web"

#: Reasons to decline, sent in the person's own language.
DECLINE_REASONS: dict[str, str] = {
    "full": N_("There is no free time for this service in the coming days."),
    "wrong-service": N_(
        "This service cannot help with your request. You can ask a person from the menu."
    ),
    "unreachable": N_("We could not reach you with the details you gave."),
}


class BookingActionError(Exception):
    """Why a booking action was refused (a code the page explains)."""


@dataclass(frozen=True)
class Agenda:
    today: list[AgentLine]
    upcoming: list[AgentLine]
    waiting: list[AgentLine]
    slots: list[SlotView]


def actor(account_id: int) -> str:
    return f"{AGENT_PREFIX}:{account_id}"


async def agenda(desk: BookingDesk, now: dt.datetime) -> Agenda:
    today = paris_day(now)
    _start, tomorrow = day_bounds(today)
    async with desk.unit() as unit:
        return Agenda(
            today=await unit.day(today),
            upcoming=await unit.agenda(tomorrow, tomorrow + dt.timedelta(days=UPCOMING_DAYS)),
            waiting=await unit.waiting(),
            slots=await unit.slots_between(now, now + dt.timedelta(days=SLOT_DAYS)),
        )


def by_request(desk: BookingDesk, service_id: str) -> bool:
    """A request gets its time from the agent who confirms it."""
    service = desk.catalogue.get(service_id)
    return service is not None and service.by_request


def other_slots(agenda: Agenda, booking: BookingView) -> list[SlotView]:
    """Where a slot booking may move: open slots of its service with a free seat."""
    return [
        slot
        for slot in agenda.slots
        if slot.service_id == booking.service_id and slot.free > 0 and slot.id != booking.slot_id
    ]


def places_for(desk: BookingDesk, service_id: str) -> tuple[str, ...]:
    service = desk.catalogue.get(service_id)
    if service is None or service.mode is Mode.SLOTS:
        return ()
    return service.places


def decline_reason(catalogs: Catalogs, locale: str, code: str, own_words: str) -> str | None:
    """The reason in the person's language; the agent's own words are marked as theirs."""
    words = " ".join(own_words.split())[:500]
    t = catalogs.translator(locale if locale in catalogs else "fr")
    if words:
        return t("In the staff member's words: {words}", words=words)
    message = DECLINE_REASONS.get(code)
    return t(message) if message else None


async def act(
    desk: BookingDesk,
    catalogs: Catalogs,
    reference: str,
    action: str,
    account_id: int,
    now: dt.datetime,
    *,
    place_id: str | None = None,
    starts_at: dt.datetime | None = None,
    slot_id: int | None = None,
    reason_code: str = "",
    own_words: str = "",
) -> str:
    """Apply an agent's decision; the person is told by the jobs. Returns the new status."""
    by = actor(account_id)
    try:
        async with desk.unit() as unit:
            booking = await unit.booking(reference)
            if booking is None:
                raise BookingActionError("unknown")
            if action == "confirm":
                done = await unit.confirm(
                    reference, by=by, now=now, starts_at=starts_at, place_id=place_id or None
                )
            elif action == "decline":
                reason = decline_reason(catalogs, booking.locale, reason_code, own_words)
                done = await unit.decline(reference, by=by, now=now, reason=reason)
            elif action == "move":
                if slot_id is not None:
                    done = await unit.move(reference, slot_id, by=by, now=now)
                elif starts_at is not None:
                    done = await unit.retime(reference, starts_at, by=by, now=now)
                else:
                    raise BookingActionError("needs_time")
            elif action in ("attended", "no-show"):
                if not booking.is_past(now):
                    raise BookingActionError("not_started")
                if action == "attended":
                    done = await unit.attended(reference, by=by, now=now)
                else:
                    done = await unit.no_show(reference, by=by, now=now)
            else:
                raise BookingActionError("unknown")
    except Refused as refused:
        raise BookingActionError(refused.reason.value) from None
    except InvalidTransition:
        raise BookingActionError("transition") from None
    return done.status.value


async def add_slots(
    desk: BookingDesk, plans: list[SlotPlan], account_id: int, now: dt.datetime
) -> int:
    async with desk.unit() as unit:
        added = await unit.add_slots(plans, by=actor(account_id), now=now)
    return len(added.created)


async def cancel_slot(
    desk: BookingDesk, slot_id: int, reason: str, account_id: int, now: dt.datetime
) -> int:
    try:
        async with desk.unit() as unit:
            cancelled = await unit.cancel_slot(
                slot_id, by=actor(account_id), now=now, reason=reason or None
            )
    except Refused as refused:
        raise BookingActionError(refused.reason.value) from None
    return len(cancelled.bookings)
