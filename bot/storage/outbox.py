"""The outbox as channels see it: what is due, what was sent, what a reply was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import aliased

from bot.db import Database
from bot.storage.conversations import sqlite_time
from bot.storage.tables import (
    REFUSED,
    SENDER,
    OutboxRow,
    ProcessedUpdate,
    RejectedUpdate,
    utcnow,
)
from bot.storage.units import SqlConversationStore
from dialogs.codec import decode_reply
from dialogs.replies import Reply

__all__ = ["Outbox"]


class Outbox:
    """The outbox as channels see it; they never read its rows themselves.

    Every reply is claimed before it is sent, by one sender (a process, `SENDER`) for a
    lease it renews while alive: the live path claims the replies as the engine queues
    them, the retrier claims what nobody holds (`claim`). A reply is marked sent as soon
    as the platform confirmed it, before the next one to the person is sent.

    - `mark_sent`, `mark_failed`: what became of claimed replies;
    - `claim`: what is due and nobody holds, claimed for this process (the retrier);
    - `renew`, `release`: this process's claims kept alive, or given back on stop;
    - `reply`: a reply queued earlier for one person (a keyboard's options, read again);
    - `queue`: a channel's own answer to an update (a page of a long list), claimed and
      queued in one unit of work as the engine does, so a duplicate is dropped;
    - `prune_processed`, `reject`: the processed update ids past their window, and the
      updates refused as unreadable (with a reason, never their content).
    """

    def __init__(self, database: Database, units: SqlConversationStore | None = None) -> None:
        self.sessions = database.sessions
        self.write_sessions = database.write_sessions
        self._writer = database.writer
        self._units = units or SqlConversationStore(database)
        self.lease = self._units.lease

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

    async def mark_failed(
        self, ids: Sequence[int], retry_at: dt.datetime, *, permanent: bool = False
    ) -> None:
        """Given back, to be tried again at `retry_at`. A permanent refusal no longer holds
        the person's later replies; a passing failure still does (their order)."""
        if not ids:
            return
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids))
                .values(
                    attempts=OutboxRow.attempts + 1,
                    next_attempt_at=retry_at,
                    claimed_by=REFUSED if permanent else None,
                    claimed_until=None,
                )
            )

    async def claim(
        self, channel: str, now: dt.datetime, limit: int = 100
    ) -> list[tuple[int, str, Reply]]:
        """Unsent replies due now that nobody holds, claimed for this process; oldest first.

        A reply is left while an older one to the same person waits (held by another
        sender, or failed and due later): people get their replies in order.
        """
        older = aliased(OutboxRow)
        waiting = (
            select(older.id)
            .where(
                older.person_id == OutboxRow.person_id,
                older.id < OutboxRow.id,
                older.sent_at.is_(None),
                or_(older.claimed_by.is_(None), older.claimed_by != REFUSED),
                or_(older.claimed_until > now, older.next_attempt_at > now),
            )
            .exists()
        )
        free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now)
        due = (
            select(OutboxRow.id)
            .where(
                OutboxRow.channel == channel,
                OutboxRow.sent_at.is_(None),
                free,
                or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
                ~waiting,
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        async with self.write_sessions() as session, session.begin():
            claimed = await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(due.scalar_subquery()), OutboxRow.sent_at.is_(None), free)
                .values(claimed_by=SENDER, claimed_until=now + self.lease)
                .returning(OutboxRow.id, OutboxRow.platform_id, OutboxRow.reply)
                .execution_options(synchronize_session=False)
            )
            rows = sorted(claimed.all())
        found: list[tuple[int, str, Reply]] = []
        unreadable: list[int] = []
        for outbox_id, platform_id, text in rows:
            try:
                found.append((outbox_id, platform_id, decode_reply(text)))
            except (ValueError, KeyError, TypeError):
                unreadable.append(outbox_id)
        if unreadable:
            # Written by another version, or damaged: never sendable, and holding nobody.
            await self.mark_failed(unreadable, now + dt.timedelta(days=1), permanent=True)
        return found

    async def pending(
        self, channel: str, now: dt.datetime, limit: int = 100
    ) -> list[tuple[int, str, Reply]]:
        """What `claim` would take, without claiming it (for reports and tests)."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(OutboxRow)
                .where(
                    OutboxRow.channel == channel,
                    OutboxRow.sent_at.is_(None),
                    or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
                    or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
                )
                .order_by(OutboxRow.id)
                .limit(limit)
            )
            return [(row.id, row.platform_id, decode_reply(row.reply)) for row in rows]

    async def renew(self, now: dt.datetime) -> int:
        """Keep every unsent reply this process holds claimed for another lease; how many."""
        async with self.write_sessions() as session, session.begin():
            renewed = await session.execute(
                update(OutboxRow)
                .where(OutboxRow.sent_at.is_(None), OutboxRow.claimed_by == SENDER)
                .values(claimed_until=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(renewed, "rowcount", 0) or 0)

    async def release(self) -> None:
        """Give back what this process holds and did not send (it is stopping)."""
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.sent_at.is_(None), OutboxRow.claimed_by == SENDER)
                .values(claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )

    async def prune_processed(self, channel: str, before: dt.datetime) -> int:
        """Forget the update ids of `channel` handled before `before`; how many."""
        async with self.write_sessions() as session, session.begin():
            pruned = await session.execute(
                delete(ProcessedUpdate).where(
                    ProcessedUpdate.channel == channel, ProcessedUpdate.processed_at < before
                )
            )
            return int(getattr(pruned, "rowcount", 0) or 0)

    async def reject(self, channel: str, update_id: str, reason: str) -> None:
        """Record an update that could not be read or stored (acknowledged all the same)."""
        async with self.write_sessions() as session, session.begin():
            await session.merge(
                RejectedUpdate(
                    channel=channel,
                    update_id=update_id[:128],
                    reason=reason[:64],
                    rejected_at=utcnow(),
                )
            )

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
        their outbox ids in order (empty when they wait behind older replies, which the
        retrier sends first), or None when the update was handled already."""
        async with self._units.unit() as conversations:
            if not await conversations.claim_update(channel, update_id):
                return None
            person = await conversations.person(channel, platform_id)
            return await conversations.queue(person, replies)
