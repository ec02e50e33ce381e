"""Appointments, the agents' side: chat commands and their buttons to run the day.

    /today  /upcoming [DAYS]  /requests  /booking REF
    /confirm REF [DATE TIME [MINUTES] [PLACE]]   /decline REF REASON   /cancel REF [REASON]
    /attended REF   /noshow REF   /move REF SLOT | /move REF DATE TIME [MINUTES]
    /slots   /slots add ...   /slots cancel ID [REASON]   /agent (this help)

The role is read from the database with the person at every update and checked at every
command (a command says "not for you") and step (`Step.only_for`). Anyone else gets what
the engine answers to an unknown command or an expired button, from the engine itself:
nothing tells them these commands exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from itertools import groupby

from bookings.reference import normalise_reference, parse_number
from bookings.refusals import Refusal, Refused, agent_actor
from bookings.slots import PlanError, paris, parse_command, parse_date, parse_time
from bookings.states import InvalidTransition, Status
from bookings.views import AgentLine, BookingView, SlotView, paris_day
from dialogs.booking_words import Wording
from dialogs.framework import (
    Button,
    CommandFn,
    Context,
    Dialog,
    Outcome,
    Step,
    StepName,
    carrying,
    go,
    on,
    stay,
    to,
)
from dialogs.i18n import N_
from dialogs.ports import Bookings
from dialogs.replies import Option, Options, Reply, Text
from dialogs.state import Role, StepData


class At(StepName):
    LIST = "ag-list"
    BOOKING = "ag-booking"
    REASON = "ag-reason"
    SLOTS = "ag-slots"


#: How a booking's state reads to an agent.
STATUS_LABELS: dict[Status, str] = {
    Status.REQUESTED: N_("requested"),
    Status.CONFIRMED: N_("confirmed"),
    Status.DECLINED: N_("declined"),
    Status.CANCELLED: N_("cancelled"),
    Status.ATTENDED: N_("attended"),
    Status.NO_SHOW: N_("no-show"),
}


def status_label(ctx: Context, status: Status) -> str:
    return ctx.t(STATUS_LABELS[status])


AGENT_ROLES = frozenset({Role.AGENT, Role.ADMIN})
UPCOMING_DAYS = 7
MAX_DAYS = 60
SLOTS_SHOWN_DAYS = 14
MAX_BUTTONS = 20
STATUS_MARKS = {
    Status.REQUESTED: "⏳",
    Status.CONFIRMED: "✅",
    Status.ATTENDED: "✔️",
    Status.NO_SHOW: "➖",
    Status.DECLINED: "✖️",
    Status.CANCELLED: "❌",
}


class AgentView(StepData):
    namespace: str = "agent"
    #: Which list: today | upcoming | waiting
    showing: str = "today"
    days: int = UPCOMING_DAYS
    reference: str = ""
    #: What the typed reason is for: "decline", "cancel" or "slot".
    pending: str = ""
    slot: int = 0


# -- who may -------------------------------------------------------------------------------


def is_agent(ctx: Context) -> bool:
    return ctx.person.role in AGENT_ROLES


def may_run_bookings(ctx: Context) -> bool:
    """An agent or an admin, where the runtime has bookings: who sees the agents' steps."""
    return is_agent(ctx) and ctx.conversations.bookings() is not None


def _desk(ctx: Context) -> Bookings:
    """The desk of a step only agents reach (`only_for=may_run_bookings` checked it)."""
    desk = ctx.conversations.bookings()
    assert desk is not None
    return desk


def _actor(ctx: Context) -> str:
    return agent_actor(ctx.person.id)


AgentCommand = Callable[[Context, Bookings, list[str]], Awaitable[Outcome]]


def guarded(handler: AgentCommand) -> CommandFn:
    """A command only agents and admins may use; to anyone else it is "not for you"
    (None), and the engine answers as to an unknown command."""

    async def command(ctx: Context, argument: str) -> Outcome | None:
        if not may_run_bookings(ctx):
            return None
        return await handler(ctx, _desk(ctx), argument.split())

    return command


# -- the lists -------------------------------------------------------------------------------


async def _lines(ctx: Context, desk: Bookings, view: AgentView) -> tuple[str, list[AgentLine]]:
    today = paris_day(ctx.now)
    if view.showing == "waiting":
        return ctx.t("📨 Requests waiting for an answer"), await desk.waiting()
    if view.showing == "upcoming":
        start = paris(today, dt.time())
        end = paris(today + dt.timedelta(days=view.days), dt.time())
        heading = ctx.t("📋 The next {days} days", days=ctx.t.number(view.days))
        return heading, await desk.agenda(start, end)
    heading = ctx.t("📋 Today, {date}", date=ctx.t.date(today, "full"))
    return heading, await desk.day(today)


async def show_list(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    view = ctx.data(AgentView)
    heading, lines = await _lines(ctx, desk, view)
    words = Wording(ctx.t, ctx.services.library, desk.catalogue)
    body = await _grouped(ctx, words, lines, with_day=view.showing != "today")
    if not lines:
        body = ctx.t("No booking.")
    with_day = view.showing != "today"
    rows: list[tuple[Option, ...]] = [
        (OPEN_BOOKING.option(_button(ctx, line.booking, with_day), line.booking.reference),)
        for line in lines[:MAX_BUTTONS]
    ]
    rows.append((REFRESH.option(ctx.t("🔄 Refresh")),))
    others = {
        SHOW_TODAY: ctx.t("📋 Today"),
        SHOW_UPCOMING: ctx.t("📅 Upcoming"),
        SHOW_WAITING: ctx.t("📨 Requests"),
    }
    rows.append(
        tuple(button.option(label) for button, label in others.items() if button.id != view.showing)
    )
    return [Options(text=f"{heading}\n\n{body}", rows=tuple(rows))]


def _group(line: AgentLine) -> tuple[str, str]:
    return (line.booking.service_id, line.booking.place_id or "")


async def _grouped(ctx: Context, words: Wording, lines: Sequence[AgentLine], with_day: bool) -> str:
    """One block per service and place, one line per booking."""
    blocks: list[str] = []
    for (service_id, place_id), group in groupby(sorted(lines, key=_group), key=_group):
        place = await words.place(service_id, place_id or None)
        title = await words.service_title(service_id)
        head = f"— {title} · {place.name}" if place else f"— {title}"
        blocks.append("\n".join([head, *(_line(ctx, item, with_day) for item in group)]))
    return "\n\n".join(blocks)


def _when(ctx: Context, booking: BookingView, with_day: bool) -> str:
    if booking.starts_at is None:
        return ctx.t("no time yet")
    time = ctx.t.time(booking.starts_at)
    if not with_day:
        return time
    return f"{ctx.t.date(paris_day(booking.starts_at), 'short')} {time}"


def _line(ctx: Context, line: AgentLine, with_day: bool) -> str:
    booking = line.booking
    text = f"  {_when(ctx, booking, with_day)} {booking.reference} {STATUS_MARKS[booking.status]}"
    if line.contact is not None and line.contact.name:
        text += " · " + ctx.t("name: {name}", name=line.contact.name)
    if line.contact is not None and line.contact.phone:
        text += " · " + ctx.t("phone: {phone}", phone=line.contact.phone)
    return text


def _button(ctx: Context, booking: BookingView, with_day: bool) -> str:
    mark = STATUS_MARKS[booking.status]
    return f"{mark} {_when(ctx, booking, with_day)} {booking.reference}"


def _showing(kind: str) -> Button:
    """The button that shows the list of `kind` (today | upcoming | waiting) in place."""

    async def show(ctx: Context, value: str) -> Outcome:
        view = ctx.data(AgentView)
        view.showing = kind
        ctx.keep(view)
        return go(At.LIST, replace=True)

    return on(kind, show)


async def open_booking(ctx: Context, reference: str) -> Outcome:
    view = ctx.data(AgentView)
    view.reference = reference
    ctx.keep(view)
    return go(At.BOOKING)


SHOW_TODAY = _showing("today")
SHOW_UPCOMING = _showing("upcoming")
SHOW_WAITING = _showing("waiting")
REFRESH = to("refresh", At.LIST, replace=True)
OPEN_BOOKING = carrying("b.", open_booking)


async def _open_list(ctx: Context, kind: str, days: int = UPCOMING_DAYS) -> Outcome:
    view = ctx.data(AgentView)
    view.showing, view.days = kind, days
    ctx.keep(view)
    return go(At.LIST, replace=ctx.state.step == At.LIST)


async def today(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    return await _open_list(ctx, "today")


async def upcoming(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    days = parse_number(words[0]) if words else UPCOMING_DAYS
    if days is None or not 1 <= days <= MAX_DAYS:
        return stay(Text(ctx.t("Usage: /upcoming [number of days, 1 to 60]")))
    return await _open_list(ctx, "upcoming", days)


async def requests(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    return await _open_list(ctx, "waiting")


# -- one booking ------------------------------------------------------------------------------


async def show_booking(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    reference = ctx.data(AgentView).reference
    booking = await desk.booking(reference)
    if booking is None:
        return [Text(ctx.t("No booking has the reference {reference}.", reference=reference))]
    words = Wording(ctx.t, ctx.services.library, desk.catalogue)
    card = await words.card(booking, ctx.now)
    contact = await desk.contact(booking.id)
    history = [
        f"{ctx.t.datetime(event.at, 'short')} · {event.action.value} → {event.to_status.value} · {event.by}"
        + (f" · {event.note}" if event.note else "")
        for event in await desk.history(reference)
    ]
    lines = [card.title, card.body]
    if contact is not None and contact.name:
        lines.append(ctx.t("name: {name}", name=contact.name))
    if contact is not None and contact.phone:
        lines.append(ctx.t("phone: {phone}", phone=contact.phone))
    lines += ["", ctx.t("History:"), *history]
    return [Options(text="\n".join(lines), rows=_booking_actions(ctx, booking))]


def _booking_actions(ctx: Context, booking: BookingView) -> tuple[tuple[Option, ...], ...]:
    ref = booking.reference
    rows: list[tuple[Option, ...]] = []
    if booking.status is Status.REQUESTED:
        if booking.starts_at is not None:
            rows.append((CONFIRM.option(ctx.t("✅ Confirm"), ref),))
        rows.append((DECLINE.option(ctx.t("✖️ Decline"), ref),))
    if booking.status is Status.CONFIRMED:
        if booking.starts_at is not None and paris_day(booking.starts_at) <= paris_day(ctx.now):
            rows.append(
                (
                    ATTENDED.option(ctx.t("✔️ Attended"), ref),
                    NO_SHOW.option(ctx.t("➖ No-show"), ref),
                )
            )
    if booking.is_open:
        rows.append((CANCEL.option(ctx.t("❌ Cancel"), ref),))
    rows.append((BACK_TO_LIST.option(ctx.t("📋 Back to the list")),))
    return tuple(rows)


def _acting(action: str) -> Button:
    """The button `<action>.<reference>` under a booking: done at once."""

    async def act(ctx: Context, reference: str) -> Outcome:
        view = ctx.data(AgentView)
        view.reference = reference
        ctx.keep(view)
        return await _act(ctx, _desk(ctx), reference, action)

    return carrying(f"{action}.", act)


def _asking_why(action: str) -> Button:
    """The button `<action>.<reference>` under a booking: the reason is typed next."""

    async def ask_why(ctx: Context, reference: str) -> Outcome:
        view = ctx.data(AgentView)
        view.reference, view.pending = reference, action
        ctx.keep(view)
        return go(At.REASON)

    return carrying(f"{action}.", ask_why)


CONFIRM = _acting("confirm")
ATTENDED = _acting("attended")
NO_SHOW = _acting("noshow")
DECLINE = _asking_why("decline")
CANCEL = _asking_why("cancel")
BACK_TO_LIST = to("list", At.LIST)


async def _act(
    ctx: Context,
    desk: Bookings,
    reference: str,
    action: str,
    reason: str | None = None,
    starts_at: dt.datetime | None = None,
    minutes: int | None = None,
    place_id: str | None = None,
    place_text: str | None = None,
) -> Outcome:
    """Apply an agent's decision to a booking; the person is told by the jobs."""
    by, now = _actor(ctx), ctx.now
    try:
        if action == "confirm":
            booking = await desk.confirm(
                reference,
                by=by,
                now=now,
                starts_at=starts_at,
                minutes=minutes,
                place_id=place_id,
                place_text=place_text,
            )
        elif action == "decline":
            booking = await desk.decline(reference, by=by, now=now, reason=reason)
        elif action == "cancel":
            booking = await desk.cancel(reference, by=by, now=now, reason=reason)
        elif action == "attended":
            booking = await desk.attended(reference, by=by, now=now)
        elif action == "noshow":
            booking = await desk.no_show(reference, by=by, now=now)
        else:
            raise ValueError(action)
    except Refused as refused:
        return stay(Text(_refusal(ctx, refused.reason, reference)))
    except InvalidTransition as invalid:
        text = ctx.t(
            "{reference} is {status}: this cannot be done now.",
            reference=reference,
            status=status_label(ctx, invalid.status),
        )
        return stay(Text(text))
    view = ctx.data(AgentView)
    view.reference, view.pending = booking.reference, ""
    ctx.keep(view)
    done = ctx.t(
        "{reference} is now {status}.",
        reference=booking.reference,
        status=status_label(ctx, booking.status),
    )
    if action in ("confirm", "decline", "cancel"):
        done += " " + ctx.t("The person will be told in their language.")
    return go(At.BOOKING, Text(done), replace=ctx.state.step in (At.BOOKING, At.REASON))


def _refusal(ctx: Context, reason: Refusal, reference: str) -> str:
    messages = {
        Refusal.UNKNOWN_BOOKING: ctx.t(
            "No booking has the reference {reference}.", reference=reference
        ),
        Refusal.NEEDS_TIME: ctx.t(
            "This is a request: give it a time, e.g. /confirm {reference} 2026-12-03 14:30",
            reference=reference,
        ),
        Refusal.NEEDS_PLACE: ctx.t(
            "Say where it takes place: one of the service's places or an address, e.g. "
            "/confirm {reference} 2026-12-03 14:30 PLACE",
            reference=reference,
        ),
        Refusal.PAST: ctx.t("This time is in the past."),
        Refusal.TOO_EARLY: ctx.t("Attendance can be marked from the day of the appointment."),
        Refusal.UNKNOWN_PLACE: ctx.t("This place is not one of the service's places."),
        Refusal.WRONG_SERVICE: ctx.t("This does not fit this service (slots or requests)."),
        Refusal.FULL: ctx.t("This slot is full."),
        Refusal.UNKNOWN_SLOT: ctx.t("There is no such slot."),
        Refusal.SLOT_CANCELLED: ctx.t("This slot is cancelled."),
        Refusal.CHANGED: ctx.t("It was changed meanwhile: look at it again."),
    }
    return "⚠️ " + messages.get(reason, ctx.t("This cannot be done."))


# -- a reason, typed ---------------------------------------------------------------------------


async def show_reason(ctx: Context) -> Sequence[Reply]:
    view = ctx.data(AgentView)
    if view.pending == "slot":
        text = ctx.t(
            "Why is slot {number} cancelled? Type the reason people will read.", number=view.slot
        )
    else:
        text = ctx.t(
            "Why? Type the reason the person will read ({reference}).", reference=view.reference
        )
    rows = [(NO_REASON.option(ctx.t("Without a reason")),)]
    if view.pending == "decline":
        rows = []
    return [Options(text=text, rows=tuple(rows))] if rows else [Text(text)]


async def no_reason(ctx: Context, value: str) -> Outcome:
    return await _with_reason(ctx, _desk(ctx), None)


NO_REASON = on("skip", no_reason)


async def text_reason(ctx: Context, text: str) -> Outcome:
    return await _with_reason(ctx, _desk(ctx), " ".join(text.split())[:500] or None)


async def _with_reason(ctx: Context, desk: Bookings, reason: str | None) -> Outcome:
    view = ctx.data(AgentView)
    if view.pending == "slot":
        return await _cancel_slot(ctx, desk, view.slot, reason)
    if view.pending in ("decline", "cancel"):
        return await _act(ctx, desk, view.reference, view.pending, reason=reason)
    return go(At.LIST, replace=True)


# -- commands on one booking -----------------------------------------------------------------------


def _reference(words: list[str]) -> str | None:
    return normalise_reference(words[0]) if words else None


MINUTES_RANGE = N_("minutes must be from 5 to 480")

#: What `bookings.slots.PlanError` can say, for the translators: an agent reads it in
#: their own language (tests/bookings/test_agents.py keeps the list complete).
PLAN_ERRORS = (
    MINUTES_RANGE,
    N_("{text} is not a date (YYYY-MM-DD)"),
    N_("{text} is not a time (HH:MM)"),
    N_("capacity {text} must be a whole number from 1 to {most}"),
    N_("length {text} must be a number of minutes from 5 to 480"),
    N_("weekdays {text}: use {codes}"),
    N_("end {end} must be after start {start}"),
    N_("until {until} is before the date {first}"),
    N_("weekdays need an `until` date"),
    N_("more than {most} slots at once: split it"),
    N_("unknown service {service} (known: {known})"),
    N_("{service} takes requests, not slots: confirm each with a time"),
    N_("{place} is not a place of {service} (known: {known})"),
    N_("this slot is in the past"),
    N_("capacity must be from 1 to {most}"),
    N_("the same slot is already on line {line}"),
    N_("service and place are required"),
    N_("usage: SERVICE PLACE DATE START-END CAPACITY [LENGTH] [until DATE DAYS]"),
    N_("{span} is not a time span (HH:MM-HH:MM)"),
    N_("after the capacity and length: until DATE [WEEKDAYS]"),
)


def _plan_error(ctx: Context, error: PlanError) -> str:
    return "⚠️ " + ctx.t(error.template, **error.params)


def _usage(ctx: Context, usage: str) -> Outcome:
    return stay(Text(ctx.t("Usage: {usage}", usage=usage)))


async def booking_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    reference = _reference(words)
    if reference is None:
        return _usage(ctx, "/booking REF")
    view = ctx.data(AgentView)
    view.reference = reference
    ctx.keep(view)
    return go(At.BOOKING, replace=ctx.state.step == At.BOOKING)


def _time_words(words: list[str]) -> tuple[dt.datetime, int | None, str | None]:
    """DATE TIME [MINUTES] [PLACE] as typed after a reference (Paris time); PLACE is a
    place id of the service or an address, in as many words as it takes."""
    starts_at = paris(parse_date(words[0]), parse_time(words[1]))
    rest = words[2:]
    minutes = parse_number(rest[0]) if rest else None
    if minutes is not None:
        rest = rest[1:]
    if minutes is not None and not 5 <= minutes <= 480:
        raise PlanError(MINUTES_RANGE)
    return starts_at, minutes, " ".join(rest) or None


async def confirm_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    reference = _reference(words)
    usage = "/confirm REF [YYYY-MM-DD HH:MM [MINUTES] [PLACE]]"
    if reference is None or len(words) == 2:
        return _usage(ctx, usage)
    if len(words) == 1:
        return await _act(ctx, desk, reference, "confirm")
    try:
        starts_at, minutes, place = _time_words(words[1:])
    except PlanError as error:
        return stay(Text(_plan_error(ctx, error)))
    # One of the service's place ids, else where the agent says, as typed.
    booking = await desk.booking(reference)
    service = desk.catalogue.get(booking.service_id) if booking is not None else None
    known = place is not None and service is not None and place in service.places
    return await _act(
        ctx,
        desk,
        reference,
        "confirm",
        starts_at=starts_at,
        minutes=minutes,
        place_id=place if known else None,
        place_text=None if known else place,
    )


async def decline_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    reference = _reference(words)
    if reference is None or len(words) < 2:
        return _usage(ctx, "/decline REF REASON")
    return await _act(ctx, desk, reference, "decline", reason=" ".join(words[1:])[:500])


async def cancel_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    reference = _reference(words)
    if reference is None:
        return _usage(ctx, "/cancel REF [REASON]")
    reason = " ".join(words[1:])[:500] or None
    return await _act(ctx, desk, reference, "cancel", reason=reason)


async def attended_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    reference = _reference(words)
    if reference is None:
        return _usage(ctx, "/attended REF")
    return await _act(ctx, desk, reference, "attended")


async def noshow_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    reference = _reference(words)
    if reference is None:
        return _usage(ctx, "/noshow REF")
    return await _act(ctx, desk, reference, "noshow")


async def move_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    """To another slot (`/move REF 42`), or a request to another time (`/move REF DATE TIME`)."""
    reference = _reference(words)
    usage = "/move REF SLOT  |  /move REF YYYY-MM-DD HH:MM [MINUTES]"
    if reference is None or len(words) not in (2, 3, 4):
        return _usage(ctx, usage)
    try:
        slot_id = parse_number(words[1]) if len(words) == 2 else None
        if slot_id is not None:
            booking = await desk.move(reference, slot_id, by=_actor(ctx), now=ctx.now)
        elif len(words) >= 3:
            starts_at, minutes, _place = _time_words(words[1:])
            booking = await desk.retime(
                reference, starts_at, by=_actor(ctx), now=ctx.now, minutes=minutes
            )
        else:
            return _usage(ctx, usage)
    except PlanError as error:
        return stay(Text(_plan_error(ctx, error)))
    except Refused as refused:
        return stay(Text(_refusal(ctx, refused.reason, reference)))
    except InvalidTransition as invalid:
        return stay(
            Text(
                ctx.t(
                    "{reference} is {status}: this cannot be done now.",
                    reference=reference,
                    status=status_label(ctx, invalid.status),
                )
            )
        )
    view = ctx.data(AgentView)
    view.reference = booking.reference
    ctx.keep(view)
    done = ctx.t(
        "{reference} is moved. The person will be told in their language.", reference=reference
    )
    return go(At.BOOKING, Text(done), replace=ctx.state.step == At.BOOKING)


# -- slots -------------------------------------------------------------------------------------


SLOTS_USAGE = (
    "/slots add SERVICE PLACE YYYY-MM-DD HH:MM-HH:MM CAPACITY [MINUTES] "
    "[until YYYY-MM-DD [mo+tu+we+th+fr]]",
    "/slots cancel ID [REASON]",
)


async def slots_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    if not words:
        return go(At.SLOTS, replace=ctx.state.step == At.SLOTS)
    verb, rest = words[0].lower(), words[1:]
    if verb == "add":
        return await _add_slots(ctx, desk, rest)
    slot_id = parse_number(rest[0]) if rest else None
    if verb == "cancel" and slot_id is not None:
        return await _cancel_slot(ctx, desk, slot_id, " ".join(rest[1:])[:500] or None)
    return stay(Text("\n".join(ctx.t("Usage: {usage}", usage=usage) for usage in SLOTS_USAGE)))


async def _add_slots(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    try:
        plans = parse_command(words)
        added = await desk.add_slots(plans, by=_actor(ctx), now=ctx.now)
    except PlanError as error:
        return stay(Text(_plan_error(ctx, error)))
    text = ctx.t(
        "Slots added: {created}. Already there: {unchanged}.",
        created=ctx.t.number(len(added.created)),
        unchanged=ctx.t.number(added.unchanged),
    )
    return go(At.SLOTS, Text(text), replace=ctx.state.step == At.SLOTS)


async def _cancel_slot(ctx: Context, desk: Bookings, slot_id: int, reason: str | None) -> Outcome:
    try:
        cancelled = await desk.cancel_slot(slot_id, by=_actor(ctx), now=ctx.now, reason=reason)
    except Refused as refused:
        return stay(Text(_refusal(ctx, refused.reason, str(slot_id))))
    view = ctx.data(AgentView)
    view.pending, view.slot = "", 0
    ctx.keep(view)
    text = ctx.t(
        "Slot {number} is cancelled. People told and offered another time: {count}.",
        number=slot_id,
        count=ctx.t.number(len(cancelled.bookings)),
    )
    return go(At.SLOTS, Text(text), replace=ctx.state.step in (At.SLOTS, At.REASON))


async def show_slots(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    today = paris_day(ctx.now)
    slots = await desk.slots_between(
        ctx.now, paris(today + dt.timedelta(days=SLOTS_SHOWN_DAYS), dt.time())
    )
    lines = [ctx.t("🗓️ Open slots, the next {days} days", days=ctx.t.number(SLOTS_SHOWN_DAYS))]
    lines += [_slot_line(ctx, slot) for slot in slots] or [ctx.t("No open slot.")]
    lines += ["", *(ctx.t("Usage: {usage}", usage=usage) for usage in SLOTS_USAGE)]
    rows = [
        (CANCEL_SLOT.option(ctx.t("🗑️ Cancel slot {number}", number=slot.id), str(slot.id)),)
        for slot in slots[:MAX_BUTTONS]
    ]
    rows.append((TODAY.option(ctx.t("📋 Today")),))
    return [Options(text="\n".join(lines), rows=tuple(rows))]


def _slot_line(ctx: Context, slot: SlotView) -> str:
    when = f"{ctx.t.date(paris_day(slot.starts_at), 'short')} {ctx.t.time(slot.starts_at)}"
    return f"#{slot.id} {when} {slot.service_id} · {slot.place_id} · {slot.booked}/{slot.capacity}"


async def today_list(ctx: Context, value: str) -> Outcome:
    return await _open_list(ctx, "today")


async def cancel_slot(ctx: Context, value: str) -> Outcome | None:
    slot_id = parse_number(value)
    if slot_id is None:
        return None
    view = ctx.data(AgentView)
    view.pending, view.slot = "slot", slot_id
    ctx.keep(view)
    return go(At.REASON)


TODAY = on("today", today_list)
CANCEL_SLOT = carrying("x.", cancel_slot)


# -- help ----------------------------------------------------------------------------------------


async def help_command(ctx: Context, desk: Bookings, words: list[str]) -> Outcome:
    lines = [
        ctx.t("🧑‍💼 Agents' commands"),
        "/today · /upcoming [DAYS] · /requests · /booking REF",
        "/confirm REF [YYYY-MM-DD HH:MM [MINUTES] [PLACE]]",
        "/decline REF REASON · /cancel REF [REASON]",
        "/attended REF · /noshow REF",
        "/move REF SLOT · /move REF YYYY-MM-DD HH:MM [MINUTES]",
        *SLOTS_USAGE,
    ]
    return stay(Text("\n".join(lines)))


COMMANDS: dict[str, CommandFn] = {
    "today": guarded(today),
    "upcoming": guarded(upcoming),
    "requests": guarded(requests),
    "booking": guarded(booking_command),
    "confirm": guarded(confirm_command),
    "decline": guarded(decline_command),
    "cancel": guarded(cancel_command),
    "attended": guarded(attended_command),
    "noshow": guarded(noshow_command),
    "move": guarded(move_command),
    "slots": guarded(slots_command),
    "agent": guarded(help_command),
}

AGENTS = Dialog(
    name="agents",
    start=At.LIST,
    steps=(
        Step(
            At.LIST,
            show_list,
            buttons=(SHOW_TODAY, SHOW_UPCOMING, SHOW_WAITING, REFRESH, OPEN_BOOKING),
            only_for=may_run_bookings,
        ),
        Step(
            At.BOOKING,
            show_booking,
            buttons=(CONFIRM, ATTENDED, NO_SHOW, DECLINE, CANCEL, BACK_TO_LIST),
            only_for=may_run_bookings,
        ),
        Step(
            At.REASON,
            show_reason,
            buttons=(NO_REASON,),
            on_text=text_reason,
            only_for=may_run_bookings,
        ),
        Step(At.SLOTS, show_slots, buttons=(TODAY, CANCEL_SLOT), only_for=may_run_bookings),
    ),
)
