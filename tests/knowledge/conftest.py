"""A knowledge store on a fresh SQLite file or PostgreSQL schema, and small entries to fill it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bot.db import Database, migrate, open_database
from knowledge.store import KnowledgeStore
from tests.conftest import POSTGRES_ADMIN_URL, sqlite_url
from tests.knowledge.content import fixture_entries, write_entries


async def _postgres_database() -> AsyncIterator[Database]:
    """A migrated PostgreSQL database in a schema of its own, dropped afterwards."""
    import asyncpg

    try:
        admin = await asyncpg.connect(
            POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5
        )
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}")
    schema = f"kb_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    engine = create_async_engine(
        POSTGRES_ADMIN_URL, connect_args={"server_settings": {"search_path": schema}}
    )
    try:
        await migrate(engine, POSTGRES_ADMIN_URL)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        yield Database(
            url=POSTGRES_ADMIN_URL,
            engine=engine,
            sessions=sessions,
            write_sessions=sessions,
            write_engine=engine,
        )
    finally:
        await engine.dispose()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "postgresql":
        async for database in _postgres_database():
            yield database
        return
    database = await open_database(sqlite_url(tmp_path / "kb.db"))
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(sqlite_url(tmp_path / "kb.db"))
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def store(database: Database) -> KnowledgeStore:
    return KnowledgeStore(database.sessions, write_sessions=database.write_sessions)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "content"
    write_entries(directory, fixture_entries())
    return directory
