"""SQLite on the event loop's own thread.

aiosqlite runs every call on a helper thread and hands the result back through the event
loop. Measured on these machines, one such hop costs about 0.3 ms of CPU, while the
statements Passerelle runs take 5 to 50 µs inside SQLite (WAL, small rows, indexed). A
message costs a dozen of them, so the hops were most of the CPU a message cost.

SQLAlchemy's aiosqlite dialect is therefore given connections (`async_creator`) that run
each call at once on the calling thread; they implement the small async DB-API SQLAlchemy
expects from aiosqlite (`sqlalchemy.connectors.asyncio.AsyncIODBAPIConnection`). Nothing
awaits inside a statement, so a unit of work runs from BEGIN to COMMIT without handing the
loop to another coroutine. A process keeps one writing connection (see `bot.db`): its
units queue in SQLAlchemy's pool, never in SQLite's busy wait; only another process (an
agent's command, a second server) can make a writer wait, for as long as that process's
own short transaction lasts.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

#: How long a writer waits for another process's transaction before giving up (seconds).
BUSY_TIMEOUT_S = 30.0


class InlineCursor:
    """A sqlite3 cursor behind the awaitable interface SQLAlchemy's adapter calls."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self.arraysize = cursor.arraysize

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def execute(self, operation: str, parameters: Any = None) -> InlineCursor:
        if parameters is None:
            self._cursor.execute(operation)
        else:
            self._cursor.execute(operation, parameters)
        return self

    async def executemany(self, operation: str, parameters: Sequence[Any]) -> InlineCursor:
        self._cursor.executemany(operation, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """One sqlite3 connection whose calls run at once, on the caller's thread."""

    def __init__(self, connection: sqlite3.Connection, *, owned: bool = True) -> None:
        self.sqlite = connection
        #: False for the writer's connection, which outlives SQLAlchemy's pool.
        self.owned = owned
        # SQLAlchemy's aiosqlite adapter reads `_connection` to know the connection is open.
        self._connection: sqlite3.Connection | None = connection

    @property
    def isolation_level(self) -> str | None:
        return self.sqlite.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self.sqlite.in_transaction

    def cursor(self) -> InlineCursor:
        return InlineCursor(self.sqlite.cursor())

    async def commit(self) -> None:
        self.sqlite.commit()

    async def rollback(self) -> None:
        self.sqlite.rollback()

    async def create_function(
        self, name: str, arity: int, function: Callable[..., Any], **options: Any
    ) -> None:
        self.sqlite.create_function(name, arity, function, **options)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            if self.owned:
                self.sqlite.close()


def open_connection(database: str, *, busy_timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection set up as every Passerelle connection is."""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: the driver's own implicit transactions break SAVEPOINT and make
    # a read-then-write transaction fail under load; SQLAlchemy emits BEGIN (see bot.db).
    connection = sqlite3.connect(
        database,
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=False,
        uri=database.startswith("file:"),
    )
    connection.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL survives any crash of the process; only a power cut may lose the
    # last commits. A full fsync per message would cost more than handling the message.
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def inline_creator(database: str) -> Callable[[], Any]:
    """The `async_creator` for SQLAlchemy's aiosqlite dialect."""

    async def create() -> InlineConnection:
        return InlineConnection(open_connection(database))

    return create


class SqliteWriter:
    """This process's one writing connection to a SQLite file, used in turns.

    Conversation units use it straight (`transaction`); ORM sessions get it from
    SQLAlchemy (`connect`, a pool of this one connection) while they hold a turn.
    """

    def __init__(self, database: str) -> None:
        # No busy wait in SQLite: `begin` waits for another process's lock itself.
        self.connection = open_connection(database, busy_timeout=0)
        self._lock = asyncio.Lock()

    async def connect(self) -> InlineConnection:
        """For SQLAlchemy (`async_creator`): the writer's connection, closed only by `close`."""
        return InlineConnection(self.connection, owned=False)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[sqlite3.Connection]:
        """The connection to oneself; what is left unfinished is rolled back."""
        try:
            async with asyncio.timeout(BUSY_TIMEOUT_S):
                await self._lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("the writing connection stayed busy") from None
        try:
            yield self.connection
        finally:
            if self.connection.in_transaction:
                self.connection.rollback()
            self._lock.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[sqlite3.Connection]:
        """A turn in one writing transaction: committed at the end unless something (an ORM
        session that took it over) already ended it, rolled back on an error."""
        async with self.turn() as connection:
            await self.begin()
            yield connection
            if connection.in_transaction:
                connection.execute("COMMIT")

    async def begin(self) -> None:
        """BEGIN IMMEDIATE; while another process writes, wait without holding up the loop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_TIMEOUT_S
        delay = 0.001
        while not self._began(loop.time() > deadline):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    def begin_now(self) -> None:
        """BEGIN IMMEDIATE from synchronous code (SQLAlchemy's begin event), waiting here."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.001
        while not self._began(time.monotonic() > deadline):
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _began(self, last_try: bool) -> bool:
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if last_try or "locked" not in str(error):
                raise
            return False
        return True

    def close(self) -> None:
        self.connection.close()
