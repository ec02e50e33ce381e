"""Conversation units, one kind per database, handed out by `SqlConversationStore`."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bookings.store import BookingDesk
from bot.db import Database
from bot.storage.conversations import SqlConversations
from bot.storage.sqlite_conversations import SqliteConversations
from bot.storage.tables import DEFAULT_LEASE

__all__ = ["SqlConversationStore"]


class SqlConversationStore:
    """Hands out units of work, each one transaction: on SQLite the writer's turn, the
    statements straight on its connection; elsewhere a connection of the engine's pool."""

    def __init__(
        self,
        database: Database,
        *,
        bookings: BookingDesk | None = None,
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        """`bookings`: the desk whose units the conversation units hand to the steps;
        `lease`: how long the replies a unit queues stay claimed by this process."""
        self.engine = database.write_engine
        self.bookings = bookings
        self.writer = database.writer
        self.lease = lease

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[SqlConversations]:
        if self.writer is not None:
            async with self.writer.transaction() as sqlite:
                async with _finished(
                    SqliteConversations(self.engine, sqlite, self.bookings, lease=self.lease)
                ) as conversations:
                    yield conversations
            return
        async with self.engine.begin() as connection:
            async with _finished(
                SqlConversations(connection, self.bookings, lease=self.lease)
            ) as conversations:
                yield conversations


@asynccontextmanager
async def _finished(conversations: SqlConversations) -> AsyncIterator[SqlConversations]:
    """The unit's ORM session, if a step made one, ends with the unit."""
    try:
        yield conversations
        await conversations.finish()
    finally:
        await conversations.close()
