"""The agents' inbox: tickets listed and filtered, one ticket's thread, and what agents do
with it (assign, reply, take over, hand back, close, reopen, teach the bot), with figures."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage import (
    ConversationRow,
    PersonRow,
    TicketRow,
    UnansweredCount,
)
from bot.workspace.accounts import Account, utc
from bot.workspace.courier import AUDIT_KEPT, Courier, queue
from bot.workspace.render import takeover_notice
from bot.workspace.tables import (
    AccountRow,
    AuditRow,
    PendingKeywordRow,
    TicketMessageRow,
    TicketWorkRow,
)
from bot.workspace.threads import ANSWERED, CLOSED, OPEN, work_of
from dialogs.handover import TAKEOVER_KEY

Sessions = async_sessionmaker[AsyncSession]
STATUSES = (OPEN, ANSWERED, CLOSED)
KINDS = ("question", "person", "crisis", "booking")
MAX_REPLY = 4000
MAX_ENTRIES = 5
MAX_LISTED = 200
FIGURES_DAYS = 30


class InboxError(Exception):
    """An action that cannot be done now, with a reason the page shows."""


@dataclass(frozen=True)
class Filters:
    status: str = OPEN
    locale: str = ""
    kind: str = ""
    urgent: bool = False
    mine: bool = False


@dataclass(frozen=True)
class TicketLine:
    id: int
    locale: str
    channel: str
    kind: str
    priority: int
    status: str
    question: str
    created_at: dt.datetime
    waiting_since: dt.datetime
    assigned_to: str | None
    new_reply: bool
    taken_over: bool


@dataclass(frozen=True)
class Message:
    id: int
    author: str
    by: str | None
    text: str
    entries: tuple[str, ...]
    at: dt.datetime
    waits_for_window: bool
    template_sent: bool


@dataclass(frozen=True)
class TicketDetail:
    line: TicketLine
    person_id: int
    #: Only when the person agreed to keep it.
    situation: str | None
    assigned_id: int | None
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    messages: tuple[Message, ...] = ()
    pending_keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figures:
    open: int
    median_first_answer: dt.timedelta | None
    answered_per_language: dict[str, int] = field(default_factory=dict)
    #: Free questions the search could not answer over the period, and tickets opened.
    unanswered: int = 0
    asked_a_person: int = 0


def _lines_query() -> Any:
    return (
        select(TicketRow, PersonRow, TicketWorkRow, AccountRow.email)
        .join(PersonRow, PersonRow.id == TicketRow.person_id)
        .outerjoin(TicketWorkRow, TicketWorkRow.ticket_id == TicketRow.id)
        .outerjoin(AccountRow, AccountRow.id == TicketWorkRow.assigned_to)
    )


def _line(
    ticket: TicketRow, person: PersonRow, work: TicketWorkRow | None, email: str | None
) -> TicketLine:
    created = utc(ticket.created_at) or ticket.created_at
    return TicketLine(
        id=ticket.id,
        locale=ticket.locale,
        channel=person.channel,
        kind=ticket.kind,
        priority=ticket.priority,
        status=ticket.status if ticket.status in STATUSES else OPEN,
        question=ticket.question,
        created_at=created,
        waiting_since=(utc(work.waiting_since) if work else None) or created,
        assigned_to=email,
        new_reply=bool(work and work.new_reply),
        taken_over=bool(work and work.taken_over),
    )


async def list_tickets(sessions: Sessions, filters: Filters, me: Account) -> list[TicketLine]:
    """Crisis (higher priority) first, then the one waiting longest."""
    waiting = func.coalesce(TicketWorkRow.waiting_since, TicketRow.created_at)
    query = _lines_query().order_by(TicketRow.priority.desc(), waiting, TicketRow.id)
    if filters.status == OPEN:
        query = query.where(or_(TicketRow.status == OPEN, TicketRow.status.not_in(STATUSES)))
    elif filters.status in STATUSES:
        query = query.where(TicketRow.status == filters.status)
    if filters.locale:
        query = query.where(TicketRow.locale == filters.locale)
    if filters.kind:
        query = query.where(TicketRow.kind == filters.kind)
    if filters.urgent:
        query = query.where(TicketRow.priority > 0)
    if filters.mine:
        query = query.where(TicketWorkRow.assigned_to == me.id)
    async with sessions() as session:
        rows = (await session.execute(query.limit(MAX_LISTED))).all()
    return [_line(row[0], row[1], row[2], row[3]) for row in rows]


async def counts_per_language(sessions: Sessions) -> dict[str, int]:
    """Tickets waiting for an agent, per language."""
    async with sessions() as session:
        rows = await session.execute(
            select(TicketRow.locale, func.count())
            .where(TicketRow.status == OPEN)
            .group_by(TicketRow.locale)
            .order_by(TicketRow.locale)
        )
        return {locale: count for locale, count in rows.all()}


async def ticket_detail(sessions: Sessions, number: int) -> TicketDetail | None:
    async with sessions() as session:
        found = (await session.execute(_lines_query().where(TicketRow.id == number))).first()
        if found is None:
            return None
        ticket, person, work, email = found[0], found[1], found[2], found[3]
        messages = (
            await session.execute(
                select(TicketMessageRow, AccountRow.email)
                .outerjoin(AccountRow, AccountRow.id == TicketMessageRow.account_id)
                .where(TicketMessageRow.ticket_id == number)
                .order_by(TicketMessageRow.id)
            )
        ).all()
        keywords = await session.scalars(
            select(PendingKeywordRow.words).where(PendingKeywordRow.ticket_id == number)
        )
        consents = person.consents or {}
        return TicketDetail(
            line=_line(ticket, person, work, email),
            person_id=person.id,
            situation=person.situation if consents.get("remember_situation") else None,
            assigned_id=work.assigned_to if work else None,
            answered_at=utc(ticket.answered_at),
            closed_at=utc(work.closed_at) if work else None,
            messages=tuple(
                Message(
                    id=row.id,
                    author=row.author,
                    by=email,
                    text=row.text,
                    entries=tuple(row.entries or ()),
                    at=utc(row.created_at) or row.created_at,
                    waits_for_window=row.waits_for_window,
                    template_sent=row.template_at is not None,
                )
                for row, email in messages
            ),
            pending_keywords=tuple(keywords),
        )


async def _ticket(session: AsyncSession, number: int) -> tuple[TicketRow, PersonRow]:
    ticket = await session.get(TicketRow, number)
    person = await session.get(PersonRow, ticket.person_id) if ticket else None
    if ticket is None or person is None:
        raise InboxError("unknown")
    return ticket, person


async def audit(session: AsyncSession, who: Account | None, action: str, target: str = "") -> None:
    """Every agent action, who and when; never what anybody wrote."""
    session.add(
        AuditRow(
            at=dt.datetime.now(dt.UTC),
            account_id=who.id if who else None,
            who=who.email if who else "-",
            action=action,
            target=target[:128],
        )
    )


async def audit_now(sessions: Sessions, who: Account | None, action: str, target: str = "") -> None:
    async with sessions() as session, session.begin():
        await audit(session, who, action, target)


async def assign(sessions: Sessions, number: int, me: Account) -> None:
    async with sessions() as session, session.begin():
        await _ticket(session, number)
        work = await work_of(session, number)
        work.assigned_to = me.id
        await audit(session, me, "ticket.assign", f"ticket {number}")


async def reply(
    sessions: Sessions,
    courier: Courier,
    number: int,
    me: Account,
    text: str,
    slugs: Sequence[str],
    now: dt.datetime,
) -> None:
    """The agent's text and entries go to the person through the outbox; the ticket then
    waits for the person."""
    text = text.strip()
    slugs = list(dict.fromkeys(slug for slug in slugs if slug))[:MAX_ENTRIES]
    if not text and not slugs:
        raise InboxError("empty")
    if len(text) > MAX_REPLY:
        raise InboxError("long")
    async with sessions() as session:
        ticket, person = await _ticket(session, number)
        if ticket.status == CLOSED:
            raise InboxError("closed")
    window_open = await courier.window_open(person, now)
    async with sessions() as session, session.begin():
        ticket, person = await _ticket(session, number)
        message = TicketMessageRow(
            ticket_id=number,
            author="agent",
            account_id=me.id,
            text=text,
            entries=slugs,
            created_at=now,
            waits_for_window=False,
        )
        session.add(message)
        ids = await courier.stage(session, ticket, person, message, now, window_open)
        ticket.status = ANSWERED
        if ticket.answered_at is None:
            ticket.answered_at = now
        work = await work_of(session, number)
        work.new_reply = False
        if work.assigned_to is None:
            work.assigned_to = me.id
        await audit(session, me, "ticket.reply", f"ticket {number}")
        channel = person.channel
    await courier.push(channel, ids)


async def _set_takeover(session: AsyncSession, person_id: int, number: int | None) -> None:
    """Mark the person's conversation as taken over (or not); the version guards it against a
    message being handled at the same moment."""
    for _attempt in range(5):
        row = await session.get(ConversationRow, person_id, populate_existing=True)
        if row is None:
            return
        data = dict(row.data or {})
        if number is None:
            data.pop(TAKEOVER_KEY, None)
        else:
            data[TAKEOVER_KEY] = number
        changed = await session.execute(
            update(ConversationRow)
            .where(ConversationRow.person_id == person_id, ConversationRow.version == row.version)
            .values(data=data, version=row.version + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) == 1:
            return
    raise InboxError("busy")


async def take_over(
    sessions: Sessions, courier: Courier, number: int, me: Account, now: dt.datetime
) -> None:
    async with sessions() as session, session.begin():
        ticket, person = await _ticket(session, number)
        if ticket.status == CLOSED:
            raise InboxError("closed")
        work = await work_of(session, number)
        if work.assigned_to not in (None, me.id):
            raise InboxError("assigned")
        work.assigned_to = me.id
        work.taken_over = True
        await _set_takeover(session, person.id, number)
        t = courier.translator(person.locale or ticket.locale)
        ids = await queue(session, person, takeover_notice(t, number, taken=True), now)
        await audit(session, me, "ticket.take_over", f"ticket {number}")
        channel = person.channel
    await courier.push(channel, ids)


async def hand_back(
    sessions: Sessions, courier: Courier, number: int, me: Account, now: dt.datetime
) -> None:
    async with sessions() as session, session.begin():
        ids, channel = await _hand_back(session, courier, number, now)
        await audit(session, me, "ticket.hand_back", f"ticket {number}")
    await courier.push(channel, ids)


async def _hand_back(
    session: AsyncSession, courier: Courier, number: int, now: dt.datetime
) -> tuple[list[int], str]:
    ticket, person = await _ticket(session, number)
    work = await work_of(session, number)
    if not work.taken_over:
        return [], person.channel
    work.taken_over = False
    await _set_takeover(session, person.id, None)
    t = courier.translator(person.locale or ticket.locale)
    return await queue(
        session, person, takeover_notice(t, number, taken=False), now
    ), person.channel


async def close(
    sessions: Sessions, courier: Courier, number: int, me: Account, now: dt.datetime
) -> None:
    async with sessions() as session, session.begin():
        ticket, _person = await _ticket(session, number)
        ids, channel = await _hand_back(session, courier, number, now)
        ticket.status = CLOSED
        work = await work_of(session, number)
        work.closed_at = now
        work.new_reply = False
        await audit(session, me, "ticket.close", f"ticket {number}")
    await courier.push(channel, ids)


async def reopen(sessions: Sessions, number: int, me: Account, now: dt.datetime) -> None:
    async with sessions() as session, session.begin():
        ticket, _person = await _ticket(session, number)
        ticket.status = OPEN
        work = await work_of(session, number)
        work.closed_at = None
        work.waiting_since = now
        await audit(session, me, "ticket.reopen", f"ticket {number}")


async def teach(
    sessions: Sessions, number: int, me: Account, slug: str, words: str, now: dt.datetime
) -> None:
    """The person's words as a pending keyword of an entry in their locale (an editor
    accepts it in the review queue)."""
    words = " ".join(words.split())[:200]
    if not words or not slug:
        raise InboxError("empty")
    async with sessions() as session, session.begin():
        ticket, _person = await _ticket(session, number)
        attached = await session.scalars(
            select(TicketMessageRow.entries).where(
                TicketMessageRow.ticket_id == number, TicketMessageRow.author == "agent"
            )
        )
        if slug not in {s for entries in attached for s in (entries or [])}:
            raise InboxError("not_attached")
        session.add(
            PendingKeywordRow(
                slug=slug,
                locale=ticket.locale,
                words=words,
                ticket_id=number,
                proposed_by=me.id,
                status="pending",
                created_at=now,
            )
        )
        await audit(session, me, "ticket.teach", f"ticket {number} {slug}")


async def figures(sessions: Sessions, now: dt.datetime) -> Figures:
    since = now - dt.timedelta(days=FIGURES_DAYS)
    async with sessions() as session:
        open_count = await session.scalar(
            select(func.count()).select_from(TicketRow).where(TicketRow.status == OPEN)
        )
        answered = (
            await session.execute(
                select(TicketRow.created_at, TicketRow.answered_at, TicketRow.locale).where(
                    TicketRow.answered_at.is_not(None), TicketRow.created_at >= since
                )
            )
        ).all()
        unanswered = await session.scalar(
            select(func.coalesce(func.sum(UnansweredCount.count), 0)).where(
                UnansweredCount.day >= since.date()
            )
        )
        asked = await session.scalar(
            select(func.count())
            .select_from(TicketRow)
            .where(TicketRow.created_at >= since, TicketRow.kind == "question")
        )
    waits = [
        ((utc(answered_at) or now) - (utc(created) or now)).total_seconds()
        for created, answered_at, _locale in answered
    ]
    per_language: dict[str, int] = {}
    for _created, _answered, locale in answered:
        per_language[locale] = per_language.get(locale, 0) + 1
    return Figures(
        open=int(open_count or 0),
        median_first_answer=dt.timedelta(seconds=statistics.median(waits)) if waits else None,
        answered_per_language=dict(sorted(per_language.items())),
        unanswered=int(unanswered or 0),
        asked_a_person=int(asked or 0),
    )


@dataclass(frozen=True)
class AuditLine:
    at: dt.datetime
    who: str
    action: str
    target: str


async def audit_lines(sessions: Sessions, now: dt.datetime, limit: int = 500) -> list[AuditLine]:
    """The latest actions; what is older than a year is deleted on the way."""
    async with sessions() as session, session.begin():
        await session.execute(delete(AuditRow).where(AuditRow.at < now - AUDIT_KEPT))
        rows = await session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
        return [
            AuditLine(at=utc(row.at) or row.at, who=row.who, action=row.action, target=row.target)
            for row in rows
        ]
