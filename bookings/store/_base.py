"""What the parts of a booking unit share: rows to views, rules, transitions and seats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookings.catalogue import Catalogue, Service
from bookings.models import (
    BookingRow,
    ContactRow,
    EventRow,
    SlotRow,
)
from bookings.notices import Notice, NoticeKind
from bookings.refusals import Refusal, Refused
from bookings.states import Action, Status, after
from bookings.store.reminders import add_notice
from bookings.views import (
    BookingView,
    Contact,
    SlotStatus,
    SlotView,
    aware,
    utc,
)

#: How long a closed booking stays in the person's list.
RECENTLY_CLOSED = dt.timedelta(days=14)
MAX_FREE_SLOTS_READ = 500


def changed(result: Any) -> int:
    """Rows an UPDATE or DELETE touched."""
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
        place_text=row.place_text,
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


def contact_view(row: ContactRow | None) -> Contact | None:
    return Contact(name=row.name, phone=row.phone) if row is not None else None


def moved_note(old: dt.datetime | None, new: dt.datetime) -> str:
    before = aware(old).isoformat() if old else "none"
    return f"moved from {before} to {aware(new).isoformat()}"


@dataclass(frozen=True)
class Rules:
    catalogue: Catalogue
    #: How long after an appointment (or its closing) its contact data is kept.
    retention: dt.timedelta


class UnitBase:
    """Booking operations inside one transaction, and what every part of them shares:
    reading a booking, compare-and-set transitions, seats, the event log and notices.
    Every `now` is passed in: the clock is the caller's, so tests control time."""

    def __init__(self, session: AsyncSession | Callable[[], AsyncSession], rules: Rules) -> None:
        """`session`, or how to make it when first needed: a step that only reads the
        catalogue costs its update no database session."""
        self._session = session
        self.rules = rules

    @property
    def session(self) -> AsyncSession:
        if not isinstance(self._session, AsyncSession):
            self._session = self._session()
        return self._session

    @property
    def catalogue(self) -> Catalogue:
        return self.rules.catalogue

    @property
    def retention(self) -> dt.timedelta:
        """How long after an appointment (or its closing) its contact data is kept."""
        return self.rules.retention

    def service(self, service_id: str) -> Service:
        service = self.rules.catalogue.get(service_id)
        if service is None:
            raise Refused(Refusal.UNKNOWN_SERVICE)
        return service

    async def _row(self, reference: str, person_id: int | None = None) -> BookingRow:
        query = select(BookingRow).where(BookingRow.reference == reference)
        if person_id is not None:
            query = query.where(BookingRow.person_id == person_id)
        row = await self.session.scalar(query.execution_options(populate_existing=True))
        if row is None:
            raise Refused(Refusal.UNKNOWN_BOOKING)
        return row

    async def _by_key(self, person_id: int, request_key: str) -> BookingRow | None:
        return await self.session.scalar(
            select(BookingRow).where(
                BookingRow.person_id == person_id, BookingRow.request_key == request_key
            )
        )

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
        if changed(taken) == 1:
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
        if changed(result) != 1:
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
