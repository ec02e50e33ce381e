"""The outbox as channels see it: what is due, what was sent, what a reply was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update

from bot.db import Database
from bot.storage.conversations import sqlite_time
from bot.storage.tables import OutboxRow, utcnow
from bot.storage.units import SqlConversationStore
from dialogs.codec import decode_reply
from dialogs.replies import Reply

__all__ = ["Outbox"]


class Outbox:
    """The outbox as channels see it; they never read its rows themselves.

    - `mark_sent`, `mark_failed`: what became of replies the engine queued;
    - `pending`: what is still to send (the retrier);
    - `reply`: a reply queued earlier for one person (a keyboard's options, read again);
    - `queue`: a channel's own answer to an update (a page of a long list), claimed and
      queued in one unit of work as the engine does, so a duplicate is dropped.
    """

    def __init__(self, database: Database, units: SqlConversationStore | None = None) -> None:
        self.sessions = database.sessions
        self.write_sessions = database.write_sessions
        self._writer = database.writer
        self._units = units or SqlConversationStore(database)

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

    async def reply(self, outbox_id: int, channel: str, platform_id: str) -> Reply | None:
        """The reply queued as `outbox_id` for this person; None if it is another's, gone,
        or unreadable."""
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(OutboxRow.reply, OutboxRow.channel, OutboxRow.platform_id).where(
                        OutboxRow.id == outbox_id
                    )
                )
            ).first()
        if row is None or row.platform_id != platform_id or row.channel != channel:
            return None
        try:
            return decode_reply(row.reply)
        except (ValueError, KeyError, TypeError):
            return None

    async def queue(
        self, channel: str, platform_id: str, update_id: str, replies: Sequence[Reply]
    ) -> list[int] | None:
        """Record `update_id` as handled and queue `replies` for the person, in one unit;
        their outbox ids in order, or None when the update was handled already."""
        async with self._units.unit() as conversations:
            if not await conversations.claim_update(channel, update_id):
                return None
            person = await conversations.person(channel, platform_id)
            return await conversations.queue(person, replies)
