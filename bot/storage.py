"""People, conversations, deliveries and the outbox, stored with SQLAlchemy."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields, is_dataclass
from typing import Any

import orjson
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
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bookings.store import forget_person as forget_bookings
from bot.db import engine_of, writer_of
from dialogs import replies
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
    #: Why it was opened: a question the bot could not answer, a crisis, a request for a person.
    kind: Mapped[str] = mapped_column(String(16), default="question", server_default="question")
    #: Higher first in the agents' inbox (a crisis is above every question).
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UnansweredCount(Base):
    """Questions the knowledge base could not answer, counted per locale and day (no text)."""

    __tablename__ = "unanswered_counts"

    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def json_text(value: object) -> str:
    """JSON as the store writes it on the per-message path.

    orjson: about a tenth of the standard library's CPU for a reply or a state,
    written and read back on every message. Non-string keys become strings, as
    the standard library makes them.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def encode_reply(reply: Reply) -> str:
    """JSON for the outbox; bytes (attachments) are kept as latin-1 text."""
    return json_text(_plain_reply(reply))


def _plain_reply(reply: Reply) -> object:
    # Texts and menus are most of the outbox: written out by hand (asdict deep-copies).
    match reply:
        case replies.Text(text=text, kind=kind):
            return {"text": text, "kind": kind}
        case replies.Options(text=text, rows=rows, replaceable=replaceable, kind=kind):
            return {
                "text": text,
                "rows": [
                    [{"id": o.id, "label": o.label, "description": o.description} for o in row]
                    for row in rows
                ],
                "replaceable": replaceable,
                "kind": kind,
            }
    return _plain(reply)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(value: object) -> object:
    """`dataclasses.asdict` without its deep copies."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return {"__bytes__": value.decode("latin-1")}
    names = _FIELDS.get(type(value))
    if names is None:
        if not is_dataclass(value):
            raise TypeError(type(value).__name__)
        names = _FIELDS.setdefault(type(value), tuple(f.name for f in fields(value)))
    return {name: _plain(getattr(value, name)) for name in names}


def decode_reply(raw: str) -> Reply:
    from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Text

    data: dict[str, Any] = orjson.loads(raw)
    if '"__bytes__"' in raw:
        data = _with_bytes(data)
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


def _with_bytes(value: Any) -> Any:
    """Bytes back from their `{"__bytes__": latin-1 text}` form."""
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return str(value["__bytes__"]).encode("latin-1")
        return {key: _with_bytes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_bytes(item) for item in value]
    return value


class SqlConversations:
    """One unit of work on one database connection, through SQLAlchemy."""

    def __init__(self, bind: AsyncConnection | AsyncEngine) -> None:
        #: The unit's connection (in its transaction), or on SQLite the writer's engine.
        self.bind = bind
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


class SqliteConversations(SqlConversations):
    """The statements every message runs, straight on SQLite's connection.

    Through SQLAlchemy each of them cost ~0.1 ms of CPU; here ~10 µs, and they are most of
    what a message costs. The rows are the same as the ORM's (`PersonRow`, `ConversationRow`,
    `ProcessedUpdate`, `OutboxRow`: JSON as text, times as SQLAlchemy stores them). The
    transaction is the SQLite writer's; an ORM session a step makes (bookings, tickets) runs
    on the same connection, joins it, and its commit ends the unit (`finish`).
    """

    def __init__(self, engine: AsyncEngine, sqlite: sqlite3.Connection) -> None:
        super().__init__(engine)
        self.sqlite = sqlite
        self._loaded: dict[int, tuple[Any, ...]] = {}
        self._states: dict[int, ConversationState | None] = {}
        #: One time for the whole unit, as SQLite keeps it.
        self._now = sqlite_time(utcnow())

    async def claim_update(self, channel: str, update_id: str) -> bool:
        claimed = self.sqlite.execute(
            "INSERT INTO processed_updates (channel, update_id, processed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (channel, update_id) DO NOTHING",
            (channel, update_id, self._now),
        )
        return claimed.rowcount == 1

    async def person(self, channel: str, platform_id: str) -> Person:
        await self.flush()
        row = self.sqlite.execute(
            "SELECT p.id, p.locale, p.role, p.consents, p.situation, p.last_seen_at,"
            " c.dialog, c.step, c.data, c.back_stack, c.version"
            " FROM people AS p LEFT JOIN conversations AS c ON c.person_id = p.id"
            " WHERE p.channel = ? AND p.platform_id = ?",
            (channel, platform_id),
        ).fetchone()
        if row is None:
            # The unit holds the write lock since BEGIN: nobody can create them meanwhile.
            (person_id,) = self.sqlite.execute(
                "INSERT INTO people (channel, platform_id, role, consents, created_at,"
                " last_seen_at) VALUES (?, ?, ?, '{}', ?, ?) RETURNING id",
                (channel, platform_id, Role.PERSON.value, self._now, self._now),
            ).fetchone()
            person = Person(
                id=person_id, channel=channel, platform_id=platform_id, locale=None, is_new=True
            )
            self._loaded[person_id] = (None, {}, None, self._now)
            self._states[person_id] = None
            return person
        person_id, locale, role, consents, situation, last_seen = row[:6]
        person = Person(
            id=person_id,
            channel=channel,
            platform_id=platform_id,
            locale=locale,
            role=Role(role),
            consents=dict(orjson.loads(consents) or {}),
            situation=situation,
        )
        self._loaded[person_id] = (locale, dict(person.consents), situation, last_seen)
        dialog, step, data, back_stack, version = row[6:]
        self._states[person_id] = (
            None
            if version is None
            else ConversationState(
                dialog=dialog,
                step=step,
                data=dict(orjson.loads(data) or {}),
                back_stack=list(orjson.loads(back_stack) or []),
                version=version,
            )
        )
        return person

    async def state(self, person: Person) -> ConversationState:
        if person.id not in self._states:
            return await super().state(person)
        loaded = self._states.pop(person.id)
        self._versions[person.id] = -1 if loaded is None else loaded.version
        return loaded if loaded is not None else ConversationState()

    async def save_state(self, person: Person, state: ConversationState) -> None:
        await self.flush()
        loaded = self._versions.get(person.id, -1)
        values = (
            state.dialog,
            state.step,
            json_text(state.data),
            json_text(state.back_stack),
            self._now,
        )
        if loaded == -1:
            try:
                self.sqlite.execute(
                    "INSERT INTO conversations (dialog, step, data, back_stack, updated_at,"
                    " person_id, version) VALUES (?, ?, ?, ?, ?, ?, 1)",
                    (*values, person.id),
                )
            except sqlite3.IntegrityError:
                raise StaleState() from None
            state.version = 1
            return
        saved = self.sqlite.execute(
            "UPDATE conversations SET dialog = ?, step = ?, data = ?, back_stack = ?,"
            " updated_at = ?, version = ? WHERE person_id = ? AND version = ?",
            (*values, loaded + 1, person.id, loaded),
        )
        if saved.rowcount != 1:
            raise StaleState()
        state.version = loaded + 1

    async def save_person(self, person: Person) -> None:
        loaded = self._loaded.get(person.id)
        if loaded is None:
            return await super().save_person(person)
        await self.flush()
        situation = person.situation if person.consents.get("remember_situation") else None
        last_seen = loaded[3]
        # Kept to the day: enough to let old conversations go, no trail of visits.
        stale = not last_seen or str(last_seen)[:10] != self._now[:10]
        if (person.locale, person.consents, situation) == loaded[:3] and not stale:
            return
        self.sqlite.execute(
            "UPDATE people SET locale = ?, consents = ?, situation = ?, last_seen_at = ?"
            " WHERE id = ?",
            (
                person.locale,
                json_text(person.consents),
                situation,
                self._now,
                person.id,
            ),
        )

    async def queue(self, person: Person, replies: Sequence[Reply]) -> list[int]:
        await self.flush()
        now = self._now
        ids: list[int] = []
        for reply in replies:
            (outbox_id,) = self.sqlite.execute(
                "INSERT INTO outbox (person_id, channel, platform_id, reply, created_at,"
                " attempts) VALUES (?, ?, ?, ?, ?, 0) RETURNING id",
                (person.id, person.channel, person.platform_id, encode_reply(reply), now),
            ).fetchone()
            ids.append(outbox_id)
        return ids


def sqlite_time(value: dt.datetime) -> str:
    """A time as SQLAlchemy's DateTime keeps it on SQLite (UTC, without the offset)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class SqlConversationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """`sessions`: the database's writing sessions; units run on their engine."""
        self.engine = engine_of(sessions)
        self.writer = writer_of(sessions)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[SqlConversations]:
        if self.writer is not None:
            async with self.writer.transaction() as sqlite:
                async with _finished(SqliteConversations(self.engine, sqlite)) as conversations:
                    yield conversations
            return
        async with self.engine.begin() as connection:
            async with _finished(SqlConversations(connection)) as conversations:
                yield conversations


@asynccontextmanager
async def _finished(conversations: SqlConversations) -> AsyncIterator[SqlConversations]:
    """The unit's ORM session, if a step made one, ends with the unit."""
    try:
        yield conversations
        await conversations.finish()
    finally:
        await conversations.close()


class Outbox:
    """Delivery bookkeeping for channels: what is still to send, and what was sent."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        write_sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.sessions = sessions
        self.write_sessions = write_sessions or sessions
        self._writer = writer_of(self.write_sessions)

    async def mark_sent(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        now = utcnow()
        if self._writer is not None:
            # Runs after every message sent: straight on SQLite, like the engine's own.
            marks = ", ".join("?" * len(ids))
            async with self._writer.transaction() as sqlite:
                sqlite.execute(
                    f"UPDATE outbox SET sent_at = ? WHERE id IN ({marks})",
                    (sqlite_time(now), *ids),
                )
            return
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(ids)).values(sent_at=now)
            )

    async def mark_failed(self, ids: Sequence[int], retry_at: dt.datetime) -> None:
        if not ids:
            return
        async with self.write_sessions() as session, session.begin():
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
