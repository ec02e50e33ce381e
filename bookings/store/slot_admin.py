"""Opening and cancelling slots (the agents, `passerelle slots import`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update

from bookings.models import (
    BookingRow,
    SlotRow,
)
from bookings.notices import NoticeKind
from bookings.refusals import Refusal, Refused
from bookings.slots import SlotPlan, check_plan
from bookings.states import OPEN, Action
from bookings.store._base import (
    UnitBase,
    booking_view,
    changed,
    slot_view,
)
from bookings.store.reminders import void_reminders
from bookings.views import (
    BookingView,
    SlotCancelled,
    SlotsAdded,
    SlotStatus,
    aware,
    utc,
)


class SlotAdmin(UnitBase):
    """Slots opened in bulk or one by one, and cancelled with their bookings."""

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
        if changed(closed) != 1:
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
