"""The database: one async engine per process, migrated by Alembic on start."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.sqlite import InlineConnection, inline_creator

log = logging.getLogger("passerelle.db")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    #: For reads and ordinary writes.
    sessions: async_sessionmaker[AsyncSession]
    #: For units that read then write under contention (a conversation, a booking): on
    #: SQLite they take the write lock at BEGIN, so they queue instead of failing.
    write_sessions: async_sessionmaker[AsyncSession]
    write_engine: AsyncEngine

    async def close(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_begin(connection: Connection) -> None:
    sqlite = _inline(connection)
    # Already begun when an ORM session joins a unit begun on SQLite (`bot.storage`).
    if not sqlite.in_transaction:
        sqlite.execute("BEGIN")


def _sqlite_begin_immediate(connection: Connection) -> None:
    sqlite = _inline(connection)
    # IMMEDIATE takes the write lock at once: a writer of another process waits its turn
    # (busy timeout) instead of failing when a reader later tries to write.
    if not sqlite.in_transaction:
        sqlite.execute("BEGIN IMMEDIATE")


def _inline(connection: Connection) -> sqlite3.Connection:
    driver = connection.connection.driver_connection
    assert isinstance(driver, InlineConnection)
    return driver.sqlite


def create_engine(url: str, *, writer: bool = False) -> AsyncEngine:
    """An engine; on SQLite its connections run on the loop's thread (`bot.sqlite`), and a
    writer engine keeps a single connection, so this process's units of work queue in it."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_size=10, max_overflow=20)
    kwargs: dict[str, Any] = {"async_creator": inline_creator(parsed.database or ":memory:")}
    if writer:
        kwargs.update(pool_size=1, max_overflow=0)
    engine = create_async_engine(url, **kwargs)
    begin = _sqlite_begin_immediate if writer else _sqlite_begin
    event.listen(engine.sync_engine, "begin", begin)
    return engine


def _in_memory(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


async def migrate(engine: AsyncEngine, url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (an empty database included)."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)
    log.info("db.migrated revision=%s", revision)


async def open_database(url: str, *, migrate_schema: bool = True) -> Database:
    engine = create_engine(url)
    if migrate_schema:
        await migrate(engine, url)
    write_engine = engine
    if make_url(url).get_backend_name() == "sqlite" and not _in_memory(url):
        write_engine = create_engine(url, writer=True)
    return Database(
        url=url,
        engine=engine,
        sessions=async_sessionmaker(engine, expire_on_commit=False),
        write_sessions=async_sessionmaker(write_engine, expire_on_commit=False),
        write_engine=write_engine,
    )
