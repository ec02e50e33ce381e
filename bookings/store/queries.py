"""Reading the bookings and slots: what the person, the agents and the jobs look at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select

from bookings.models import (
    BookingRow,
    ContactRow,
    EventRow,
    SlotRow,
)
from bookings.refusals import Refused
from bookings.states import OPEN, Action, Status
from bookings.store._base import (
    MAX_FREE_SLOTS_READ,
    RECENTLY_CLOSED,
    UnitBase,
    booking_view,
    contact_view,
    slot_view,
)
from bookings.views import (
    AgentLine,
    BookingView,
    Contact,
    EventView,
    SlotStatus,
    SlotView,
    aware,
    day_bounds,
    paris_day,
    utc,
)


class Queries(UnitBase):
    """What a unit reads; nothing here writes."""

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
        return contact_view(await self.session.get(ContactRow, booking_id))

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
        return [AgentLine(booking_view(row), contact_view(contacts.get(row.id))) for row in rows]

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
