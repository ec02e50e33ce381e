"""The booking desk: slots, bookings and their transitions, in the database.

Seats are taken with one conditional UPDATE (`booked = booked + 1 WHERE booked <
capacity AND the slot is open and ahead`): PostgreSQL re-checks the condition on the
row it waited for, SQLite runs writers one at a time (units BEGIN IMMEDIATE), and a
CHECK constraint refuses a seat too many whatever happens. Transitions are
compare-and-set on the status, so two agents acting at once cannot both win.

A unit is either joined to the transaction of the update being handled (`within`: a
step's booking commits with its conversation state, or not at all) or its own
(`unit`: the command line, jobs, tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, cast, runtime_checkable

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bookings.catalogue import Catalogue, ContactNeed, Mode, Service
from bookings.models import (
    BookingRow,
    ContactRow,
    EventRow,
    NotificationRow,
    ServiceRow,
    SlotRow,
)
from bookings.notices import Notice, NoticeKind, add_notice, schedule_reminders, void_reminders
from bookings.reference import new_reference
from bookings.slots import SlotPlan, check_plan
from bookings.states import OPEN, Action, Status, after
from bookings.views import (
    AgentLine,
    Booked,
    BookingView,
    Contact,
    EventView,
    SlotCancelled,
    SlotsAdded,
    SlotStatus,
    SlotView,
    aware,
    day_bounds,
    paris_day,
    utc,
)

#: Who made a transition, as recorded in `booking_events.by`.
PERSON = "person"
SYSTEM = "system"
#: How long a closed booking stays in the person's list.
RECENTLY_CLOSED = dt.timedelta(days=14)
MAX_FREE_SLOTS_READ = 500


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
    TOO_EARLY = "too_early"
    #: Moved by someone else at the same moment: look at it again.
    CHANGED = "changed"


class Refused(Exception):
    """The desk said no; `reason` says why, `booking` is the one in the way, if any."""

    def __init__(self, reason: Refusal, booking: BookingView | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.booking = booking


@runtime_checkable
class SessionBound(Protocol):
    """A unit of work that exposes its database session (`bot.storage.SqlConversations`)."""

    session: AsyncSession


def _changed(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


def booking_view(row: BookingRow) -> BookingView:
    return BookingView(
        id=row.id,
        reference=row.reference,
        person_id=row.person_id,
        service_id=row.service_id,
        place_id=row.place_id,
        slot_id=row.slot_id,
        starts_at=aware(row.starts_at) if row.starts_at else None,
        ends_at=aware(row.ends_at) if row.ends_at else None,
        status=Status(row.status),
        locale=row.locale,
        sequence=row.sequence,
        created_at=aware(row.created_at),
    )


def slot_view(row: SlotRow) -> SlotView:
    return SlotView(
        id=row.id,
        service_id=row.service_id,
        place_id=row.place_id,
        starts_at=aware(row.starts_at),
        ends_at=aware(row.ends_at),
        capacity=row.capacity,
        booked=row.booked,
        status=SlotStatus(row.status),
    )


def _contact_view(row: ContactRow | None) -> Contact | None:
    return Contact(name=row.name, phone=row.phone) if row is not None else None


@dataclass(frozen=True)
class Rules:
    catalogue: Catalogue
    #: How long after an appointment (or its closing) its contact data is kept.
    retention: dt.timedelta


class BookingDesk:
    """Where the dialogs, the agents' commands and the jobs reach the bookings."""

    def __init__(
        self,
        catalogue: Catalogue,
        write_sessions: async_sessionmaker[AsyncSession],
        *,
        retention: dt.timedelta = dt.timedelta(days=90),
    ) -> None:
        """`write_sessions` must be the database's writing sessions: on SQLite they BEGIN
        IMMEDIATE, so concurrent units queue instead of failing half-way."""
        self.rules = Rules(catalogue=catalogue, retention=retention)
        self._sessions = write_sessions

    @property
    def catalogue(self) -> Catalogue:
        return self.rules.catalogue

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[BookingUnit]:
        """A transaction of its own: committed when the block ends, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield BookingUnit(session, self.rules)

    def within(self, conversations: object) -> BookingUnit:
        """Join the unit of work of the update being handled, so that what a step books
        commits with the conversation, once (a second transaction would also wait for the
        SQLite write lock the update already holds)."""
        if not isinstance(conversations, SessionBound):
            raise TypeError("the conversation store does not expose a database session")
        return BookingUnit(conversations.session, self.rules)

    async def sync_services(self, now: dt.datetime) -> None:
        """Mirror `services.yaml` into `booking_services`; services gone are deactivated."""
        async with self._sessions() as session, session.begin():
            rows = {row.id: row for row in (await session.scalars(select(ServiceRow))).all()}
            for service in self.catalogue.services:
                row = rows.pop(service.id, None)
                if row is None:
                    row = ServiceRow(id=service.id)
                    session.add(row)
                row.entry_slug = service.entry
                row.mode = service.mode.value
                row.places = list(service.places)
                row.active = True
                row.updated_at = utc(now)
            for gone in rows.values():
                gone.active = False
                gone.updated_at = utc(now)


class BookingUnit:
    """Booking operations inside one transaction. Every `now` is passed in: the clock is
    the caller's, so tests control time."""

    def __init__(self, session: AsyncSession, rules: Rules) -> None:
        self.session = session
        self.rules = rules

    # -- reading ----------------------------------------------------------------------------

    def service(self, service_id: str) -> Service:
        service = self.rules.catalogue.get(service_id)
        if service is None:
            raise Refused(Refusal.UNKNOWN_SERVICE)
        return service

    async def slot(self, slot_id: int) -> SlotView | None:
        row = await self.session.get(SlotRow, slot_id, populate_existing=True)
        return slot_view(row) if row is not None else None

    async def free_slots(
        self,
        service_id: str,
        place_id: str,
        now: dt.datetime,
        *,
        on: dt.date | None = None,
        limit: int = MAX_FREE_SLOTS_READ,
    ) -> list[SlotView]:
        """Slots ahead with a free seat, soonest first; `on` keeps one Paris day."""
        conditions = [
            SlotRow.service_id == service_id,
            SlotRow.place_id == place_id,
            SlotRow.status == SlotStatus.OPEN.value,
            SlotRow.booked < SlotRow.capacity,
            SlotRow.starts_at > utc(now),
        ]
        if on is not None:
            start, end = day_bounds(on)
            conditions += [SlotRow.starts_at >= start, SlotRow.starts_at < end]
        rows = await self.session.scalars(
            select(SlotRow).where(*conditions).order_by(SlotRow.starts_at, SlotRow.id).limit(limit)
        )
        return [slot_view(row) for row in rows]

    async def free_days(
        self,
        service_id: str,
        place_id: str,
        now: dt.datetime,
        *,
        after_day: dt.date | None = None,
        limit: int = 8,
    ) -> list[SlotView]:
        """The first free slot of each of the next days that have one (Paris days)."""
        firsts: dict[dt.date, SlotView] = {}
        for slot in await self.free_slots(service_id, place_id, now):
            day = paris_day(slot.starts_at)
            if after_day is not None and day <= after_day:
                continue
            firsts.setdefault(day, slot)
            if len(firsts) > limit:
                break
        return list(firsts.values())

    async def has_free_slots(self, service_id: str, place_id: str, now: dt.datetime) -> bool:
        return bool(await self.free_slots(service_id, place_id, now, limit=1))

    async def _row(self, reference: str, person_id: int | None = None) -> BookingRow:
        query = select(BookingRow).where(BookingRow.reference == reference)
        if person_id is not None:
            query = query.where(BookingRow.person_id == person_id)
        row = await self.session.scalar(query.execution_options(populate_existing=True))
        if row is None:
            raise Refused(Refusal.UNKNOWN_BOOKING)
        return row

    async def booking(self, reference: str, person_id: int | None = None) -> BookingView | None:
        try:
            return booking_view(await self._row(reference, person_id))
        except Refused:
            return None

    async def by_request_key(self, person_id: int, request_key: str) -> BookingView | None:
        row = await self._by_key(person_id, request_key)
        return booking_view(row) if row is not None else None

    async def mine(self, person_id: int, now: dt.datetime) -> list[BookingView]:
        """The person's open bookings, soonest first, then those closed lately."""
        rows = (
            await self.session.scalars(
                select(BookingRow)
                .where(
                    BookingRow.person_id == person_id,
                    or_(
                        BookingRow.status.in_([s.value for s in OPEN]),
                        BookingRow.updated_at >= utc(now - RECENTLY_CLOSED),
                    ),
                )
                .order_by(BookingRow.id)
            )
        ).all()
        views = [booking_view(row) for row in rows]
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        return sorted(views, key=lambda b: (not b.is_open, b.starts_at or far, b.id))

    async def contact(self, booking_id: int) -> Contact | None:
        return _contact_view(await self.session.get(ContactRow, booking_id))

    async def history(self, reference: str) -> list[EventView]:
        row = await self._row(reference)
        events = await self.session.scalars(
            select(EventRow).where(EventRow.booking_id == row.id).order_by(EventRow.id)
        )
        return [
            EventView(
                action=Action(event.action),
                from_status=Status(event.from_status) if event.from_status else None,
                to_status=Status(event.to_status),
                at=aware(event.at),
                by=event.by,
                note=event.note,
            )
            for event in events
        ]

    async def agenda(self, start: dt.datetime, end: dt.datetime) -> list[AgentLine]:
        """Bookings with a time in [start, end), by service, place and time (not the closed)."""
        rows = (
            await self.session.scalars(
                select(BookingRow)
                .where(
                    BookingRow.starts_at >= utc(start),
                    BookingRow.starts_at < utc(end),
                    BookingRow.status.in_(
                        [
                            Status.REQUESTED.value,
                            Status.CONFIRMED.value,
                            Status.ATTENDED.value,
                            Status.NO_SHOW.value,
                        ]
                    ),
                )
                .order_by(
                    BookingRow.service_id,
                    BookingRow.place_id,
                    BookingRow.starts_at,
                    BookingRow.id,
                )
            )
        ).all()
        return await self._lines(rows)

    async def day(self, day: dt.date) -> list[AgentLine]:
        return await self.agenda(*day_bounds(day))

    async def waiting(self) -> list[AgentLine]:
        """Requests an agent has to answer, oldest first."""
        rows = (
            await self.session.scalars(
                select(BookingRow)
                .where(BookingRow.status == Status.REQUESTED.value)
                .order_by(BookingRow.created_at, BookingRow.id)
            )
        ).all()
        return await self._lines(rows)

    async def _lines(self, rows: Sequence[BookingRow]) -> list[AgentLine]:
        ids = [row.id for row in rows]
        contacts: dict[int, ContactRow] = {}
        if ids:
            found = await self.session.scalars(
                select(ContactRow).where(ContactRow.booking_id.in_(ids))
            )
            contacts = {contact.booking_id: contact for contact in found}
        return [AgentLine(booking_view(row), _contact_view(contacts.get(row.id))) for row in rows]

    async def slots_between(
        self, start: dt.datetime, end: dt.datetime, service_id: str | None = None
    ) -> list[SlotView]:
        query = select(SlotRow).where(
            SlotRow.starts_at >= utc(start),
            SlotRow.starts_at < utc(end),
            SlotRow.status == SlotStatus.OPEN.value,
        )
        if service_id is not None:
            query = query.where(SlotRow.service_id == service_id)
        rows = await self.session.scalars(
            query.order_by(SlotRow.service_id, SlotRow.place_id, SlotRow.starts_at)
        )
        return [slot_view(row) for row in rows]

    # -- the person's side --------------------------------------------------------------------

    async def request(
        self,
        *,
        person_id: int,
        locale: str,
        service_id: str,
        request_key: str,
        now: dt.datetime,
        slot_id: int | None = None,
        place_id: str | None = None,
        contact: Contact | None = None,
        by: str = PERSON,
    ) -> Booked:
        """Book a slot, or ask for an appointment of a request-only service.

        The same `request_key` twice (a second press, a redelivered update) gives back the
        booking the first one made, and books nothing more.
        """
        service = self.service(service_id)
        existing = await self._by_key(person_id, request_key)
        if existing is not None:
            return Booked(booking_view(existing), created=False)
        self._check_contact(service, contact)
        await self._check_no_open_booking(service, person_id)
        slot: SlotRow | None = None
        if service.mode is Mode.SLOTS:
            slot = await self.session.get(SlotRow, slot_id) if slot_id is not None else None
            if slot is None:
                raise Refused(Refusal.UNKNOWN_SLOT)
            if slot.service_id != service.id:
                raise Refused(Refusal.WRONG_SERVICE)
            place_id = slot.place_id
        elif slot_id is not None:
            raise Refused(Refusal.WRONG_SERVICE)
        elif place_id is not None and place_id not in service.places:
            raise Refused(Refusal.UNKNOWN_PLACE)
        row = await self._insert(service, person_id, locale, request_key, slot, place_id, now)
        if row is None:
            # Someone (a second press in another process) got there first.
            existing = await self._by_key(person_id, request_key)
            if existing is not None:
                return Booked(booking_view(existing), created=False)
            await self._check_no_open_booking(service, person_id)
            raise Refused(Refusal.FULL)
        self._record(row, Action.REQUEST, None, Status.REQUESTED, by, now)
        if contact is not None and service.contact is not ContactNeed.NONE:
            self.session.add(
                ContactRow(
                    booking_id=row.id, name=contact.name, phone=contact.phone, created_at=utc(now)
                )
            )
        if service.confirmed_at_once:
            row = await self._transition(row, Action.CONFIRM, SYSTEM, now)
            await schedule_reminders(self.session, row, now)
        await self.session.flush()
        return Booked(booking_view(row), created=True)

    async def cancel(
        self,
        reference: str,
        *,
        by: str,
        now: dt.datetime,
        person_id: int | None = None,
        reason: str | None = None,
    ) -> BookingView:
        """Cancel a booking; with `person_id`, only theirs and only before it starts.

        An agent's cancellation (no `person_id`) is told to the person.
        """
        row = await self._row(reference, person_id)
        if person_id is not None and booking_view(row).is_past(now):
            raise Refused(Refusal.PAST)
        row = await self._transition(row, Action.CANCEL, by, now, note=reason)
        await self._release(row)
        await void_reminders(self.session, row.id, now)
        if person_id is None:
            self._tell(row, NoticeKind.CANCELLED, now, reason)
        return booking_view(row)

    async def move(
        self,
        reference: str,
        slot_id: int,
        *,
        by: str,
        now: dt.datetime,
        person_id: int | None = None,
    ) -> BookingView:
        """Move a booking to another slot of its service; the old seat is freed.

        Moving to the slot it is already on changes nothing (a second press).
        """
        row = await self._row(reference, person_id)
        if row.slot_id == slot_id:
            return booking_view(row)
        if person_id is not None and booking_view(row).is_past(now):
            raise Refused(Refusal.PAST)
        slot = await self.session.get(SlotRow, slot_id)
        if slot is None:
            raise Refused(Refusal.UNKNOWN_SLOT)
        if slot.service_id != row.service_id:
            raise Refused(Refusal.WRONG_SERVICE)
        after(Status(row.status), Action.MOVE)
        old_slot, old_start = row.slot_id, row.starts_at
        async with self.session.begin_nested():
            await self._take_seat(slot, now)
            row = await self._transition(
                row,
                Action.MOVE,
                by,
                now,
                note=_moved_note(old_start, slot.starts_at),
                slot_id=slot.id,
                place_id=slot.place_id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                sequence=row.sequence + 1,
            )
        if old_slot is not None:
            await self._release_seat(old_slot)
        await schedule_reminders(self.session, row, now)
        if person_id is None:
            self._tell(row, NoticeKind.MOVED, now)
        return booking_view(row)

    async def retime(
        self,
        reference: str,
        starts_at: dt.datetime,
        *,
        by: str,
        now: dt.datetime,
        minutes: int | None = None,
    ) -> BookingView:
        """An agent moves a request-only booking to another time (it has no slots)."""
        row = await self._row(reference)
        service = self.service(row.service_id)
        if service.mode is Mode.SLOTS:
            raise Refused(Refusal.WRONG_SERVICE)
        if starts_at <= now:
            raise Refused(Refusal.PAST)
        if row.starts_at is None:
            raise Refused(Refusal.NEEDS_TIME)
        length = dt.timedelta(minutes=minutes or service.minutes)
        row = await self._transition(
            row,
            Action.MOVE,
            by,
            now,
            note=_moved_note(row.starts_at, starts_at),
            starts_at=utc(starts_at),
            ends_at=utc(starts_at + length),
            sequence=row.sequence + 1,
        )
        await schedule_reminders(self.session, row, now)
        self._tell(row, NoticeKind.MOVED, now)
        return booking_view(row)

    # -- the agents' side -----------------------------------------------------------------------

    async def confirm(
        self,
        reference: str,
        *,
        by: str,
        now: dt.datetime,
        starts_at: dt.datetime | None = None,
        minutes: int | None = None,
        place_id: str | None = None,
    ) -> BookingView:
        """Confirm a booking; a request gets its time (and place) from the agent here."""
        row = await self._row(reference)
        service = self.service(row.service_id)
        changes: dict[str, Any] = {}
        if starts_at is not None:
            if service.mode is Mode.SLOTS:
                raise Refused(Refusal.WRONG_SERVICE)
            if starts_at <= now:
                raise Refused(Refusal.PAST)
            length = dt.timedelta(minutes=minutes or service.minutes)
            changes.update(starts_at=utc(starts_at), ends_at=utc(starts_at + length))
        elif row.starts_at is None:
            raise Refused(Refusal.NEEDS_TIME)
        if place_id is not None:
            if service.mode is Mode.SLOTS or place_id not in service.places:
                raise Refused(Refusal.UNKNOWN_PLACE)
            changes["place_id"] = place_id
        row = await self._transition(row, Action.CONFIRM, by, now, **changes)
        await schedule_reminders(self.session, row, now)
        self._tell(row, NoticeKind.CONFIRMED, now)
        return booking_view(row)

    async def decline(
        self, reference: str, *, by: str, now: dt.datetime, reason: str | None
    ) -> BookingView:
        row = await self._row(reference)
        row = await self._transition(row, Action.DECLINE, by, now, note=reason)
        await self._release(row)
        self._tell(row, NoticeKind.DECLINED, now, reason)
        return booking_view(row)

    async def attended(self, reference: str, *, by: str, now: dt.datetime) -> BookingView:
        return await self._close_after(reference, Action.ATTEND, by, now)

    async def no_show(self, reference: str, *, by: str, now: dt.datetime) -> BookingView:
        return await self._close_after(reference, Action.NO_SHOW, by, now)

    async def _close_after(
        self, reference: str, action: Action, by: str, now: dt.datetime
    ) -> BookingView:
        """Attended or not: said on the appointment's day or after, never before."""
        row = await self._row(reference)
        view = booking_view(row)
        if view.starts_at is None or paris_day(now) < paris_day(view.starts_at):
            raise Refused(Refusal.TOO_EARLY)
        row = await self._transition(row, action, by, now)
        await void_reminders(self.session, row.id, now)
        return booking_view(row)

    async def add_slots(
        self, plans: Sequence[SlotPlan], *, by: str, now: dt.datetime
    ) -> SlotsAdded:
        """Open slots; one that is already open at the same service, place and start is left."""
        created: list[SlotRow] = []
        unchanged = 0
        for plan in plans:
            check_plan(self.rules.catalogue, plan, now)
            existing = await self.session.scalar(
                select(SlotRow.id).where(
                    SlotRow.service_id == plan.service_id,
                    SlotRow.place_id == plan.place_id,
                    SlotRow.starts_at == utc(plan.starts_at),
                    SlotRow.status == SlotStatus.OPEN.value,
                )
            )
            if existing is not None:
                unchanged += 1
                continue
            row = SlotRow(
                service_id=plan.service_id,
                place_id=plan.place_id,
                starts_at=utc(plan.starts_at),
                ends_at=utc(plan.ends_at),
                capacity=plan.capacity,
                booked=0,
                status=SlotStatus.OPEN.value,
                live=1,
                created_at=utc(now),
                created_by=by,
            )
            self.session.add(row)
            created.append(row)
        await self.session.flush()
        return SlotsAdded(created=tuple(slot_view(row) for row in created), unchanged=unchanged)

    async def cancel_slot(
        self, slot_id: int, *, by: str, now: dt.datetime, reason: str | None = None
    ) -> SlotCancelled:
        """Cancel a slot: its places are freed, and every person booked on it is told, in
        their language, and offered another time."""
        slot = await self.session.get(SlotRow, slot_id, populate_existing=True)
        if slot is None:
            raise Refused(Refusal.UNKNOWN_SLOT)
        if slot.status != SlotStatus.OPEN.value:
            raise Refused(Refusal.SLOT_CANCELLED)
        if aware(slot.starts_at) <= now:
            raise Refused(Refusal.PAST)
        # Taking the slot's row first: a booking racing with us either committed before
        # (and is found below) or finds the slot cancelled.
        closed = await self.session.execute(
            update(SlotRow)
            .where(SlotRow.id == slot_id, SlotRow.status == SlotStatus.OPEN.value)
            .values(
                status=SlotStatus.CANCELLED.value,
                live=None,
                cancelled_at=utc(now),
                cancelled_by=by,
            )
            .execution_options(synchronize_session=False)
        )
        if _changed(closed) != 1:
            raise Refused(Refusal.SLOT_CANCELLED)
        rows = (
            await self.session.scalars(
                select(BookingRow)
                .where(
                    BookingRow.slot_id == slot_id,
                    BookingRow.status.in_([s.value for s in OPEN]),
                )
                .order_by(BookingRow.id)
                .execution_options(populate_existing=True)
            )
        ).all()
        cancelled: list[BookingView] = []
        for row in rows:
            note = f"slot cancelled: {reason}" if reason else "slot cancelled"
            row = await self._transition(row, Action.CANCEL, by, now, note=note)
            await void_reminders(self.session, row.id, now)
            self._tell(row, NoticeKind.SLOT_CANCELLED, now, reason)
            cancelled.append(booking_view(row))
        await self.session.execute(
            update(SlotRow)
            .where(SlotRow.id == slot_id)
            .values(booked=0)
            .execution_options(synchronize_session=False)
        )
        refreshed = await self.session.get(SlotRow, slot_id, populate_existing=True)
        assert refreshed is not None
        return SlotCancelled(slot=slot_view(refreshed), bookings=tuple(cancelled))

    # -- retention ----------------------------------------------------------------------------

    async def erase_expired(self, now: dt.datetime) -> int:
        """Erase contact data whose retention ended and unlink those bookings from people;
        drop the notifications (they name a booking and a time) kept as long.

        Only closed bookings, or bookings whose appointment is over, are touched: an open
        request still waiting for an agent keeps what the agent needs.
        """
        cutoff = utc(now)
        await self.session.execute(
            delete(NotificationRow).where(
                NotificationRow.created_at <= utc(now - self.rules.retention),
                or_(
                    NotificationRow.sent_at.is_not(None),
                    NotificationRow.voided_at.is_not(None),
                    NotificationRow.failed_at.is_not(None),
                ),
            )
        )
        expired = select(BookingRow.id).where(
            BookingRow.retain_until <= cutoff,
            BookingRow.person_id.is_not(None),
            or_(
                BookingRow.status.not_in([s.value for s in OPEN]),
                BookingRow.ends_at <= cutoff,
            ),
        )
        ids = list((await self.session.scalars(expired)).all())
        if not ids:
            return 0
        await self.session.execute(delete(ContactRow).where(ContactRow.booking_id.in_(ids)))
        result = await self.session.execute(
            update(BookingRow)
            .where(BookingRow.id.in_(ids))
            .values(person_id=None, open_guard=None)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    # -- inside ---------------------------------------------------------------------------------

    def _check_contact(self, service: Service, contact: Contact | None) -> None:
        if service.contact is ContactNeed.NAME and not (contact and contact.name):
            raise Refused(Refusal.NEEDS_CONTACT)
        if service.contact is ContactNeed.PHONE and not (contact and contact.phone):
            raise Refused(Refusal.NEEDS_CONTACT)

    async def _check_no_open_booking(self, service: Service, person_id: int) -> None:
        if service.several:
            return
        row = await self.session.scalar(
            select(BookingRow).where(
                BookingRow.person_id == person_id,
                BookingRow.service_id == service.id,
                BookingRow.status.in_([s.value for s in OPEN]),
            )
        )
        if row is not None:
            raise Refused(Refusal.ALREADY_BOOKED, booking_view(row))

    async def _by_key(self, person_id: int, request_key: str) -> BookingRow | None:
        return await self.session.scalar(
            select(BookingRow).where(
                BookingRow.person_id == person_id, BookingRow.request_key == request_key
            )
        )

    async def _insert(
        self,
        service: Service,
        person_id: int,
        locale: str,
        request_key: str,
        slot: SlotRow | None,
        place_id: str | None,
        now: dt.datetime,
    ) -> BookingRow | None:
        """Take the seat and write the booking together; None when a unique rule refused it
        (same request key, or an open booking of the same service, made meanwhile)."""
        for _attempt in range(5):
            reference = await self._free_reference()
            row = BookingRow(
                reference=reference,
                person_id=person_id,
                service_id=service.id,
                place_id=place_id,
                slot_id=slot.id if slot else None,
                starts_at=slot.starts_at if slot else None,
                ends_at=slot.ends_at if slot else None,
                status=Status.REQUESTED.value,
                locale=locale,
                request_key=request_key,
                open_guard=None if service.several else 1,
                sequence=0,
                created_at=utc(now),
                updated_at=utc(now),
                retain_until=utc(now),
            )
            row.retain_until = self._retention_end(row, Status.REQUESTED, now)
            try:
                async with self.session.begin_nested():
                    if slot is not None:
                        await self._take_seat(slot, now)
                    self.session.add(row)
                    await self.session.flush()
            except IntegrityError:
                if await self._reference_taken(reference):
                    continue
                return None
            return row
        raise RuntimeError("no free reference code after 5 attempts")

    async def _free_reference(self) -> str:
        while True:
            reference = new_reference()
            if not await self._reference_taken(reference):
                return reference

    async def _reference_taken(self, reference: str) -> bool:
        found = await self.session.scalar(
            select(func.count()).select_from(BookingRow).where(BookingRow.reference == reference)
        )
        return bool(found)

    async def _take_seat(self, slot: SlotRow, now: dt.datetime) -> None:
        taken = await self.session.execute(
            update(SlotRow)
            .where(
                SlotRow.id == slot.id,
                SlotRow.status == SlotStatus.OPEN.value,
                SlotRow.booked < SlotRow.capacity,
                SlotRow.starts_at > utc(now),
            )
            .values(booked=SlotRow.booked + 1)
            .execution_options(synchronize_session=False)
        )
        if _changed(taken) == 1:
            return
        current = await self.session.get(SlotRow, slot.id, populate_existing=True)
        if current is None:
            raise Refused(Refusal.UNKNOWN_SLOT)
        if current.status != SlotStatus.OPEN.value:
            raise Refused(Refusal.SLOT_CANCELLED)
        if aware(current.starts_at) <= now:
            raise Refused(Refusal.PAST)
        raise Refused(Refusal.FULL)

    async def _release(self, row: BookingRow) -> None:
        if row.slot_id is not None:
            await self._release_seat(row.slot_id)

    async def _release_seat(self, slot_id: int) -> None:
        await self.session.execute(
            update(SlotRow)
            .where(SlotRow.id == slot_id, SlotRow.booked > 0)
            .values(booked=SlotRow.booked - 1)
            .execution_options(synchronize_session=False)
        )

    def _retention_end(self, row: BookingRow, status: Status, now: dt.datetime) -> dt.datetime:
        """Kept `retention` after the appointment, or after the booking closed before it."""
        base = aware(row.ends_at) if row.ends_at is not None else now
        if not status.is_open:
            base = min(base, now)
        return utc(base + self.rules.retention)

    async def _transition(
        self,
        row: BookingRow,
        action: Action,
        by: str,
        now: dt.datetime,
        *,
        note: str | None = None,
        **changes: Any,
    ) -> BookingRow:
        """Apply `action` if the booking is still as read (compare-and-set), and record it."""
        current = Status(row.status)
        target = after(current, action)
        service = self.rules.catalogue.get(row.service_id)
        several = service.several if service is not None else False
        values: dict[str, Any] = {
            "status": target.value,
            "updated_at": utc(now),
            "open_guard": 1 if target.is_open and not several else None,
            **changes,
        }
        result = await self.session.execute(
            update(BookingRow)
            .where(
                BookingRow.id == row.id,
                BookingRow.status == current.value,
                BookingRow.sequence == row.sequence,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        fresh = await self.session.get(BookingRow, row.id, populate_existing=True)
        assert fresh is not None
        if _changed(result) != 1:
            # Someone else acted on it meanwhile: judge the action against what it is now.
            after(Status(fresh.status), action)
            if "sequence" in changes:
                # A move decided on the time it had: never apply it to another one.
                raise Refused(Refusal.CHANGED, booking_view(fresh))
            return await self._transition(fresh, action, by, now, note=note, **changes)
        fresh.retain_until = self._retention_end(fresh, target, now)
        self._record(fresh, action, current, target, by, now, note)
        await self.session.flush()
        return fresh

    def _record(
        self,
        row: BookingRow,
        action: Action,
        source: Status | None,
        target: Status,
        by: str,
        now: dt.datetime,
        note: str | None = None,
    ) -> None:
        self.session.add(
            EventRow(
                booking_id=row.id,
                action=action.value,
                from_status=source.value if source else None,
                to_status=target.value,
                at=utc(now),
                by=by,
                note=note,
            )
        )

    def _tell(
        self, row: BookingRow, kind: NoticeKind, now: dt.datetime, reason: str | None = None
    ) -> None:
        if row.person_id is None:
            return
        add_notice(self.session, row.person_id, Notice.about(kind, row, reason), row.id, now)


def _moved_note(old: dt.datetime | None, new: dt.datetime) -> str:
    before = aware(old).isoformat() if old else "none"
    return f"moved from {before} to {aware(new).isoformat()}"


async def forget_person(session: AsyncSession, person_id: int, now: dt.datetime) -> None:
    """The person asked to be forgotten: their open bookings are cancelled (the places go
    back to others), their contact data and pending messages erased, and every booking of
    theirs unlinked from them. The bookings stay, anonymous, for the agents' records."""
    rows = (
        await session.scalars(
            select(BookingRow).where(
                BookingRow.person_id == person_id,
                BookingRow.status.in_([s.value for s in OPEN]),
            )
        )
    ).all()
    for row in rows:
        if row.slot_id is not None:
            await session.execute(
                update(SlotRow)
                .where(SlotRow.id == row.slot_id, SlotRow.booked > 0)
                .values(booked=SlotRow.booked - 1)
                .execution_options(synchronize_session=False)
            )
        session.add(
            EventRow(
                booking_id=row.id,
                action=Action.CANCEL.value,
                from_status=row.status,
                to_status=Status.CANCELLED.value,
                at=utc(now),
                by=PERSON,
                note="the person erased their data",
            )
        )
        row.status = Status.CANCELLED.value
        row.updated_at = utc(now)
    await session.flush()
    mine = select(BookingRow.id).where(BookingRow.person_id == person_id)
    await session.execute(delete(ContactRow).where(ContactRow.booking_id.in_(mine)))
    await session.execute(delete(NotificationRow).where(NotificationRow.person_id == person_id))
    await session.execute(
        update(BookingRow)
        .where(BookingRow.person_id == person_id)
        .values(person_id=None, open_guard=None)
        .execution_options(synchronize_session=False)
    )
