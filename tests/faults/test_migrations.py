"""Processes migrating one fresh database at once take turns: one migrates, the others
wait and find nothing to do."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import text

from bot.db import create_engine
from tests.conftest import sqlite_url

ROOT = Path(__file__).resolve().parents[2]


async def upgrade_in_processes(url: str, count: int) -> list[tuple[int, str]]:
    env = {**os.environ, "PASSERELLE_DATABASE_URL": url, "PASSERELLE_LOG_LEVEL": "WARNING"}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "db",
            "upgrade",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
        results.append((process.returncode or 0, output.decode(errors="replace")))
    return results


async def head_of(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def test_three_processes_migrating_postgresql_at_once(postgres_url: str) -> None:
    results = await upgrade_in_processes(postgres_url, 3)
    assert [code for code, _ in results] == [0, 0, 0], [out[-800:] for _, out in results]
    assert len(await head_of(postgres_url)) == 1


async def test_three_processes_migrating_sqlite_at_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "fresh.db")
    results = await upgrade_in_processes(url, 3)
    assert [code for code, _ in results] == [0, 0, 0], [out[-800:] for _, out in results]
    assert len(await head_of(url)) == 1
