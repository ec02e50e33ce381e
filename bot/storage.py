"""People, conversations, deliveries and the outbox, stored with SQLAlchemy."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bookings.store import forget_person as forget_bookings
from dialogs.ports import StaleState
from dialogs.replies import Reply
from dialogs.state import ConversationState, Person, Role

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "platform_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(128))
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.PERSON.value)
    consents: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    situation: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConversationRow(Base):
    __tablename__ = "conversations"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    dialog: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    back_stack: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxRow(Base):
    """Replies waiting to be delivered; a failed send is retried from here, never dropped."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(128))
    reply: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class TicketRow(Base):
    """A question a person left for an agent, with their agreement."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UnansweredCount(Base):
    """Questions the knowledge base could not answer, counted per locale and day (no text)."""

    __tablename__ = "unanswered_counts"

    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def encode_reply(reply: Reply) -> str:
    """JSON for the outbox; bytes (attachments) are kept as latin-1 text."""

    def default(value: object) -> object:
        if isinstance(value, bytes):
            return {"__bytes__": value.decode("latin-1")}
        raise TypeError(type(value).__name__)

    return json.dumps(asdict(reply), default=default, ensure_ascii=False)


def decode_reply(raw: str) -> Reply:
    from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Text

    def hook(value: dict[str, Any]) -> Any:
        if set(value) == {"__bytes__"}:
            return value["__bytes__"].encode("latin-1")
        return value

    data: dict[str, Any] = json.loads(raw, object_hook=hook)
    kind = data.pop("kind")
    if kind == "text":
        return Text(**data)
    if kind == "options":
        rows = tuple(tuple(Option(**item) for item in row) for row in data["rows"])
        return Options(text=data["text"], rows=rows, replaceable=data["replaceable"])
    if kind == "card":
        return Card(**{**data, "badges": tuple(data.get("badges", ()))})
    if kind == "media":
        return Media(**{**data, "media": MediaKind(data["media"])})
    if kind == "remove_options":
        return RemoveOptions()
    raise ValueError(f"unknown reply kind {kind!r}")


class SqlConversations:
    """One unit of work on one database session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._versions: dict[int, int] = {}
        self._rows: dict[int, PersonRow] = {}

    async def claim_update(self, channel: str, update_id: str) -> bool:
        # One statement, no savepoint: this runs for every message of every person.
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
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
        is_new = False
        if row is None:
            try:
                async with self.session.begin_nested():
                    row = PersonRow(channel=channel, platform_id=platform_id, consents={})
                    self.session.add(row)
                    await self.session.flush()
                is_new = True
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
            is_new=is_new,
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
        await self.session.execute(delete(OutboxRow).where(OutboxRow.person_id == person.id))
        for hook in FORGET_HOOKS:
            await hook(self.session, person.id)

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

    async def open_ticket(self, person: Person, locale: str, question: str) -> int:
        ticket = TicketRow(person_id=person.id, locale=locale, question=question)
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
        if not replies:
            return []
        now = utcnow()
        rows = [
            {
                "person_id": person.id,
                "channel": person.channel,
                "platform_id": person.platform_id,
                "reply": encode_reply(reply),
                "created_at": now,
                "attempts": 0,
            }
            for reply in replies
        ]
        # RETURNING keeps the ids in the order of the replies (sorted by SQLAlchemy).
        inserted = await self.session.execute(
            insert(OutboxRow).returning(OutboxRow.id, sort_by_parameter_order=True), rows
        )
        return list(inserted.scalars())


ForgetHook = Callable[[AsyncSession, int], Awaitable[None]]
#: Other stores register here what to erase when a person asks to be forgotten.
FORGET_HOOKS: list[ForgetHook] = []


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


FORGET_HOOKS.extend([_forget_tickets, _forget_conversation, _forget_bookings])


class SqlConversationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[SqlConversations]:
        async with self.sessions() as session, session.begin():
            yield SqlConversations(session)


class Outbox:
    """Delivery bookkeeping for channels: what is still to send, and what was sent."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def mark_sent(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(ids)).values(sent_at=utcnow())
            )

    async def mark_failed(self, ids: Sequence[int], retry_at: dt.datetime) -> None:
        if not ids:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids))
                .values(attempts=OutboxRow.attempts + 1, next_attempt_at=retry_at)
            )

    async def pending(
        self,
        channel: str,
        now: dt.datetime,
        older_than: dt.datetime | None = None,
        limit: int = 100,
    ) -> list[tuple[int, str, Reply]]:
        """Unsent replies due now, oldest first; `older_than` leaves the live path alone."""
        conditions = [
            OutboxRow.channel == channel,
            OutboxRow.sent_at.is_(None),
            (OutboxRow.next_attempt_at.is_(None)) | (OutboxRow.next_attempt_at <= now),
        ]
        if older_than is not None:
            conditions.append(OutboxRow.created_at <= older_than)
        async with self.sessions() as session:
            rows = await session.scalars(
                select(OutboxRow).where(*conditions).order_by(OutboxRow.id).limit(limit)
            )
            return [(row.id, row.platform_id, decode_reply(row.reply)) for row in rows]
