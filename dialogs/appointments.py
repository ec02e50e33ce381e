"""Appointments, the person's side: choose a service, a place, a day and a time; see,
move and cancel one's appointments. Also how a booking reads in a person's language —
the confirmation card, the calendar file and the notifications the jobs send later.

The booking itself is written in the transaction of the update (`Conversations.bookings`), so
it commits with the conversation or not at all; a "confirm" button carries a token, so a
second press books nothing more.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bookings.calendar import MIME_TYPE, CalendarEntry, filename, ics
from bookings.catalogue import Catalogue, ContactNeed, Mode, Service, places_of
from bookings.notices import Notice, NoticeKind
from bookings.reference import new_request_key, parse_number
from bookings.refusals import PERSON, Refusal, Refused
from bookings.states import InvalidTransition, Status
from bookings.views import PARIS, BookingView, Contact, SlotView, paris_day
from dialogs.documents import open_checklist
from dialogs.framework import Context, Dialog, Outcome, Step, go, go_back, option, stay
from dialogs.i18n import N_, Translator, isolate_reply
from dialogs.ports import Bookings, Library
from dialogs.replies import Card, Media, MediaKind, Option, Options, Reply, Text
from dialogs.state import StepData
from knowledge.views import PlaceView

NAV_MENU = "nav:menu"
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

STATUS_TITLES = {
    Status.REQUESTED: N_("⏳ Appointment requested"),
    Status.CONFIRMED: N_("✅ Appointment confirmed"),
    Status.DECLINED: N_("✖️ Request declined"),
    Status.CANCELLED: N_("❌ Appointment cancelled"),
    Status.ATTENDED: N_("✔️ Appointment attended"),
    Status.NO_SHOW: N_("➖ Appointment missed"),
}


class BookingFlow(StepData):
    """What the person has chosen so far; ids only, never a name or a phone number."""

    namespace: str = "booking"
    service: str = ""
    place: str = ""
    day: str = ""
    slot: int = 0
    #: Paging of days: only days after this one are listed.
    after: str = ""
    #: The reference being moved; empty for a new booking.
    moving: str = ""
    #: The token of the last review shown: its "confirm" books with it, once.
    key: str = ""
    #: The booking just made, for the confirmation.
    done: str = ""


class Viewing(StepData):
    namespace: str = "appointments"
    reference: str = ""


# -- how a booking reads -------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """Bookings in one reader's language: the card, the calendar file, the notifications."""

    t: Translator
    library: Library
    catalogue: Catalogue

    @property
    def locale(self) -> str:
        return self.t.code

    async def service_title(self, service_id: str) -> str:
        service = self.catalogue.get(service_id)
        entry = await self.library.entry(service.entry, self.locale) if service else None
        return entry.label if entry is not None else service_id

    async def place(self, service_id: str, place_id: str | None) -> PlaceView | None:
        service = self.catalogue.get(service_id)
        if service is None or place_id is None:
            return None
        entry = await self.library.entry(service.entry, self.locale)
        return next((p for p in entry.places if p.id == place_id), None) if entry else None

    def day(self, value: dt.datetime) -> str:
        return self.t.date(value.astimezone(PARIS).date(), "full")

    def when(self, starts_at: dt.datetime, ends_at: dt.datetime | None) -> str:
        hours = self.t.time(starts_at)
        if ends_at is not None:
            hours = f"{hours} – {self.t.time(ends_at)}"
        return f"{self.day(starts_at)}, {hours}"

    def address(self, place: PlaceView | None) -> str:
        """What the knowledge base knows of where it is; nothing is made up."""
        if place is None:
            return ""
        parts: list[str] = []
        if place.address:
            town = " ".join(part for part in (place.postcode, place.city) if part)
            parts.append(f"{place.address}, {town}" if town else place.address)
        elif place.arrondissement:
            parts.append(self.t("Paris, arrondissement {number}", number=place.arrondissement))
        return "\n".join(parts)

    def place_lines(self, place: PlaceView | None) -> list[str]:
        if place is None:
            return []
        lines = [f"📍 {place.name}"]
        address = self.address(place)
        if address:
            lines.append(address)
        if not place.address:
            lines.append(self.t("We do not know the exact address: check it before going."))
        return lines

    async def to_bring(self, service_id: str) -> list[str]:
        service = self.catalogue.get(service_id)
        if service is None or not service.bring:
            return []
        entry = await self.library.entry(service.bring, self.locale)
        if entry is None:
            return []
        lines = []
        for item in entry.checklist:
            suffix = " " + self.t("(if it applies)") if item.optional else ""
            lines.append(f"• {item.label}{suffix}")
        return lines

    async def card(self, booking: BookingView) -> Card:
        place = await self.place(booking.service_id, booking.place_id)
        lines = [await self.service_title(booking.service_id)]
        if booking.starts_at is not None:
            lines.append("🗓️ " + self.when(booking.starts_at, booking.ends_at))
        elif booking.is_open:
            lines.append(self.t("🕑 An agent will propose a time and tell you here."))
        lines.extend(self.place_lines(place))
        lines.append(
            self.t("🔖 Reference: {reference} (show it at the desk)", reference=booking.reference)
        )
        bring = await self.to_bring(booking.service_id) if booking.is_open else []
        if bring:
            lines.append(self.t("☑️ What to bring:"))
            lines.extend(bring)
        return Card(
            title=self.t(STATUS_TITLES[booking.status]),
            body="\n".join(lines),
            footer=self.status_note(booking),
        )

    def status_note(self, booking: BookingView) -> str | None:
        if booking.status is Status.REQUESTED:
            return self.t("You will get a message here when an agent answers.")
        if booking.status is Status.CONFIRMED:
            return self.t("I will remind you the day before and two hours before.")
        return None

    async def calendar_file(self, booking: BookingView, now: dt.datetime) -> Media | None:
        if booking.starts_at is None or booking.ends_at is None:
            return None
        place = await self.place(booking.service_id, booking.place_id)
        location = ", ".join(part for part in (place.name if place else "", self.address(place)))
        description = [self.t("Reference: {reference}", reference=booking.reference)]
        bring = await self.to_bring(booking.service_id)
        if bring:
            description += [self.t("☑️ What to bring:"), *bring]
        entry = CalendarEntry(
            reference=booking.reference,
            title=await self.service_title(booking.service_id),
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            location=location.strip(", "),
            description="\n".join(description),
            sequence=booking.sequence,
            cancelled=not booking.is_open,
        )
        return Media(
            media=MediaKind.DOCUMENT,
            caption=self.t("📎 Add it to your calendar"),
            filename=filename(booking.reference),
            content=ics(entry, now),
            mime_type=MIME_TYPE,
        )

    async def confirmation(self, booking: BookingView, now: dt.datetime) -> list[Reply]:
        replies: list[Reply] = [await self.card(booking)]
        calendar = await self.calendar_file(booking, now) if booking.is_open else None
        if calendar is not None:
            replies.append(calendar)
        return replies


def wording(ctx: Context, desk: Bookings) -> Wording:
    return Wording(ctx.t, ctx.services.library, desk.catalogue)


# -- notifications ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedNotice:
    replies: tuple[Reply, ...]
    #: The same news as short texts, for a WhatsApp template outside its 24-hour window.
    params: dict[str, str]


async def render_notice(
    words: Wording, notice: Notice, booking: BookingView | None, now: dt.datetime
) -> RenderedNotice:
    """A notice in the reader's language, with buttons that still work when pressed later."""
    t = words.t
    service = await words.service_title(notice.service_id)
    place = await words.place(notice.service_id, notice.place_id)
    when = words.when(notice.starts_at, notice.ends_at) if notice.starts_at else ""
    params = {
        "reference": notice.reference,
        "service": service,
        "date": words.day(notice.starts_at) if notice.starts_at else "",
        "time": t.time(notice.starts_at) if notice.starts_at else "",
        "place": place.name if place else "",
        "address": words.address(place),
        "reason": notice.reason or "",
    }
    replies = await _notice_replies(words, notice, booking, now, service, when)
    if t.rtl:
        replies = [isolate_reply(reply) for reply in replies]
    return RenderedNotice(replies=tuple(replies), params=params)


async def _notice_replies(
    words: Wording,
    notice: Notice,
    booking: BookingView | None,
    now: dt.datetime,
    service: str,
    when: str,
) -> list[Reply]:
    t = words.t
    ref = notice.reference
    reason = [t("Reason: {reason}", reason=notice.reason)] if notice.reason else []
    menu = Option(NAV_MENU, t("🏠 Menu"))
    see = Option(f"my-appts:{ref}", t("🗓️ See my appointment"))
    another = Option(f"appts:s.{notice.service_id}", t("📅 Choose another time"))
    kind = notice.kind
    if kind in (NoticeKind.CONFIRMED, NoticeKind.MOVED) and booking is not None:
        head = (
            t("✅ Good news: your appointment {reference} is confirmed.", reference=ref)
            if kind is NoticeKind.CONFIRMED
            else t("🔁 Your appointment {reference} was moved by the team.", reference=ref)
        )
        return [
            Text(head),
            *await words.confirmation(booking, now),
            Options(t("What next?"), ((see,), (menu,))),
        ]
    if kind is NoticeKind.DECLINED:
        text = t(
            "Your request {reference} for {service} was declined.", reference=ref, service=service
        )
        return [Options("\n".join([text, *reason]), ((menu,),))]
    if kind in (NoticeKind.CANCELLED, NoticeKind.SLOT_CANCELLED):
        text = t(
            "❌ Sorry: your appointment {reference} ({service}, {when}) was cancelled by the team.",
            reference=ref,
            service=service,
            when=when,
        )
        offer = t("Would you like another time?")
        return [Options("\n".join([text, *reason, offer]), ((another,), (menu,)))]
    if kind in (NoticeKind.DAY_BEFORE, NoticeKind.TWO_HOURS):
        lead = (
            t("⏰ Reminder: your appointment is tomorrow.")
            if kind is NoticeKind.DAY_BEFORE
            else t("⏰ Reminder: your appointment is in two hours.")
        )
        place = await words.place(notice.service_id, notice.place_id)
        lines = [lead, service, f"🗓️ {when}", *words.place_lines(place)]
        lines.append(t("🔖 Reference: {reference} (show it at the desk)", reference=ref))
        cannot = Option(f"my-appt:cancel.{ref}", t("❌ I cannot come"))
        return [Options("\n".join(lines), ((see,), (cannot,), (menu,)))]
    return [
        Options(
            t("There is news about your appointment {reference}.", reference=ref), ((see,), (menu,))
        )
    ]


# -- the steps -------------------------------------------------------------------------------


def _desk(ctx: Context) -> Bookings | None:
    return ctx.conversations.bookings()


def _unavailable(ctx: Context) -> list[Reply]:
    return [Text(ctx.t("Appointments are not available at the moment."))]


def _gone(ctx: Context) -> Outcome:
    return go("appts", Text(ctx.t("This appointment is not available any more.")), replace=True)


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
        rows.append((option("mine", label),))
    for service in desk.catalogue.services:
        icon = "📨" if service.by_request else "📅"
        rows.append((option(f"s.{service.id}", f"{icon} {await _entry_label(ctx, service)}"),))
    text = "\n".join(
        [
            ctx.t("📅 Appointments"),
            ctx.t("Which service would you like to meet? 📅 choose a time · 📨 ask for one"),
        ]
    )
    return [Options(text=text, rows=tuple(rows))]


async def press_services(ctx: Context, value: str) -> Outcome | None:
    if value == "mine":
        return go("my-appts")
    if value.startswith("s."):
        return await start_booking(ctx, value[2:])
    return None


async def start_booking(
    ctx: Context, service_id: str, moving: BookingView | None = None
) -> Outcome:
    """Begin a booking of `service_id`, or choose a new time for `moving` (same place)."""
    desk = _desk(ctx)
    service = desk.catalogue.get(service_id) if desk else None
    if service is None:
        return _gone(ctx)
    flow = BookingFlow(service=service.id)
    places = await _places(ctx, service)
    if moving is not None:
        flow.moving, flow.place = moving.reference, moving.place_id or ""
    elif len(places) == 1:
        flow.place = places[0].id
    ctx.keep(flow)
    if len(places) > 1 and not flow.place:
        return go("bk-place")
    if service.mode is Mode.SLOTS:
        return go("bk-day")
    return go("bk-review")


async def open_for_entry(ctx: Context, slug: str) -> Outcome:
    """The "Book" button of an entry's card."""
    desk = _desk(ctx)
    services = desk.catalogue.for_entry(slug) if desk else []
    if len(services) == 1:
        return await start_booking(ctx, services[0].id)
    return go("appts")


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
        rows.append((option(f"{service.id}.{place.id}", f"📍 {place.name}", place.name),))
    return [Options(text=ctx.t("📍 Where would you like to go?"), rows=tuple(rows))]


async def press_places(ctx: Context, value: str) -> Outcome | None:
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
    return go("bk-day" if service.mode is Mode.SLOTS else "bk-review")


async def _heading(ctx: Context, desk: Bookings, flow: BookingFlow) -> str:
    words = wording(ctx, desk)
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
            ]
        )
        return [Options(text=text, rows=extra)] if extra else [Text(text)]
    rows = [
        (option(f"d{slot.id}", ctx.t.date(paris_day(slot.starts_at), "full")),)
        for slot in firsts[:MAX_DAYS]
    ]
    if len(firsts) > MAX_DAYS:
        rows.append((option(f"n{firsts[MAX_DAYS - 1].id}", ctx.t("▶️ Later dates")),))
    if after is not None:
        rows.append((option("first", ctx.t("◀️ Earliest dates")),))
    text = "\n".join([heading, ctx.t("🗓️ Which day?")])
    return [Options(text=text, rows=(*rows, *extra))]


def _other_place_rows(
    ctx: Context, desk: Bookings, flow: BookingFlow
) -> tuple[tuple[Option, ...], ...]:
    service = desk.catalogue.get(flow.service)
    if service is None or len(service.places) < 2 or flow.moving:
        return ()
    return ((option("places", ctx.t("📍 Another place")),),)


async def _slot_of(ctx: Context, text: str) -> SlotView | None:
    desk = _desk(ctx)
    slot_id = parse_number(text)
    if desk is None or slot_id is None:
        return None
    return await desk.slot(slot_id)


async def press_days(ctx: Context, value: str) -> Outcome | None:
    flow = ctx.data(BookingFlow)
    if value == "places":
        return go("bk-place")
    if value == "first":
        flow.after = ""
        ctx.keep(flow)
        return go("bk-day", replace=True)
    slot = await _slot_of(ctx, value[1:]) if value[:1] in ("d", "n") else None
    if slot is None:
        return None
    if flow.service != slot.service_id:
        flow = BookingFlow(service=slot.service_id)
    flow.place = slot.place_id
    if value.startswith("n"):
        flow.after = paris_day(slot.starts_at).isoformat()
        ctx.keep(flow)
        return go("bk-day", replace=True)
    flow.day = paris_day(slot.starts_at).isoformat()
    ctx.keep(flow)
    return go("bk-time")


async def show_times(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    flow = ctx.data(BookingFlow)
    if desk is None or not flow.day:
        return _unavailable(ctx)
    day = dt.date.fromisoformat(flow.day)
    slots = await desk.free_slots(flow.service, flow.place, ctx.now, on=day, limit=MAX_TIMES)
    heading = "\n".join([await _heading(ctx, desk, flow), f"🗓️ {ctx.t.date(day, 'full')}"])
    rows = [
        (option(str(slot.id), f"🕑 {ctx.t.time(slot.starts_at)} – {ctx.t.time(slot.ends_at)}"),)
        for slot in slots
    ]
    rows.append((option("days", ctx.t("🗓️ Another day")),))
    if not slots:
        heading += "\n" + ctx.t("No free time is left that day.")
    else:
        heading += "\n" + ctx.t("🕑 What time?")
    return [Options(text=heading, rows=tuple(rows))]


async def press_times(ctx: Context, value: str) -> Outcome | None:
    if value == "days":
        return go("bk-day")
    slot = await _slot_of(ctx, value)
    if slot is None:
        return None
    flow = ctx.data(BookingFlow)
    if flow.service != slot.service_id:
        flow = BookingFlow(service=slot.service_id)
    flow.place, flow.day, flow.slot = slot.place_id, paris_day(slot.starts_at).isoformat(), slot.id
    ctx.keep(flow)
    return go("bk-review")


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
    words = wording(ctx, desk)
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
    rows = ((option(f"ok.{flow.key}", yes),), (option("no", ctx.t("✖️ Do not book")),))
    return [Options(text="\n".join(lines), rows=rows)]


def _why(ctx: Context, service: Service) -> str:
    """The reason in the person's language: the file's text, else the English translated."""
    locale = ctx.person.locale or "fr"
    if locale in service.why:
        return service.why[locale]
    return ctx.t(service.why_in("en"))


async def press_review(ctx: Context, value: str) -> Outcome | None:
    desk = _desk(ctx)
    if value == "no":
        ctx.keep(BookingFlow())
        return go("appts", Text(ctx.t("Nothing was booked.")), replace=True)
    if desk is None or not value.startswith("ok."):
        return None
    flow = ctx.data(BookingFlow)
    key = value[3:]
    if key != flow.key:
        return await _earlier_press(ctx, desk, key)
    service = _flow_service(ctx)
    if service is None:
        return _gone(ctx)
    if _needs_contact(service, flow):
        return go("bk-contact")
    return await _book(ctx, desk, service, flow, None)


async def _earlier_press(ctx: Context, desk: Bookings, key: str) -> Outcome:
    """A "confirm" of an earlier review: it booked already (say which), or it is stale."""
    booking = await desk.by_request_key(ctx.person.id, key)
    if booking is not None:
        ctx.keep(BookingFlow(done=booking.reference))
        return go("bk-done", Text(ctx.t("This was already booked.")), replace=True)
    notice = Text(ctx.t("Please check the details and confirm again."))
    return go("bk-review", notice, replace=True)


async def show_contact(ctx: Context) -> Sequence[Reply]:
    service = _flow_service(ctx)
    if service is None:
        return _unavailable(ctx)
    if service.contact is ContactNeed.NAME:
        text = ctx.t("✍️ Please type your first name and family name.")
    else:
        text = ctx.t("📞 Please type your phone number (for example 06 12 34 56 78).")
    return [Options(text=text, rows=((option("no", ctx.t("✖️ Do not book")),),))]


async def press_contact(ctx: Context, value: str) -> Outcome | None:
    if value == "no":
        ctx.keep(BookingFlow())
        return go("appts", Text(ctx.t("Nothing was booked.")), replace=True)
    return None


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
    ctx.keep(BookingFlow(done=booking.reference))
    return go("bk-done", Text(note), replace=True)


def _refused(ctx: Context, refused: Refused) -> Outcome:
    reason = refused.reason
    if reason is Refusal.FULL:
        return go(
            "bk-time",
            Text(ctx.t("Sorry, this time was just taken. Please choose another.")),
            replace=True,
        )
    if reason in (Refusal.PAST, Refusal.SLOT_CANCELLED):
        return go(
            "bk-day",
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
        return go("my-appt", Text(text), replace=True)
    if reason is Refusal.NEEDS_CONTACT:
        return go("bk-contact", replace=True)
    return _gone(ctx)


async def show_done(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    reference = ctx.data(BookingFlow).done
    booking = await desk.booking(reference, ctx.person.id) if desk and reference else None
    if desk is None or booking is None:
        return _unavailable(ctx)
    replies = await wording(ctx, desk).confirmation(booking, ctx.now)
    rows = [(option("mine", ctx.t("🗓️ My appointments")),)]
    service = desk.catalogue.get(booking.service_id)
    if service is not None and service.bring:
        rows.append((option(f"bring.{service.bring}", ctx.t("☑️ Tick the documents to bring")),))
    return [*replies, Options(text=ctx.t("What next?"), rows=tuple(rows))]


async def press_done(ctx: Context, value: str) -> Outcome | None:
    if value == "mine":
        return go("my-appts")
    if value.startswith("bring."):
        return await open_checklist(ctx, value.removeprefix("bring."))
    return None


# -- my appointments ---------------------------------------------------------------------------


async def show_mine(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    if desk is None:
        return _unavailable(ctx)
    words = wording(ctx, desk)
    mine = await desk.mine(ctx.person.id, ctx.now)
    if not mine:
        return [
            Options(
                text=ctx.t("You have no appointments."),
                rows=((option("book", ctx.t("📅 Book an appointment")),),),
            )
        ]
    rows = [(await _mine_option(ctx, words, booking),) for booking in mine]
    rows.append((option("book", ctx.t("📅 Book an appointment")),))
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
    return option(booking.reference, label, f"{title} · {booking.reference}")


async def press_mine(ctx: Context, value: str) -> Outcome | None:
    if value == "book":
        return go("appts")
    booking = await _viewed(ctx, value)
    if booking is None:
        return _no_longer(ctx)
    ctx.keep(Viewing(reference=booking.reference))
    return go("my-appt")


def _no_longer(ctx: Context) -> Outcome:
    """A button about an appointment that is not (or no longer) this person's."""
    text = Text(ctx.t("This appointment is not available any more."))
    return go("my-appts", text, replace=True)


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
        rows.append((option(f"ics.{ref}", ctx.t("📎 Calendar file")),))
    service = desk.catalogue.get(booking.service_id)
    if ahead and service is not None and service.mode is Mode.SLOTS:
        rows.append((option(f"move.{ref}", ctx.t("🔁 Change the time")),))
    if ahead:
        rows.append((option(f"cancel.{ref}", ctx.t("❌ Cancel this appointment")),))
    rows.append((option("mine", ctx.t("🗓️ My appointments")),))
    card = await wording(ctx, desk).card(booking)
    return [card, Options(text=ctx.t("What next?"), rows=tuple(rows))]


async def press_one(ctx: Context, value: str) -> Outcome | None:
    if value == "mine":
        return go("my-appts")
    action, _, reference = value.partition(".")
    desk = _desk(ctx)
    booking = await _viewed(ctx, reference)
    if desk is None or booking is None:
        return _no_longer(ctx)
    ctx.keep(Viewing(reference=booking.reference))
    if not booking.is_open or booking.is_past(ctx.now):
        return go(
            "my-appt", Text(ctx.t("This appointment cannot be changed any more.")), replace=True
        )
    if action == "ics":
        media = await wording(ctx, desk).calendar_file(booking, ctx.now)
        return stay(media) if media is not None else None
    if action == "move":
        return await start_booking(ctx, booking.service_id, moving=booking)
    if action == "cancel":
        return go("my-cancel")
    return None


async def show_cancel(ctx: Context) -> Sequence[Reply]:
    desk = _desk(ctx)
    booking = await _viewed(ctx)
    if desk is None or booking is None:
        return [Text(ctx.t("This appointment is not available any more."))]
    card = await wording(ctx, desk).card(booking)
    return [
        card,
        Options(
            text=ctx.t("Cancel this appointment? The place will go to someone else."),
            rows=(
                (option(f"yes.{booking.reference}", ctx.t("❌ Yes, cancel it")),),
                (option("no", ctx.t("↩️ No, keep it")),),
            ),
        ),
    ]


async def press_cancel(ctx: Context, value: str) -> Outcome | None:
    if value == "no":
        return go_back()
    action, _, reference = value.partition(".")
    desk = _desk(ctx)
    if action != "yes" or desk is None:
        return None
    try:
        booking = await desk.cancel(reference, by=PERSON, now=ctx.now, person_id=ctx.person.id)
    except Refused as refused:
        if refused.reason is Refusal.PAST:
            return go(
                "my-appts",
                Text(ctx.t("This appointment cannot be changed any more.")),
                replace=True,
            )
        return _no_longer(ctx)
    except InvalidTransition:
        return go("my-appts", Text(ctx.t("This appointment is already closed.")), replace=True)
    done = ctx.t("Your appointment {reference} is cancelled.", reference=booking.reference)
    return go("my-appts", Text(done), replace=True)


APPOINTMENTS = Dialog(
    name="appointments",
    start="appts",
    menu_label=N_("Appointments"),
    icon="📅",
    order=40,
    steps=(
        Step("appts", show_services, press_services),
        Step("bk-place", show_places, press_places),
        Step("bk-day", show_days, press_days),
        Step("bk-time", show_times, press_times),
        Step("bk-review", show_review, press_review),
        Step("bk-contact", show_contact, press_contact, on_text=text_contact),
        Step("bk-done", show_done, press_done),
        Step("my-appts", show_mine, press_mine),
        Step("my-appt", show_one, press_one),
        Step("my-cancel", show_cancel, press_cancel),
    ),
)
