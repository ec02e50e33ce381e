"""A conversation unit through SQLAlchemy (PostgreSQL, and what SQLite leaves to the ORM)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bookings.store import BookingDesk, BookingUnit
from bot.storage.erasure import erase_person
from bot.storage.tables import (
    DEFAULT_LEASE,
    REFUSED,
    SENDER,
    ConversationRow,
    OutboxRow,
    PersonRow,
    ProcessedUpdate,
    TicketRow,
    UnansweredCount,
    utcnow,
)
from dialogs.codec import encode_reply
from dialogs.ports import StaleState
from dialogs.replies import Reply
from dialogs.state import ConversationState, Person, Role

__all__ = ["SqlConversations", "sqlite_time"]


class SqlConversations:
    """One unit of work on one database connection, through SQLAlchemy."""

    def __init__(
        self,
        bind: AsyncConnection | AsyncEngine,
        desk: BookingDesk | None = None,
        *,
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        #: The unit's connection (in its transaction), or on SQLite the writer's engine.
        self.bind = bind
        #: How long the replies this unit queues stay claimed by this process (`SENDER`).
        self.lease = lease
        self._desk = desk
        self._bookings: BookingUnit | None = None
        self._session: AsyncSession | None = None
        self._versions: dict[int, int] = {}
        self._rows: dict[int, PersonRow] = {}

    @property
    def session(self) -> AsyncSession:
        """An ORM session in the unit's transaction (bookings, tickets, forgetting), made
        when first needed; it ends with the unit (`finish`), and a failure rolls the whole
        unit back."""
        if self._session is None:
            self._session = AsyncSession(bind=self.bind, expire_on_commit=False)
        return self._session

    def bookings(self) -> BookingUnit | None:
        """The booking unit in this unit's transaction (None when the runtime has no desk):
        what a step books commits with the conversation, or not at all."""
        if self._desk is None:
            return None
        if self._bookings is None:
            self._bookings = self._desk.bound(lambda: self.session)
        return self._bookings

    async def flush(self) -> None:
        if self._session is not None:
            await self._session.flush()

    async def finish(self) -> None:
        """End the session's part of the unit. It joined the unit's transaction when SQLAlchemy
        began it (then this only flushes), or owns it when it was begun on SQLite
        (the SQLite writer's `transaction`: then this commits the whole unit)."""
        if self._session is not None:
            await self._session.commit()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def claim_update(self, channel: str, update_id: str) -> bool:
        # One statement, no savepoint: this runs for every message of every person.
        dialect = self.bind.dialect.name
        insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
        claimed = await self.session.execute(
            insert_into(ProcessedUpdate)
            .values(channel=channel, update_id=update_id, processed_at=utcnow())
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        )
        return bool(getattr(claimed, "rowcount", 0))

    async def person(self, channel: str, platform_id: str) -> Person:
        row = await self.session.scalar(
            select(PersonRow).where(
                PersonRow.channel == channel, PersonRow.platform_id == platform_id
            )
        )
        if row is None:
            try:
                async with self.session.begin_nested():
                    row = PersonRow(channel=channel, platform_id=platform_id, consents={})
                    self.session.add(row)
                    await self.session.flush()
            except IntegrityError:
                # Another process created the same person a moment ago.
                row = await self.session.scalar(
                    select(PersonRow).where(
                        PersonRow.channel == channel, PersonRow.platform_id == platform_id
                    )
                )
                if row is None:
                    raise StaleState() from None
        self._rows[row.id] = row
        return Person(
            id=row.id,
            channel=row.channel,
            platform_id=row.platform_id,
            locale=row.locale,
            role=Role(row.role),
            consents=dict(row.consents or {}),
            situation=row.situation,
        )

    async def save_person(self, person: Person) -> None:
        row = self._rows.get(person.id) or await self.session.get(PersonRow, person.id)
        if row is None:
            return
        row.locale = person.locale
        row.consents = dict(person.consents)
        row.situation = person.situation if person.consents.get("remember_situation") else None
        row.last_seen_at = utcnow()

    async def forget_person(self, person: Person) -> None:
        """Everything kept about them, in every table (`bot.storage.erasure`)."""
        await erase_person(self.session, person.id)

    async def state(self, person: Person) -> ConversationState:
        row = await self.session.get(ConversationRow, person.id)
        if row is None:
            self._versions[person.id] = -1
            return ConversationState()
        self._versions[person.id] = row.version
        return ConversationState(
            dialog=row.dialog,
            step=row.step,
            data=dict(row.data or {}),
            back_stack=list(row.back_stack or []),
            version=row.version,
        )

    async def save_state(self, person: Person, state: ConversationState) -> None:
        loaded = self._versions.get(person.id, -1)
        if loaded == -1:
            try:
                async with self.session.begin_nested():
                    self.session.add(
                        ConversationRow(
                            person_id=person.id,
                            dialog=state.dialog,
                            step=state.step,
                            data=state.data,
                            back_stack=state.back_stack,
                            version=1,
                        )
                    )
                    await self.session.flush()
            except IntegrityError:
                raise StaleState() from None
            state.version = 1
            return
        result = await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.person_id == person.id, ConversationRow.version == loaded)
            .values(
                dialog=state.dialog,
                step=state.step,
                data=state.data,
                back_stack=state.back_stack,
                version=loaded + 1,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise StaleState()
        state.version = loaded + 1

    async def open_ticket(
        self, person: Person, locale: str, question: str, kind: str = "question", priority: int = 0
    ) -> int:
        ticket = TicketRow(
            person_id=person.id, locale=locale, question=question, kind=kind, priority=priority
        )
        self.session.add(ticket)
        await self.session.flush()
        return ticket.id

    async def count_unanswered(self, locale: str) -> None:
        day = utcnow().date()
        counted = await self.session.execute(
            update(UnansweredCount)
            .where(UnansweredCount.locale == locale, UnansweredCount.day == day)
            .values(count=UnansweredCount.count + 1)
        )
        if getattr(counted, "rowcount", 0) == 0:
            try:
                async with self.session.begin_nested():
                    self.session.add(UnansweredCount(locale=locale, day=day, count=1))
                    await self.session.flush()
            except IntegrityError:
                await self.session.execute(
                    update(UnansweredCount)
                    .where(UnansweredCount.locale == locale, UnansweredCount.day == day)
                    .values(count=UnansweredCount.count + 1)
                )

    async def queue(self, person: Person, replies: Sequence[Reply]) -> list[int]:
        """Queue the replies claimed by this process, which sends them now: their ids.

        When older replies to the person are still unsent and not this process's to send
        (another process holds them, or one killed did), these wait behind them unclaimed
        and the outbox retrier sends them all in order: the answer is then an empty list.
        """
        if not replies:
            return []
        now = utcnow()
        held = await self.session.scalar(
            select(OutboxRow.id)
            .where(
                OutboxRow.person_id == person.id,
                OutboxRow.sent_at.is_(None),
                or_(OutboxRow.claimed_by.is_(None), OutboxRow.claimed_by.not_in(_OURS)),
            )
            .limit(1)
        )
        rows = [
            {
                "person_id": person.id,
                "channel": person.channel,
                "platform_id": person.platform_id,
                "reply": encode_reply(reply),
                "created_at": now,
                "attempts": 0,
                "claimed_by": None if held else SENDER,
                "claimed_until": None if held else now + self.lease,
            }
            for reply in replies
        ]
        # RETURNING keeps the ids in the order of the replies (sorted by SQLAlchemy).
        inserted = await self.session.execute(
            insert(OutboxRow).returning(OutboxRow.id, sort_by_parameter_order=True), rows
        )
        ids = list(inserted.scalars())
        return [] if held else ids


#: Older unsent replies that do not hold a person's new ones: this process's own (its lanes
#: keep their order) and those refused for good.
_OURS = (SENDER, REFUSED)


def sqlite_time(value: dt.datetime) -> str:
    """A time as SQLAlchemy's DateTime keeps it on SQLite (UTC, without the offset)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
