"""Notices stored for the job runner: news of a booking, and reminders before it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bookings.models import BookingRow, NotificationRow
from bookings.notices import REMINDER_LEADS, REMINDERS, Notice
from bookings.states import Status
from bookings.views import aware, utc


def add_notice(
    session: AsyncSession,
    person_id: int,
    notice: Notice,
    booking_id: int | None,
    now: dt.datetime,
    due_at: dt.datetime | None = None,
) -> None:
    session.add(
        NotificationRow(
            person_id=person_id,
            kind=notice.kind.value,
            params=notice.params(),
            booking_id=booking_id,
            due_at=utc(due_at or now),
            created_at=utc(now),
            attempts=0,
        )
    )


async def void_reminders(session: AsyncSession, booking_id: int, now: dt.datetime) -> None:
    await session.execute(
        update(NotificationRow)
        .where(
            NotificationRow.booking_id == booking_id,
            NotificationRow.kind.in_([kind.value for kind in REMINDERS]),
            NotificationRow.sent_at.is_(None),
            NotificationRow.voided_at.is_(None),
        )
        .values(voided_at=utc(now))
        .execution_options(synchronize_session=False)
    )


async def schedule_reminders(session: AsyncSession, booking: BookingRow, now: dt.datetime) -> None:
    """Reminders for a confirmed booking at its current time; earlier ones are withdrawn."""
    await void_reminders(session, booking.id, now)
    if booking.status != Status.CONFIRMED.value or booking.person_id is None:
        return
    if booking.starts_at is None:
        return
    starts_at = aware(booking.starts_at)
    for kind, lead in REMINDER_LEADS.items():
        due_at = starts_at - lead
        if due_at > now:
            add_notice(
                session, booking.person_id, Notice.about(kind, booking), booking.id, now, due_at
            )
