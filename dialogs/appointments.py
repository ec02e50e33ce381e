"""Appointments, the person's booking: choose a service, a place, a day and a time,
review, give a contact when the service needs one, and the confirmation.

The booking itself is written in the transaction of the update (`Conversations.bookings`),
so it commits with the conversation or not at all; a "confirm" button carries a token,
so a second press books nothing more. The person's list is dialogs/my_appointments.py;
how a booking reads, dialogs/booking_words.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bookings.catalogue import ContactNeed, Mode, Service, places_of
from bookings.reference import new_request_key, parse_number
from bookings.refusals import PERSON, Refusal, Refused
from bookings.states import InvalidTransition
from bookings.views import Contact, SlotView, paris_day
from dialogs.booking_words import (
    AGENTS_LOCALE,
    SERVICE,
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
    on,
    stay,
    to,
)
from dialogs.i18n import N_
from dialogs.ports import Bookings
from dialogs.replies import Option, Options, Reply, Text
from dialogs.traps import not_a_contact
from knowledge.views import PlaceView

MAX_DAYS = 8
MAX_TIMES = 12
NAME_LENGTH = (2, 80)
PHONE_DIGITS = (8, 15)
_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")

#: The English `why` of every service in bookings/services.yaml, so that the reason a
#: contact is asked reaches translators (tests/bookings check the two stay in step).
CONTACT_REASONS = (
    N_("The care team may need to call you if the appointment has to change."),
    N_("Your social worker needs your name to refer you to an assessment session."),
    N_("A domiciliation is made in your name: the agent needs it to prepare the request."),
)


def _words(ctx: Context, desk: Bookings) -> Wording:
    return Wording(ctx.t, ctx.services.library, desk.catalogue)


# -- the steps -------------------------------------------------------------------------------


def _desk(ctx: Context) -> Bookings | None:
    return ctx.conversations.bookings()


def _unavailable(ctx: Context) -> list[Reply]:
    return [Text(ctx.t("Appointments are not available at the moment."))]


def _gone(ctx: Context) -> Outcome:
    _forget_choosing(ctx)
    return go(
        Booking.SERVICES, Text(ctx.t("This appointment is not available any more.")), replace=True
    )


async def _entry_label(ctx: Context, service: Service) -> str:
    entry = await ctx.services.library.entry(service.entry, ctx.person.locale or "fr")
    return entry.label if entry is not None else service.id


async def show_services(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    if desk is None:
        return _unavailable(ctx)
    rows: list[tuple[Option, ...]] = []
    mine = await desk.mine(ctx.person.id, ctx.now)
    open_count = sum(1 for booking in mine if booking.is_open)
    if mine:
        label = ctx.t("🗓️ My appointments ({count})", count=ctx.t.number(open_count))
        rows.append((MY_APPOINTMENTS.option(label),))
    for service in desk.catalogue.services:
        icon = "📨" if service.by_request else "📅"
        label = f"{icon} {await _entry_label(ctx, service)}"
        rows.append((PICK_SERVICE.option(label, service.id),))
    text = "\n".join(
        [
            ctx.t("📅 Appointments"),
            ctx.t("Which service would you like to meet? 📅 choose a time · 📨 ask for one"),
        ]
    )
    return [Options(text=text, rows=tuple(rows))]


async def pick_service(ctx: Context, service_id: str) -> Outcome:
    return await start_booking(ctx, service_id)


MY_APPOINTMENTS = to("mine", Mine.LIST)
PICK_SERVICE = carrying(SERVICE, pick_service)


async def start_booking(
    ctx: Context, service_id: str, moving: BookingFlow | None = None
) -> Outcome:
    """Begin a booking of `service_id`, or choose a new time for `moving` (same place)."""
    desk = _desk(ctx)
    service = desk.catalogue.get(service_id) if desk else None
    if service is None:
        return _gone(ctx)
    flow = BookingFlow(service=service.id)
    places = await _places(ctx, service)
    if moving is not None:
        flow.moving, flow.place = moving.moving, moving.place
    elif len(places) == 1:
        flow.place = places[0].id
    ctx.keep(flow)
    if len(places) > 1 and not flow.place:
        return go(Booking.PLACE)
    if service.mode is Mode.SLOTS:
        return go(Booking.DAY)
    return go(Booking.REVIEW)


async def open_for_entry(ctx: Context, slug: str) -> Outcome:
    """The "Book" button of an entry's card (`Opens.BOOKING`)."""
    desk = _desk(ctx)
    services = desk.catalogue.for_entry(slug) if desk else []
    if len(services) == 1:
        return await start_booking(ctx, services[0].id)
    return go(Booking.SERVICES)


async def open_new_time(ctx: Context, reference: str) -> Outcome:
    """A new time for the person's booking `reference` (`Opens.NEW_TIME`); the list that
    opens it keeps the booking's service and place in `BookingFlow` first."""
    flow = ctx.data(BookingFlow)
    if flow.moving != reference or not flow.service:
        return _gone(ctx)
    return await start_booking(ctx, flow.service, moving=flow)


async def _places(ctx: Context, service: Service) -> list[PlaceView]:
    entry = await ctx.services.library.entry(service.entry, ctx.person.locale or "fr")
    return places_of(service, entry)


def _flow_service(ctx: Context) -> Service | None:
    desk = _desk(ctx)
    return desk.catalogue.get(ctx.data(BookingFlow).service) if desk else None


async def show_places(ctx: Context) -> Sequence[Reply]:
    service = _flow_service(ctx)
    if service is None:
        return _unavailable(ctx)
    rows = []
    for place in await _places(ctx, service):
        rows.append(
            (PICK_PLACE.option(f"📍 {place.name}", f"{service.id}.{place.id}", place.name),)
        )
    return [Options(text=ctx.t("📍 Where would you like to go?"), rows=tuple(rows))]


async def pick_place(ctx: Context, value: str) -> Outcome | None:
    """`<service>.<place>`."""
    service_id, _, place_id = value.partition(".")
    desk = _desk(ctx)
    service = desk.catalogue.get(service_id) if desk else None
    if service is None or place_id not in service.places:
        return None
    flow = ctx.data(BookingFlow)
    if flow.service != service.id:
        flow = BookingFlow(service=service.id)
    flow.place, flow.after = place_id, ""
    ctx.keep(flow)
    return go(Booking.DAY if service.mode is Mode.SLOTS else Booking.REVIEW)


PICK_PLACE = carrying("", pick_place)


async def _heading(ctx: Context, desk: Bookings, flow: BookingFlow) -> str:
    words = _words(ctx, desk)
    title = await words.service_title(flow.service)
    place = await words.place(flow.service, flow.place)
    line = f"{title} · {place.name}" if place else title
    if flow.moving:
        return ctx.t("🔁 New time for {reference}", reference=flow.moving) + "\n" + line
    return line


async def show_days(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    flow = ctx.data(BookingFlow)
    if desk is None or not flow.service or not flow.place:
        return _unavailable(ctx)
    after = dt.date.fromisoformat(flow.after) if flow.after else None
    firsts = await desk.free_days(
        flow.service, flow.place, ctx.now, after_day=after, limit=MAX_DAYS
    )
    heading = await _heading(ctx, desk, flow)
    extra = _other_place_rows(ctx, desk, flow)
    if not firsts:
        text = "\n".join(
            [
                heading,
                ctx.t("There is no free time here for now. New times are added regularly."),
                ctx.t("You can ask an agent for a time: the answer will come here."),
            ]
        )
        ask_agent = (ASK_AGENT.option(ctx.t("📨 Ask an agent for a time")),)
        return [Options(text=text, rows=(ask_agent, *extra))]
    rows = [
        (PICK_DAY.option(ctx.t.date(paris_day(slot.starts_at), "full"), str(slot.id)),)
        for slot in firsts[:MAX_DAYS]
    ]
    if len(firsts) > MAX_DAYS:
        rows.append((LATER_DAYS.option(ctx.t("▶️ Later dates"), str(firsts[MAX_DAYS - 1].id)),))
    if after is not None:
        rows.append((EARLIEST_DAYS.option(ctx.t("◀️ Earliest dates")),))
    text = "\n".join([heading, ctx.t("🗓️ Which day?")])
    return [Options(text=text, rows=(*rows, *extra))]


def _other_place_rows(
    ctx: Context, desk: Bookings, flow: BookingFlow
) -> tuple[tuple[Option, ...], ...]:
    service = desk.catalogue.get(flow.service)
    if service is None or len(service.places) < 2 or flow.moving:
        return ()
    return ((OTHER_PLACE.option(ctx.t("📍 Another place")),),)


async def _slot_of(ctx: Context, text: str) -> SlotView | None:
    desk = _desk(ctx)
    slot_id = parse_number(text)
    if desk is None or slot_id is None:
        return None
    return await desk.slot(slot_id)


async def earliest_days(ctx: Context, value: str) -> Outcome:
    flow = ctx.data(BookingFlow)
    flow.after = ""
    ctx.keep(flow)
    return go(Booking.DAY, replace=True)


async def _flow_at(ctx: Context, slot_id: str) -> tuple[BookingFlow, SlotView] | None:
    """The flow moved to the service and place of a slot a button names."""
    slot = await _slot_of(ctx, slot_id)
    if slot is None:
        return None
    flow = ctx.data(BookingFlow)
    if flow.service != slot.service_id:
        flow = BookingFlow(service=slot.service_id)
    flow.place = slot.place_id
    return flow, slot


async def later_days(ctx: Context, slot_id: str) -> Outcome | None:
    """Days after the one of the slot named (the last listed)."""
    found = await _flow_at(ctx, slot_id)
    if found is None:
        return None
    flow, slot = found
    flow.after = paris_day(slot.starts_at).isoformat()
    ctx.keep(flow)
    return go(Booking.DAY, replace=True)


async def pick_day(ctx: Context, slot_id: str) -> Outcome | None:
    """The day of the slot named (the first free one that day)."""
    found = await _flow_at(ctx, slot_id)
    if found is None:
        return None
    flow, slot = found
    flow.day = paris_day(slot.starts_at).isoformat()
    ctx.keep(flow)
    return go(Booking.TIME)


async def ask_agent(ctx: Context, value: str) -> Outcome | None:
    """No free time: the request goes to the agents, who open slots or answer here."""
    desk = _desk(ctx)
    flow = ctx.data(BookingFlow)
    if desk is None or not flow.service:
        return None
    about = f"{flow.service}.{flow.place}"
    if flow.asked_about != about:
        words = Wording(
            ctx.catalogs.translator(AGENTS_LOCALE), ctx.services.library, desk.catalogue
        )
        place = await words.place(flow.service, flow.place)
        request = words.t(
            "No free time for {service} ({place}): the person asks for an appointment.",
            service=await words.service_title(flow.service),
            place=place.name if place else flow.place,
        )
        flow.asked = await ctx.conversations.open_ticket(
            ctx.person, ctx.person.locale or "fr", request, kind="booking"
        )
        flow.asked_about = about
        ctx.keep(flow)
    number = flow.asked
    text = ctx.t(
        "Your request number is {number}. An agent will answer here; it can take a few "
        "working days.",
        number=number,
    )
    return stay(Text(text))


OTHER_PLACE = to("places", Booking.PLACE)
ASK_AGENT = on("ask", ask_agent)
EARLIEST_DAYS = on("first", earliest_days)
PICK_DAY = carrying("d", pick_day)
LATER_DAYS = carrying("n", later_days)


async def show_times(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    flow = ctx.data(BookingFlow)
    if desk is None or not flow.day:
        return _unavailable(ctx)
    day = dt.date.fromisoformat(flow.day)
    slots = await desk.free_slots(flow.service, flow.place, ctx.now, on=day, limit=MAX_TIMES)
    heading = "\n".join([await _heading(ctx, desk, flow), f"🗓️ {ctx.t.date(day, 'full')}"])
    rows = [
        (
            PICK_TIME.option(
                f"🕑 {ctx.t.time(slot.starts_at)} – {ctx.t.time(slot.ends_at)}", str(slot.id)
            ),
        )
        for slot in slots
    ]
    rows.append((OTHER_DAY.option(ctx.t("🗓️ Another day")),))
    if not slots:
        heading += "\n" + ctx.t("No free time is left that day.")
    else:
        heading += "\n" + ctx.t("🕑 What time?")
    return [Options(text=heading, rows=tuple(rows))]


async def pick_time(ctx: Context, value: str) -> Outcome | None:
    """A slot's id."""
    slot = await _slot_of(ctx, value)
    if slot is None:
        return None
    flow = ctx.data(BookingFlow)
    if flow.service != slot.service_id:
        flow = BookingFlow(service=slot.service_id)
    flow.place, flow.day, flow.slot = slot.place_id, paris_day(slot.starts_at).isoformat(), slot.id
    ctx.keep(flow)
    return go(Booking.REVIEW)


OTHER_DAY = to("days", Booking.DAY)
PICK_TIME = carrying("", pick_time)


def _needs_contact(service: Service, flow: BookingFlow) -> bool:
    return service.contact is not ContactNeed.NONE and not flow.moving


def _contact_word(ctx: Context, service: Service) -> str:
    if service.contact is ContactNeed.NAME:
        return ctx.t("your name")
    return ctx.t("a phone number")


async def show_review(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    service = _flow_service(ctx)
    if desk is None or service is None:
        return _unavailable(ctx)
    flow = ctx.data(BookingFlow)
    flow.key = new_request_key()
    ctx.keep(flow)
    words = _words(ctx, desk)
    lines = [await _heading(ctx, desk, flow)]
    slot = await desk.slot(flow.slot) if flow.slot else None
    if service.mode is Mode.SLOTS and slot is not None:
        lines.append("🗓️ " + words.when(slot.starts_at, slot.ends_at))
    elif service.by_request:
        lines.append(ctx.t("📨 You ask for an appointment: an agent will propose a time."))
    if _needs_contact(service, flow):
        lines.append(
            ctx.t(
                "To book, this service needs {what}: {why}",
                what=_contact_word(ctx, service),
                why=_why(ctx, service),
            )
        )
        lines.append(
            ctx.t(
                "It is kept apart from our conversation, and erased {days} days after the "
                "appointment.",
                days=ctx.t.number(desk.retention.days),
            )
        )
        yes = ctx.t("✅ I agree, continue")
    elif flow.moving:
        yes = ctx.t("✅ Move it")
    else:
        yes = ctx.t("✅ Confirm")
    rows = ((CONFIRM.option(yes, flow.key),), (DO_NOT_BOOK.option(ctx.t("✖️ Do not book")),))
    return [Options(text="\n".join(lines), rows=rows)]


def _why(ctx: Context, service: Service) -> str:
    """The reason in the person's language: the file's text, else the English translated."""
    locale = ctx.person.locale or "fr"
    if locale in service.why:
        return service.why[locale]
    return ctx.t(service.why_in("en"))


async def do_not_book(ctx: Context, value: str) -> Outcome:
    ctx.keep(BookingFlow())
    _forget_choosing(ctx)
    return go(Booking.SERVICES, Text(ctx.t("Nothing was booked.")), replace=True)


async def confirm(ctx: Context, key: str) -> Outcome | None:
    """The token of the review shown: a second press of it books nothing more."""
    desk = _desk(ctx)
    if desk is None:
        return None
    flow = ctx.data(BookingFlow)
    if key != flow.key:
        return await _earlier_press(ctx, desk, key)
    service = _flow_service(ctx)
    if service is None:
        return _gone(ctx)
    if _needs_contact(service, flow):
        return go(Booking.CONTACT)
    return await _book(ctx, desk, service, flow, None)


DO_NOT_BOOK = on("no", do_not_book)
CONFIRM = carrying("ok.", confirm)


async def _earlier_press(ctx: Context, desk: Bookings, key: str) -> Outcome:
    """A "confirm" of an earlier review: it booked already (say which), or it is stale."""
    booking = await desk.by_request_key(ctx.person.id, key)
    if booking is not None:
        _done(ctx, booking.reference)
        return go(Booking.DONE, Text(ctx.t("This was already booked.")), replace=True)
    notice = Text(ctx.t("Please check the details and confirm again."))
    return go(Booking.REVIEW, notice, replace=True)


async def show_contact(ctx: Context) -> Sequence[Reply]:
    service = _flow_service(ctx)
    if service is None:
        return _unavailable(ctx)
    if service.contact is ContactNeed.NAME:
        text = ctx.t("✍️ Please type your first name and family name.")
    else:
        text = ctx.t("📞 Please type your phone number (for example 06 12 34 56 78).")
    return [Options(text=text, rows=((DO_NOT_BOOK.option(ctx.t("✖️ Do not book")),),))]


async def text_contact(ctx: Context, text: str) -> Outcome:
    desk = _desk(ctx)
    service = _flow_service(ctx)
    flow = ctx.data(BookingFlow)
    if desk is None or service is None or not flow.key:
        return _gone(ctx)
    contact = read_contact(service.contact, text)
    if contact is None:
        if service.contact is ContactNeed.NAME:
            problem = ctx.t("This does not look like a name. Please type it again.")
        else:
            problem = ctx.t("This does not look like a phone number. Please type it again.")
        return stay(Text(problem))
    return await _book(ctx, desk, service, flow, contact)


def read_contact(need: ContactNeed, text: str) -> Contact | None:
    """The name or phone number a person typed, tidied; None when it cannot be one."""
    value = " ".join(text.split())
    if need is ContactNeed.NAME:
        low, high = NAME_LENGTH
        if not low <= len(value) <= high or any(c.isdigit() or c in "@/\\<>" for c in value):
            return None
        return Contact(name=value)
    if need is ContactNeed.PHONE:
        digits = re.sub(r"\D", "", value)
        low, high = PHONE_DIGITS
        if not _PHONE.match(value) or not low <= len(digits) <= high:
            return None
        return Contact(phone=("+" if value.startswith("+") else "") + digits)
    return None


async def _book(
    ctx: Context,
    desk: Bookings,
    service: Service,
    flow: BookingFlow,
    contact: Contact | None,
) -> Outcome:
    unit = desk
    try:
        if flow.moving:
            booking = await unit.move(
                flow.moving, flow.slot, by=PERSON, now=ctx.now, person_id=ctx.person.id
            )
            note = ctx.t("🔁 Done: your appointment is moved.")
        else:
            booked = await unit.request(
                person_id=ctx.person.id,
                locale=ctx.person.locale or "fr",
                service_id=service.id,
                request_key=flow.key,
                now=ctx.now,
                slot_id=(flow.slot or None) if service.mode is Mode.SLOTS else None,
                place_id=(flow.place or None) if service.by_request else None,
                contact=contact,
            )
            booking = booked.booking
            note = (
                ctx.t("✅ Done. Keep this message: it has your reference.")
                if booked.created
                else ctx.t("This was already booked.")
            )
    except Refused as refused:
        return _refused(ctx, refused)
    except InvalidTransition:
        return _gone(ctx)
    _done(ctx, booking.reference)
    return go(Booking.DONE, Text(note), replace=True)


#: The steps of choosing a booking: once it is made they mean nothing any more.
_CHOOSING = frozenset(
    {Booking.PLACE, Booking.DAY, Booking.TIME, Booking.REVIEW, Booking.CONTACT, Booking.DONE}
)


def _done(ctx: Context, reference: str) -> None:
    """Keep the booking just made and forget the choosing: Back from the confirmation
    goes where the person came from (the services' list, an entry), not to an empty
    day or time screen."""
    ctx.keep(BookingFlow(done=reference))
    _forget_choosing(ctx)


def _forget_choosing(ctx: Context) -> None:
    ctx.state.back_stack[:] = [step for step in ctx.state.back_stack if step not in _CHOOSING]


def _refused(ctx: Context, refused: Refused) -> Outcome:
    reason = refused.reason
    if reason is Refusal.FULL:
        return go(
            Booking.TIME,
            Text(ctx.t("Sorry, this time was just taken. Please choose another.")),
            replace=True,
        )
    if reason in (Refusal.PAST, Refusal.SLOT_CANCELLED):
        return go(
            Booking.DAY,
            Text(ctx.t("This time is not available any more. Please choose another day.")),
            replace=True,
        )
    if reason is Refusal.ALREADY_BOOKED and refused.booking is not None:
        ctx.keep(Viewing(reference=refused.booking.reference))
        text = ctx.t(
            "You already have an appointment for this service: {reference}. "
            "You can change its time or cancel it.",
            reference=refused.booking.reference,
        )
        return go(Mine.ONE, Text(text), replace=True)
    if reason is Refusal.NEEDS_CONTACT:
        return go(Booking.CONTACT, replace=True)
    return _gone(ctx)


async def show_done(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    reference = ctx.data(BookingFlow).done
    booking = await desk.booking(reference, ctx.person.id) if desk and reference else None
    if desk is None or booking is None:
        return _unavailable(ctx)
    replies = await _words(ctx, desk).confirmation(booking, ctx.now)
    rows = [(MY_APPOINTMENTS.option(ctx.t("🗓️ My appointments")),)]
    service = desk.catalogue.get(booking.service_id)
    if service is not None and service.bring:
        rows.append((TO_BRING.option(ctx.t("☑️ Tick the documents to bring"), service.bring),))
    return [*replies, Options(text=ctx.t("What next?"), rows=tuple(rows))]


async def to_bring(ctx: Context, slug: str) -> Outcome:
    return await ctx.open(Opens.CHECKLIST, slug)


TO_BRING = carrying("bring.", to_bring)


APPOINTMENTS = Dialog(
    name="appointments",
    start=Booking.SERVICES,
    menu_label=N_("Appointments"),
    icon="📅",
    order=40,
    steps=(
        Step(Booking.SERVICES, show_services, buttons=(MY_APPOINTMENTS, PICK_SERVICE)),
        Step(Booking.PLACE, show_places, buttons=(PICK_PLACE,)),
        Step(
            Booking.DAY,
            show_days,
            buttons=(OTHER_PLACE, EARLIEST_DAYS, ASK_AGENT, PICK_DAY, LATER_DAYS),
        ),
        Step(Booking.TIME, show_times, buttons=(OTHER_DAY, PICK_TIME)),
        Step(Booking.REVIEW, show_review, buttons=(DO_NOT_BOOK, CONFIRM)),
        Step(
            Booking.CONTACT,
            show_contact,
            buttons=(DO_NOT_BOOK,),
            on_text=text_contact,
            is_question=not_a_contact,
        ),
        Step(Booking.DONE, show_done, buttons=(MY_APPOINTMENTS, TO_BRING)),
    ),
    opens={Opens.BOOKING: open_for_entry, Opens.NEW_TIME: open_new_time},
)
