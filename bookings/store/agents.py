"""The agents' transitions: confirm, decline, give a time, attended or not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bookings.catalogue import Mode
from bookings.models import PLACE_TEXT_LENGTH
from bookings.notices import NoticeKind
from bookings.refusals import Refusal, Refused
from bookings.states import Action
from bookings.store._base import (
    UnitBase,
    booking_view,
    moved_note,
)
from bookings.store.reminders import schedule_reminders, void_reminders
from bookings.views import (
    BookingView,
    paris_day,
    utc,
)


class AgentTransitions(UnitBase):
    """What only an agent does to a booking; each is told to the person when it matters."""

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
            note=moved_note(row.starts_at, starts_at),
            starts_at=utc(starts_at),
            ends_at=utc(starts_at + length),
            sequence=row.sequence + 1,
        )
        await schedule_reminders(self.session, row, now)
        self._tell(row, NoticeKind.MOVED, now)
        return booking_view(row)

    async def confirm(
        self,
        reference: str,
        *,
        by: str,
        now: dt.datetime,
        starts_at: dt.datetime | None = None,
        minutes: int | None = None,
        place_id: str | None = None,
        place_text: str | None = None,
    ) -> BookingView:
        """Confirm a booking; a request gets its time and place from the agent here.

        A request is never confirmed without a place, so that the person always learns
        where to go: one of the service's places (the only one is taken by default), or
        where the agent says (`place_text`), for a service whose places are not listed.
        """
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
            changes.update(place_id=place_id, place_text=None)
        text = " ".join((place_text or "").split())[:PLACE_TEXT_LENGTH]
        if text:
            if service.mode is Mode.SLOTS:
                raise Refused(Refusal.UNKNOWN_PLACE)
            changes.update(place_id=None, place_text=text)
        if service.by_request and not (place_id or text or row.place_id or row.place_text):
            if len(service.places) != 1:
                raise Refused(Refusal.NEEDS_PLACE)
            changes["place_id"] = service.places[0]
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
