"""How a booking reads in a person's language, and what the booking journeys share.

The confirmation card, the calendar file and the notifications the jobs send later
(`bot/jobs.py`), the agents' lists (dialogs/agents.py), the person's booking
(dialogs/appointments.py) and their list (dialogs/my_appointments.py) all read
bookings through `Wording`. The step names and the ids of the buttons a notice carries
are here too, so that a notice's button opens the same step as the journey's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bookings.calendar import MIME_TYPE, CalendarEntry, filename, ics
from bookings.catalogue import Catalogue
from bookings.notices import REMINDER_LEADS, Notice, NoticeKind
from bookings.states import Status
from bookings.views import PARIS, BookingView
from dialogs.i18n import N_, Translator, isolate_reply
from dialogs.ports import Library
from dialogs.replies import NAV_MENU, SEP, Card, Media, MediaKind, Option, Options, Reply, Text
from dialogs.state import StepData, StepName
from knowledge.views import PlaceView


class Booking(StepName):
    """The person's booking: a service, a place, a day and a time, then review."""

    SERVICES = "appts"
    PLACE = "bk-place"
    DAY = "bk-day"
    TIME = "bk-time"
    REVIEW = "bk-review"
    CONTACT = "bk-contact"
    DONE = "bk-done"


class Mine(StepName):
    """The person's appointments: the list, one of them, cancelling it."""

    LIST = "my-appts"
    ONE = "my-appt"
    CANCEL = "my-cancel"


#: The language of what the person's side leaves for the agents (a request in their
#: inbox): the team works in French.
AGENTS_LOCALE = "fr"

#: Button ids shared with the notices: a service on the services' list ("s.<service>"),
#: cancelling one's appointment ("cancel.<reference>").
SERVICE = "s."
CANCEL = "cancel."

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
    #: What the person last asked an agent for ("<service>.<place>" or a reference) and
    #: the number of that request: a second press sends nothing more.
    asked_about: str = ""
    asked: int = 0


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

    async def where(self, booking: BookingView) -> list[str]:
        """Where the booking takes place: where the agent said, typed, else its place."""
        if booking.place_text:
            return [f"📍 {booking.place_text}"]
        return self.place_lines(await self.place(booking.service_id, booking.place_id))

    async def location(self, booking: BookingView) -> str:
        """The calendar file's LOCATION: never empty, the service's name at the least."""
        if booking.place_text:
            return booking.place_text
        place = await self.place(booking.service_id, booking.place_id)
        parts = (place.name, self.address(place).replace("\n", ", ")) if place else ()
        found = ", ".join(part for part in parts if part)
        return found or await self.service_title(booking.service_id)

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

    async def card(self, booking: BookingView, now: dt.datetime) -> Card:
        lines = [await self.service_title(booking.service_id)]
        if booking.starts_at is not None:
            lines.append("🗓️ " + self.when(booking.starts_at, booking.ends_at))
        elif booking.is_open:
            lines.append(self.t("🕑 An agent will propose a time and tell you here."))
        lines.extend(await self.where(booking))
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
            footer=self.status_note(booking, now),
        )

    def status_note(self, booking: BookingView, now: dt.datetime) -> str | None:
        if booking.status is Status.REQUESTED:
            return self.t("You will get a message here when an agent answers.")
        if booking.status is not Status.CONFIRMED or booking.starts_at is None:
            return None
        # Promise only the reminders still to come (bookings/store/reminders.py sends a
        # reminder only while its time is ahead): a same-day booking gets no "day before".
        ahead = {kind for kind, lead in REMINDER_LEADS.items() if booking.starts_at - lead > now}
        if NoticeKind.DAY_BEFORE in ahead:
            return self.t("I will remind you the day before and two hours before.")
        if NoticeKind.TWO_HOURS in ahead:
            return self.t("I will remind you two hours before.")
        return None

    async def calendar_file(self, booking: BookingView, now: dt.datetime) -> Media | None:
        if booking.starts_at is None or booking.ends_at is None:
            return None
        description = [self.t("Reference: {reference}", reference=booking.reference)]
        bring = await self.to_bring(booking.service_id)
        if bring:
            description += [self.t("☑️ What to bring:"), *bring]
        entry = CalendarEntry(
            reference=booking.reference,
            title=await self.service_title(booking.service_id),
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            location=await self.location(booking),
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
        replies: list[Reply] = [await self.card(booking, now)]
        calendar = await self.calendar_file(booking, now) if booking.is_open else None
        if calendar is not None:
            replies.append(calendar)
        return replies


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
    typed = booking.place_text if booking is not None else None
    when = words.when(notice.starts_at, notice.ends_at) if notice.starts_at else ""
    params = {
        "reference": notice.reference,
        "service": service,
        "date": words.day(notice.starts_at) if notice.starts_at else "",
        "time": t.time(notice.starts_at) if notice.starts_at else "",
        "place": typed or (place.name if place else ""),
        "address": typed or words.address(place),
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
    # Full ids: these buttons are pressed from a notice, outside any step.
    menu = Option(NAV_MENU, t("🏠 Menu"))
    see = Option(f"{Mine.LIST}{SEP}{ref}", t("🗓️ See my appointment"))
    another = Option(
        f"{Booking.SERVICES}{SEP}{SERVICE}{notice.service_id}", t("📅 Choose another time")
    )
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
        if booking is not None and booking.place_text:
            where = [f"📍 {booking.place_text}"]
        else:
            where = words.place_lines(await words.place(notice.service_id, notice.place_id))
        lines = [lead, service, f"🗓️ {when}", *where]
        lines.append(t("🔖 Reference: {reference} (show it at the desk)", reference=ref))
        cannot = Option(f"{Mine.ONE}{SEP}{CANCEL}{ref}", t("❌ I cannot come"))
        return [Options("\n".join(lines), ((see,), (cannot,), (menu,)))]
    return [
        Options(
            t("There is news about your appointment {reference}.", reference=ref), ((see,), (menu,))
        )
    ]
