"""A conversation unit straight on SQLite's connection (the statements every message runs)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from bookings.store import BookingDesk
from bot.storage.conversations import SqlConversations, sqlite_time
from bot.storage.tables import DEFAULT_LEASE, REFUSED, SENDER, utcnow
from dialogs.codec import encode_reply, json_text
from dialogs.ports import StaleState
from dialogs.replies import Reply
from dialogs.state import ConversationState, Person, Role

__all__ = ["SqliteConversations"]


class SqliteConversations(SqlConversations):
    """The statements every message runs, straight on SQLite's connection.

    Through SQLAlchemy each of them cost ~0.1 ms of CPU; here ~10 µs, and they are most of
    what a message costs. The rows are the same as the ORM's (`PersonRow`, `ConversationRow`,
    `ProcessedUpdate`, `OutboxRow`: JSON as text, times as SQLAlchemy stores them). The
    transaction is the SQLite writer's; an ORM session a step makes (bookings, tickets) runs
    on the same connection, joins it, and its commit ends the unit (`finish`).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        sqlite: sqlite3.Connection,
        desk: BookingDesk | None = None,
        *,
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        super().__init__(engine, desk, lease=lease)
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
            person = Person(id=person_id, channel=channel, platform_id=platform_id, locale=None)
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
        """As `SqlConversations.queue`: claimed by this process, or held behind older ones."""
        await self.flush()
        if not replies:
            return []
        now = self._now
        held = (
            self.sqlite.execute(
                "SELECT 1 FROM outbox WHERE person_id = ? AND sent_at IS NULL"
                " AND (claimed_by IS NULL OR claimed_by NOT IN (?, ?)) LIMIT 1",
                (person.id, SENDER, REFUSED),
            ).fetchone()
            is not None
        )
        owner = None if held else SENDER
        until = None if held else sqlite_time(utcnow() + self.lease)
        ids: list[int] = []
        for reply in replies:
            (outbox_id,) = self.sqlite.execute(
                "INSERT INTO outbox (person_id, channel, platform_id, reply, created_at,"
                " attempts, claimed_by, claimed_until) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"
                " RETURNING id",
                (
                    person.id,
                    person.channel,
                    person.platform_id,
                    encode_reply(reply),
                    now,
                    owner,
                    until,
                ),
            ).fetchone()
            ids.append(outbox_id)
        return [] if held else ids
