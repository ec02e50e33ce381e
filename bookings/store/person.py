"""The person's transitions: ask for a booking, cancel it, move it.

Cancel and move serve the agents too (without `person_id`, they may act on anyone's)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bookings.catalogue import ContactNeed, Mode, Service
from bookings.models import (
    BookingRow,
    ContactRow,
    SlotRow,
)
from bookings.notices import NoticeKind
from bookings.reference import new_reference
from bookings.refusals import PERSON, SYSTEM, Refusal, Refused
from bookings.states import OPEN, Action, Status, after
from bookings.store._base import (
    UnitBase,
    booking_view,
    moved_note,
)
from bookings.store.reminders import schedule_reminders, void_reminders
from bookings.views import (
    Booked,
    BookingView,
    Contact,
    utc,
)


class PersonTransitions(UnitBase):
    """Booking, cancelling and moving, checked against what the person may do."""

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
                note=moved_note(old_start, slot.starts_at),
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
