"""What "forget me" erases, every table in one list, wired here and nowhere else.

A new table with a person's data adds its eraser to `ERASERS`; the erasure test
(`tests/test_erasure.py`) fails for a row of theirs left anywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookings.store import forget_person as forget_bookings
from bot.storage.tables import OutboxRow, PersonRow, TicketRow, utcnow
from bot.storage.whatsapp import forget_whatsapp
from bot.workspace.tables import PendingKeywordRow, TicketMessageRow, TicketWorkRow

__all__ = ["ERASERS", "Eraser", "erase_person"]

Eraser = Callable[[AsyncSession, int], Awaitable[None]]


async def _forget_outbox(session: AsyncSession, person_id: int) -> None:
    await session.execute(delete(OutboxRow).where(OutboxRow.person_id == person_id))


async def _forget_ticket_threads(session: AsyncSession, person_id: int) -> None:
    """The workspace's threads of a person's tickets (said here, not left to the cascade);
    before the tickets themselves, which they point to."""
    theirs = select(TicketRow.id).where(TicketRow.person_id == person_id).scalar_subquery()
    await session.execute(delete(TicketMessageRow).where(TicketMessageRow.ticket_id.in_(theirs)))
    await session.execute(delete(TicketWorkRow).where(TicketWorkRow.ticket_id.in_(theirs)))
    await session.execute(
        update(PendingKeywordRow)
        .where(PendingKeywordRow.ticket_id.in_(theirs))
        .values(ticket_id=None)
    )


async def _forget_tickets(session: AsyncSession, person_id: int) -> None:
    await session.execute(delete(TicketRow).where(TicketRow.person_id == person_id))


async def _forget_conversation(session: AsyncSession, person_id: int) -> None:
    await session.execute(
        update(PersonRow)
        .where(PersonRow.id == person_id)
        .values(locale=None, consents={}, situation=None)
    )


async def _forget_bookings(session: AsyncSession, person_id: int) -> None:
    """Open bookings cancelled (places freed), contact data and pending notices erased."""
    await forget_bookings(session, person_id, utcnow())


#: In order; each runs in the unit's transaction (a failure erases nothing).
ERASERS: tuple[Eraser, ...] = (
    _forget_outbox,
    _forget_ticket_threads,
    _forget_tickets,
    _forget_conversation,
    _forget_bookings,
    forget_whatsapp,
)


async def erase_person(session: AsyncSession, person_id: int) -> None:
    for eraser in ERASERS:
        await eraser(session, person_id)
