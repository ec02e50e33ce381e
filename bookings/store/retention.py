"""Retention: contact data erased when its time is over, and a person's erasure."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookings.models import (
    BookingRow,
    ContactRow,
    EventRow,
    NotificationRow,
    SlotRow,
)
from bookings.refusals import PERSON
from bookings.states import OPEN, Action, Status
from bookings.store._base import (
    UnitBase,
    changed,
)
from bookings.views import (
    utc,
)


class Retention(UnitBase):
    """Erasing what is kept no longer than the rules say."""

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
        return changed(result)


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
