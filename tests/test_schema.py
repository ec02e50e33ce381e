"""`alembic revision --autogenerate` on a fully migrated database proposes no change.

Run as Alembic runs it (our `env.py`, its one metadata), in a fresh process that loads
no channel: every table must be known there, or autogenerate would propose dropping it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import sqlite_url

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import asyncio, sys
from alembic import command
from bot.db import alembic_config, create_engine, migrate


async def main(url: str) -> None:
    engine = create_engine(url)
    await migrate(engine, url)
    proposed = []

    def keep(context, revision, directives):
        proposed.extend(directives[0].upgrade_ops.as_diffs())
        directives[:] = []  # write no file

    def autogenerate(connection):
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.revision(config, "drift", autogenerate=True, process_revision_directives=keep)

    async with engine.begin() as connection:
        await connection.run_sync(autogenerate)
    await engine.dispose()
    from sqlbase import Base
    print("TABLES", sorted(Base.metadata.tables))
    print("PROPOSED", proposed)
    print("CHANNELS", sorted(name for name in sys.modules if name.startswith("bot.channels")))


asyncio.run(main(sys.argv[1]))
"""


def autogenerate(url: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)


def check(found: dict[str, str]) -> None:
    for table in ("people", "outbox", "kb_entries", "bookings", "whatsapp_inbound"):
        assert f"'{table}'" in found["TABLES"]
    assert found["PROPOSED"] == "[]"
    assert found["CHANNELS"] == "[]"


def test_autogenerate_proposes_nothing_on_sqlite(tmp_path: Path) -> None:
    check(autogenerate(sqlite_url(tmp_path / "drift.db")))


def test_autogenerate_proposes_nothing_on_postgresql(postgres_url: str) -> None:
    check(autogenerate(postgres_url))
