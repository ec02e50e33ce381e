"""The database: one async engine per process, migrated by Alembic on start."""

from __future__ import annotations

import logging
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit transactions break SAVEPOINT and make a read-then-write
    # transaction fail under load; SQLAlchemy emits BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL survives any crash of the process; only a power cut may lose the
    # last commits. A full fsync per message would cost more than handling the message.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _sqlite_begin_immediate(connection: Connection) -> None:
    # IMMEDIATE takes the write lock at once: concurrent units wait in turn (busy_timeout)
    # instead of failing when a reader later tries to write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, immediate: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        begin = _sqlite_begin_immediate if immediate else _sqlite_begin
        event.listen(engine.sync_engine, "begin", begin)
    return engine


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
    if make_url(url).get_backend_name() == "sqlite":
        write_engine = create_engine(url, immediate=True)
    return Database(
        url=url,
        engine=engine,
        sessions=async_sessionmaker(engine, expire_on_commit=False),
        write_sessions=async_sessionmaker(write_engine, expire_on_commit=False),
        write_engine=write_engine,
    )
