"""The 0002 migration creates exactly the tables `knowledge.models` describes, and goes away."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.db import Database, alembic_config, migrate
from knowledge.models import KnowledgeBase

KB_TABLES = {
    "kb_entries",
    "kb_translations",
    "kb_checklist_items",
    "kb_places",
    "kb_revisions",
    "kb_imports",
}


def knowledge_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        difference
        for difference in compare_metadata(context, KnowledgeBase.metadata)
        if "kb_" in repr(difference)
    ]


async def test_the_migration_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(knowledge_differences)
    assert differences == []


async def test_the_migration_downgrades_and_upgrades_again(database: Database) -> None:
    def downgrade(connection: Connection) -> None:
        config = alembic_config(database.url)
        config.attributes["connection"] = connection
        command.downgrade(config, "0001_foundation")

    async with database.engine.begin() as connection:
        await connection.run_sync(downgrade)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not tables & KB_TABLES
    assert "people" in tables

    await migrate(database.engine, database.url)
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert KB_TABLES <= tables
