"""Alembic owns the schema: every migration upgrades, downgrades and upgrades again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.db import alembic_config, create_engine, migrate
from tests.conftest import sqlite_url


def revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def stairway(url: str) -> None:
    engine = create_engine(url)
    try:
        chain = revisions(url)
        assert chain, "no migrations"
        previous = "base"
        for revision in chain:
            await migrate(engine, url, revision)
            await _downgrade(engine, url, previous)
            await migrate(engine, url, revision)
            previous = revision
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"people", "conversations", "processed_updates", "outbox"} <= tables
    finally:
        await engine.dispose()


async def _downgrade(engine, url: str, revision: str) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    def down(connection) -> None:  # type: ignore[no-untyped-def]
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(down)


async def test_stairway_on_sqlite(tmp_path: Path) -> None:
    await stairway(sqlite_url(tmp_path / "stairs.db"))


async def test_stairway_on_postgresql(postgres_url: str) -> None:
    await stairway(postgres_url)


async def test_an_older_database_is_migrated_on_start(tmp_path: Path) -> None:
    from bot.app import build_app
    from bot.settings import Settings

    url = sqlite_url(tmp_path / "old.db")
    engine = create_engine(url)
    await migrate(engine, url, revisions(url)[0])
    await engine.dispose()
    app = await build_app(Settings(database_url=url, _env_file=None))
    try:
        async with app.database.engine.connect() as connection:
            version = (
                await connection.exec_driver_sql("select version_num from alembic_version")
            ).scalar()
        assert version == revisions(url)[-1]
    finally:
        await app.close()


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///:memory:"])
def test_revisions_form_one_chain(url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(url))
    assert len(script.get_heads()) == 1
