"""Appointments, the person's list: their appointments, one of them (calendar file, a
new time, cancelling), and cancelling it. A notice's "See my appointment" and "I cannot
come" buttons land here (dialogs/booking_words.py)."""

from __future__ import annotations

from collections.abc import Sequence

from bookings.catalogue import Mode
from bookings.refusals import PERSON, Refusal, Refused
from bookings.states import InvalidTransition, Status
from bookings.views import BookingView, paris_day
from dialogs.booking_words import (
    AGENTS_LOCALE,
    CANCEL,
    Booking,
    BookingFlow,
    Mine,
    Viewing,
    Wording,
)
from dialogs.framework import (
    Context,
    Dialog,
    Opens,
    Outcome,
    Step,
    carrying,
    go,
    go_back,
    on,
    stay,
    to,
)
from dialogs.ports import Bookings
from dialogs.replies import Option, Options, Reply, Text


def _desk(ctx: Context) -> Bookings | None:
    return ctx.conversations.bookings()


def _words(ctx: Context, desk: Bookings) -> Wording:
    return Wording(ctx.t, ctx.services.library, desk.catalogue)


def _unavailable(ctx: Context) -> list[Reply]:
    return [Text(ctx.t("Appointments are not available at the moment."))]


async def show_mine(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    if desk is None:
        return _unavailable(ctx)
    words = _words(ctx, desk)
    mine = await desk.mine(ctx.person.id, ctx.now)
    if not mine:
        return [
            Options(
                text=ctx.t("You have no appointments."),
                rows=((BOOK.option(ctx.t("📅 Book an appointment")),),),
            )
        ]
    rows = [(await _mine_option(ctx, words, booking),) for booking in mine]
    rows.append((BOOK.option(ctx.t("📅 Book an appointment")),))
    return [Options(text=ctx.t("🗓️ Your appointments"), rows=tuple(rows))]


async def _mine_option(ctx: Context, words: Wording, booking: BookingView) -> Option:
    title = await words.service_title(booking.service_id)
    icon = {Status.CONFIRMED: "✅", Status.REQUESTED: "⏳"}.get(booking.status, "▫️")
    if booking.starts_at is not None:
        when = (
            f"{ctx.t.date(paris_day(booking.starts_at), 'medium')} {ctx.t.time(booking.starts_at)}"
        )
        label = f"{icon} {when} · {title}"
    else:
        label = f"{icon} {title}"
    return OPEN_ONE.option(label, booking.reference, f"{title} · {booking.reference}")


async def open_one(ctx: Context, reference: str) -> Outcome | None:
    booking = await _viewed(ctx, reference)
    if booking is None:
        return _no_longer(ctx)
    ctx.keep(Viewing(reference=booking.reference))
    return go(Mine.ONE)


BOOK = to("book", Booking.SERVICES)
#: An appointment's reference (also the "See my appointment" of a notice).
OPEN_ONE = carrying("", open_one)


def _no_longer(ctx: Context) -> Outcome:
    """A button about an appointment that is not (or no longer) this person's."""
    text = Text(ctx.t("This appointment is not available any more."))
    return go(Mine.LIST, text, replace=True)


async def _viewed(ctx: Context, reference: str | None = None) -> BookingView | None:
    desk = _desk(ctx)
    reference = reference or ctx.data(Viewing).reference
    if desk is None or not reference:
        return None
    return await desk.booking(reference, ctx.person.id)


async def show_one(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    booking = await _viewed(ctx)
    if desk is None or booking is None:
        return [Text(ctx.t("This appointment is not available any more."))]
    ref = booking.reference
    rows: list[tuple[Option, ...]] = []
    ahead = booking.is_open and not booking.is_past(ctx.now)
    if ahead and booking.starts_at is not None:
        rows.append((CALENDAR_FILE.option(ctx.t("📎 Calendar file"), ref),))
    service = desk.catalogue.get(booking.service_id)
    if ahead and service is not None and service.mode is Mode.SLOTS:
        rows.append((NEW_TIME.option(ctx.t("🔁 Change the time"), ref),))
    elif ahead and service is not None:
        rows.append((ASK_OTHER_TIME.option(ctx.t("🔁 Ask for another time"), ref),))
    if ahead:
        rows.append((CANCEL_IT.option(ctx.t("❌ Cancel this appointment"), ref),))
    rows.append((ALL_MINE.option(ctx.t("🗓️ My appointments")),))
    card = await _words(ctx, desk).card(booking, ctx.now)
    return [card, Options(text=ctx.t("What next?"), rows=tuple(rows))]


async def _changeable(ctx: Context, reference: str) -> tuple[Bookings, BookingView] | Outcome:
    """The person's appointment a button names, if it can still change; else what to say."""
    desk = _desk(ctx)
    booking = await _viewed(ctx, reference)
    if desk is None or booking is None:
        return _no_longer(ctx)
    ctx.keep(Viewing(reference=booking.reference))
    if not booking.is_open or booking.is_past(ctx.now):
        text = Text(ctx.t("This appointment cannot be changed any more."))
        return go(Mine.ONE, text, replace=True)
    return desk, booking


async def calendar_file(ctx: Context, reference: str) -> Outcome | None:
    found = await _changeable(ctx, reference)
    if isinstance(found, Outcome):
        return found
    desk, booking = found
    media = await _words(ctx, desk).calendar_file(booking, ctx.now)
    return stay(media) if media is not None else None


async def new_time(ctx: Context, reference: str) -> Outcome | None:
    found = await _changeable(ctx, reference)
    if isinstance(found, Outcome):
        return found
    booking = found[1]
    moving = BookingFlow(
        service=booking.service_id, moving=booking.reference, place=booking.place_id or ""
    )
    ctx.keep(moving)
    return await ctx.open(Opens.NEW_TIME, booking.reference)


async def ask_other_time(ctx: Context, reference: str) -> Outcome | None:
    """A request service has no slots to choose from: an agent finds another time."""
    found = await _changeable(ctx, reference)
    if isinstance(found, Outcome):
        return found
    desk, booking = found
    flow = ctx.data(BookingFlow)
    if flow.asked_about != booking.reference:
        words = Wording(
            ctx.catalogs.translator(AGENTS_LOCALE), ctx.services.library, desk.catalogue
        )
        request = words.t(
            "The person asks for another time for the appointment {reference} ({service}).",
            reference=booking.reference,
            service=await words.service_title(booking.service_id),
        )
        flow.asked = await ctx.conversations.open_ticket(
            ctx.person, ctx.person.locale or "fr", request, kind="booking"
        )
        flow.asked_about = booking.reference
        ctx.keep(flow)
    number = flow.asked
    text = ctx.t(
        "Your request number is {number}. An agent will answer here; it can take a few "
        "working days. Until then, your appointment stays as it is.",
        number=number,
    )
    return stay(Text(text))


async def cancel_it(ctx: Context, reference: str) -> Outcome | None:
    found = await _changeable(ctx, reference)
    return found if isinstance(found, Outcome) else go(Mine.CANCEL)


ALL_MINE = to("mine", Mine.LIST)
CALENDAR_FILE = carrying("ics.", calendar_file)
NEW_TIME = carrying("move.", new_time)
ASK_OTHER_TIME = carrying("other.", ask_other_time)
CANCEL_IT = carrying(CANCEL, cancel_it)


async def show_cancel(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    booking = await _viewed(ctx)
    if desk is None or booking is None:
        return [Text(ctx.t("This appointment is not available any more."))]
    card = await _words(ctx, desk).card(booking, ctx.now)
    return [
        card,
        Options(
            text=ctx.t("Cancel this appointment? The place will go to someone else."),
            rows=(
                (YES_CANCEL.option(ctx.t("❌ Yes, cancel it"), booking.reference),),
                (KEEP_IT.option(ctx.t("↩️ No, keep it")),),
            ),
        ),
    ]


async def keep_it(ctx: Context, value: str) -> Outcome:
    return go_back()


async def yes_cancel(ctx: Context, reference: str) -> Outcome | None:
    desk = _desk(ctx)
    if desk is None:
        return None
    try:
        booking = await desk.cancel(reference, by=PERSON, now=ctx.now, person_id=ctx.person.id)
    except Refused as refused:
        if refused.reason is Refusal.PAST:
            return go(
                Mine.LIST,
                Text(ctx.t("This appointment cannot be changed any more.")),
                replace=True,
            )
        return _no_longer(ctx)
    except InvalidTransition:
        return go(Mine.LIST, Text(ctx.t("This appointment is already closed.")), replace=True)
    done = ctx.t("Your appointment {reference} is cancelled.", reference=booking.reference)
    return go(Mine.LIST, Text(done), replace=True)


KEEP_IT = on("no", keep_it)
YES_CANCEL = carrying("yes.", yes_cancel)


async def open_mine(ctx: Context, argument: str) -> Outcome:
    """The person's appointments, when what they typed was about changing one."""
    text = ctx.t("Here are your appointments: choose one to change its time or cancel it.")
    return go(Mine.LIST, Text(text))


MY_APPOINTMENTS = Dialog(
    name="my-appointments",
    start=Mine.LIST,
    steps=(
        Step(Mine.LIST, show_mine, buttons=(BOOK, OPEN_ONE)),
        Step(
            Mine.ONE,
            show_one,
            buttons=(ALL_MINE, CALENDAR_FILE, NEW_TIME, ASK_OTHER_TIME, CANCEL_IT),
        ),
        Step(Mine.CANCEL, show_cancel, buttons=(KEEP_IT, YES_CANCEL)),
    ),
    opens={Opens.MY_APPOINTMENTS: open_mine},
)
