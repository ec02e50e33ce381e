"""The database: one async engine per process, migrated by Alembic on start."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from bot.sqlite import InlineConnection, SqliteWriter, inline_creator

log = logging.getLogger("passerelle.db")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    #: For reads and ordinary writes.
    sessions: async_sessionmaker[AsyncSession]
    #: For every write: on SQLite they take turns on this process's writing connection and
    #: its write lock at BEGIN, so units queue instead of failing.
    write_sessions: async_sessionmaker[AsyncSession]
    write_engine: AsyncEngine
    #: On SQLite, this process's one writing connection (`bot.sqlite`).
    writer: SqliteWriter | None = None

    async def close(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
        if self.writer is not None:
            self.writer.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_begin(connection: Connection) -> None:
    driver = connection.connection.driver_connection
    assert isinstance(driver, InlineConnection)
    if not driver.in_transaction:
        driver.sqlite.execute("BEGIN")


def create_engine(url: str) -> AsyncEngine:
    """An engine; on SQLite its connections run on the loop's thread (`bot.sqlite`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_size=10, max_overflow=20)
    engine = create_async_engine(url, async_creator=inline_creator(parsed.database or ":memory:"))
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


class TurnTakingSession(AsyncSession):
    """A session on the SQLite writer: from `async with` to its end it has the writer's
    connection to itself; other sessions and the conversation units wait their turn."""

    writer: ClassVar[SqliteWriter]

    async def __aenter__(self) -> Self:
        self._turn = self.writer.turn()
        await self._turn.__aenter__()
        return self

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        try:
            await super().__aexit__(type_, value, traceback)
        finally:
            await self._turn.__aexit__(type_, value, traceback)


def _writing_sessions(
    url: str, writer: SqliteWriter
) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(url, async_creator=writer.connect, poolclass=StaticPool)

    def begin(_connection: Connection) -> None:
        # IMMEDIATE takes the write lock at once; a conversation unit may have begun already.
        if not writer.connection.in_transaction:
            writer.begin_now()

    event.listen(engine.sync_engine, "begin", begin)
    session_class = type("WriterSession", (TurnTakingSession,), {"writer": writer})
    return engine, async_sessionmaker(engine, class_=session_class, expire_on_commit=False)


def _in_memory(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


#: The PostgreSQL advisory lock key serialising migrations ("passerelle" in ASCII, cut to
#: a bigint): the key only has to be the same in every process.
MIGRATION_LOCK = 0x7061737365726C6C


async def migrate(engine: AsyncEngine, url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (an empty database included).

    Several processes starting on one database (`run`, `serve`, `db upgrade`) take turns:
    each migrates inside a transaction holding a database-wide lock (an advisory lock on
    PostgreSQL, the write lock taken at BEGIN IMMEDIATE on SQLite), so the second one waits,
    reads the version the first one wrote and finds nothing to do.
    """

    def upgrade(connection: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert isinstance(driver, InlineConnection)
            await _sqlite_write_lock(driver)
        async with connection.begin():
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            await connection.run_sync(upgrade)
    log.info("db.migrated revision=%s", revision)


async def _sqlite_write_lock(driver: InlineConnection) -> None:
    """BEGIN IMMEDIATE, waiting (without holding up the loop) while another process writes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60.0
    while True:
        try:
            driver.sqlite.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or loop.time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def open_database(url: str, *, migrate_schema: bool = True) -> Database:
    engine = create_engine(url)
    if migrate_schema:
        await migrate(engine, url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    if make_url(url).get_backend_name() != "sqlite" or _in_memory(url):
        return Database(
            url=url, engine=engine, sessions=sessions, write_sessions=sessions, write_engine=engine
        )
    writer = SqliteWriter(make_url(url).database or "")
    write_engine, write_sessions = _writing_sessions(url, writer)
    # SQLAlchemy's first checkout sets the dialect up and ends with a ROLLBACK: done now, so
    # that it never lands inside a conversation unit begun on the connection.
    async with write_engine.connect():
        pass
    return Database(
        url=url,
        engine=engine,
        sessions=sessions,
        write_sessions=write_sessions,
        write_engine=write_engine,
        writer=writer,
    )
