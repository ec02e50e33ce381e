"""`passerelle kb ...` as an agent or a translator types it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli_kb import kb
from bot.db import open_database
from bot.settings import get_settings
from knowledge.loader import load_file
from knowledge.po import read_catalog, write_catalog
from knowledge.schema import EntryFile
from knowledge.store import KnowledgeStore
from knowledge.views import Revision, TranslationEdit
from tests.conftest import sqlite_url


@pytest.fixture(autouse=True)
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = sqlite_url(tmp_path / "cli.db")
    monkeypatch.setenv("PASSERELLE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return CliRunner().invoke(kb, list(args), catch_exceptions=False)


def test_import_reports_counts_and_is_idempotent(content_dir: Path) -> None:
    first = run("import", str(content_dir))
    second = run("import", str(content_dir))

    assert first.exit_code == 0, first.output
    assert "created 4, updated 0, unchanged 0, conflicts 0" in first.output
    assert "created 0, updated 0, unchanged 4, conflicts 0" in second.output


def test_import_of_a_bad_file_names_it_and_imports_nothing(content_dir: Path) -> None:
    path = content_dir / "food-aid.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("kind: service", "kind: shop"))

    result = run("import", str(content_dir))

    assert result.exit_code == 1
    assert f"{path}:2: kind:" in result.output
    assert "nothing was imported" in result.output


def test_a_conflict_is_reported_and_its_revision_restorable(
    content_dir: Path, database_url: str
) -> None:
    run("import", str(content_dir))
    asyncio.run(agent_edits_food_aid(database_url))
    path = content_dir / "food-aid.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("en title", "file title"))

    result = run("import", str(content_dir))

    assert "conflicts 1" in result.output
    assert "conflict: food-aid" in result.output
    pending = run("pending").output.split()
    assert pending[1] == "food-aid"
    restored = run("restore", pending[0], "--by", "agent:lea")
    assert restored.exit_code == 0 and "food-aid restored" in restored.output
    assert "conflicts 0" in run("import", str(content_dir)).output


async def agent_edits_food_aid(url: str) -> None:
    database = await open_database(url)
    try:
        store = KnowledgeStore(database.sessions, write_sessions=database.write_sessions)
        await store.update_translation("food-aid", "en", TranslationEdit(title="Agent's"), "lea")
    finally:
        await database.close()


def test_export_writes_the_files_back_unchanged(content_dir: Path, tmp_path: Path) -> None:
    run("import", str(content_dir))

    result = run("export", str(tmp_path / "out"))

    assert result.exit_code == 0 and "wrote 4, unchanged 0" in result.output
    for path in content_dir.iterdir():
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes()


def test_check_of_a_directory_exits_1_on_errors(content_dir: Path) -> None:
    good = run("check", str(content_dir))
    path = content_dir / "food-aid.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("related: [health-ame]", ""))
    text = (content_dir / "health-pass.yaml").read_text(encoding="utf-8")
    (content_dir / "health-pass.yaml").write_text(text.replace("[health-ame]", "[housing-99]"))

    bad = run("check", str(content_dir))

    assert good.exit_code == 1, "the fixture lacks most required entries"
    assert "required entry 'housing-115' is missing" in good.output
    assert bad.exit_code == 1
    assert "health-pass: related[0]: related entry 'housing-99' does not exist" in bad.output
    assert "warning: food-aid: missing-translation in 10 locale(s): ar, fa," in bad.output


def test_check_of_the_database_imports_the_bundle_first() -> None:
    result = run("check")

    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_stats_shows_a_table_per_locale(content_dir: Path) -> None:
    run("import", str(content_dir))

    result = run("stats", "--by-entry")

    assert result.exit_code == 0
    assert "reviewed" in result.output and "health-ame" in result.output
    assert "│ ar     │" in result.output


def test_po_export_then_import(content_dir: Path, tmp_path: Path) -> None:
    run("import", str(content_dir))

    exported = run("po", "export", "--lang", "ar", str(tmp_path / "po"))
    catalog = read_catalog(tmp_path / "po" / "ar.po")
    for message in catalog:
        if message.context and message.context.startswith("food-aid|"):
            message.string = {"title": "مساعدة غذائية"}.get(
                message.context.split("|")[1], "نص راجعه مترجم"
            )
            message.flags = set()
    write_catalog(catalog, tmp_path / "po" / "ar.po")
    imported = run("po", "import", str(tmp_path / "po" / "ar.po"), "--by", "translator:amal")

    assert exported.exit_code == 0 and "ar.po" in exported.output
    assert imported.exit_code == 0, imported.output
    assert "ar: updated 1" in imported.output
    assert "│ ar     │      0 │       1 │        1 │" in run("stats").output


def test_po_export_of_french_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(kb, ["po", "export", "--lang", "fr", str(tmp_path)])
    assert result.exit_code == 1 and "French is the source" in result.output


def test_checked_sets_the_date_a_person_checked_entry_files(content_dir: Path) -> None:
    result = run("checked", "--dir", str(content_dir), "--on", "2026-11-20", "food-aid")

    assert result.exit_code == 0, result.output
    assert "food-aid: checked on 2026-11-20" in result.output
    assert load_file(content_dir / "food-aid.yaml").checked == dt.date(2026, 11, 20)
    assert load_file(content_dir / "health-ame.yaml").checked is None
    assert run("format", str(content_dir)).output.endswith("0 file(s) rewritten\n")


def test_checked_refuses_an_unknown_entry_and_a_day_to_come(content_dir: Path) -> None:
    unknown = CliRunner().invoke(kb, ["checked", "--dir", str(content_dir), "no-such-entry"])
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    future = CliRunner().invoke(kb, ["checked", "--on", tomorrow, "food-aid"])

    assert unknown.exit_code != 0 and "no-such-entry" in unknown.output
    assert future.exit_code != 0 and "still to come" in future.output


def test_checked_in_the_database_is_a_revision(content_dir: Path, database_url: str) -> None:
    run("import", str(content_dir))

    result = run("checked", "--on", "2026-11-20", "--by", "lea", "food-aid")

    assert result.exit_code == 0, result.output
    entry, revisions = asyncio.run(food_aid_and_revisions(database_url))
    assert entry is not None and entry.checked == dt.date(2026, 11, 20)
    assert [revision.by for revision in revisions][-1] == "lea"


async def food_aid_and_revisions(url: str) -> tuple[EntryFile | None, list[Revision]]:
    database = await open_database(url)
    try:
        store = KnowledgeStore(database.sessions, write_sessions=database.write_sessions)
        return await store.document("food-aid"), await store.revisions("food-aid")
    finally:
        await database.close()
