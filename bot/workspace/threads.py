"""The person's side of a ticket's thread, in the conversation's own unit of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import SqlConversations, TicketRow, utcnow
from bot.workspace.tables import TicketMessageRow, TicketWorkRow
from dialogs.ports import Conversations, QuestionSummary
from dialogs.state import Person

OPEN = "open"
ANSWERED = "answered"
CLOSED = "closed"
MAX_LISTED = 10


def _session(conversations: Conversations) -> AsyncSession:
    if not isinstance(conversations, SqlConversations):
        raise TypeError("ticket threads need the SQL conversation store")
    return conversations.session


async def work_of(session: AsyncSession, ticket_id: int) -> TicketWorkRow:
    """The ticket's work row, made on first need."""
    row = await session.get(TicketWorkRow, ticket_id)
    if row is None:
        row = TicketWorkRow(ticket_id=ticket_id, taken_over=False, new_reply=False)
        session.add(row)
    return row


async def add_person_message(
    session: AsyncSession, ticket: TicketRow, text: str, now: dt.datetime
) -> None:
    """The person's words join the thread; the ticket waits for an agent again."""
    session.add(
        TicketMessageRow(
            ticket_id=ticket.id,
            author="person",
            text=text,
            entries=[],
            created_at=now,
            waits_for_window=False,
        )
    )
    work = await work_of(session, ticket.id)
    work.new_reply = True
    work.waiting_since = now
    ticket.status = OPEN


class SqlTicketThreads:
    async def add_from_person(
        self, conversations: Conversations, person: Person, number: int, text: str
    ) -> bool:
        if not text:
            return False
        session = _session(conversations)
        ticket = await session.get(TicketRow, number)
        if ticket is None or ticket.person_id != person.id or ticket.status == CLOSED:
            return False
        await add_person_message(session, ticket, text, utcnow())
        await session.flush()
        return True

    async def questions_of(
        self, conversations: Conversations, person: Person
    ) -> Sequence[QuestionSummary]:
        session = _session(conversations)
        tickets = list(
            await session.scalars(
                select(TicketRow)
                .where(TicketRow.person_id == person.id, TicketRow.status != CLOSED)
                .order_by(TicketRow.id.desc())
                .limit(MAX_LISTED)
            )
        )
        found: list[QuestionSummary] = []
        for ticket in tickets:
            answer = await session.scalar(
                select(TicketMessageRow.text)
                .where(
                    TicketMessageRow.ticket_id == ticket.id,
                    TicketMessageRow.author == "agent",
                    TicketMessageRow.text != "",
                )
                .order_by(TicketMessageRow.id.desc())
                .limit(1)
            )
            found.append(
                QuestionSummary(
                    number=ticket.id,
                    question=ticket.question,
                    status=ticket.status,
                    last_answer=answer,
                )
            )
        return found
