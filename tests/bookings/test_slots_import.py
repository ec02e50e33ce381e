"""Slots in bulk: the CSV format, its errors naming the line, and the command line."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bookings.catalogue import load_catalogue
from bookings.models import SlotRow
from bookings.slots import PlanError, parse_command, read_csv
from bookings.views import PARIS
from bot.cli_bookings import agents, slots
from bot.db import open_database
from bot.settings import Settings, get_settings
from bot.storage import PersonRow
from tests.conftest import TEST_SERVICES

NOW = dt.datetime(2031, 3, 3, 8, 0, tzinfo=dt.UTC)
HEADER = "service,place,date,start,end,capacity,length,until,weekdays\n"


def test_a_weekly_pattern_cut_in_slots_skips_public_holidays() -> None:
    text = HEADER + "legal-aid,droits-urgence-pad-18,2031-04-01,09:00,10:00,2,30,2031-04-30,mo+th\n"
    planned = read_csv(text, load_catalogue(TEST_SERVICES), NOW)
    assert not planned.errors
    days = sorted({plan.starts_at.astimezone(PARIS).date() for plan in planned.plans})
    # Mondays and Thursdays of April 2031, but Easter Monday (14 April) is a holiday.
    assert dt.date(2031, 4, 14) not in days
    assert days[0] == dt.date(2031, 4, 3) and len(days) == 7
    assert len(planned.plans) == 14
    first = min(planned.plans, key=lambda plan: plan.starts_at)
    assert first.starts_at == dt.datetime(2031, 4, 3, 9, 0, tzinfo=PARIS)
    assert first.ends_at - first.starts_at == dt.timedelta(minutes=30)
    assert first.capacity == 2


def test_every_error_names_its_line() -> None:
    text = (
        "service,place,date,start,end,capacity\n"
        "legal-aid,droits-urgence-pad-18,2031-04-01,09:00,10:00,1\n"
        "legl-aid,droits-urgence-pad-18,2031-04-01,09:00,10:00,1\n"
        "legal-aid,gisti,2031-04-01,09:00,10:00,1\n"
        "legal-aid,droits-urgence-pad-18,2031-04-31,09:00,10:00,1\n"
        "legal-aid,droits-urgence-pad-18,2031-04-02,25:00,10:00,1\n"
        "legal-aid,droits-urgence-pad-18,2031-04-02,11:00,10:00,1\n"
        "legal-aid,droits-urgence-pad-18,2031-04-02,09:00,10:00,0\n"
        "legal-aid,droits-urgence-pad-18,2030-04-02,09:00,10:00,1\n"
        "ame-help,droits-urgence-pad-18,2031-04-02,09:00,10:00,1\n"
        "legal-aid,droits-urgence-pad-18,2031-04-01,09:00,10:00,1\n"
        "legal-aid,droits-urgence-pad-18,2031-04-02\n"
        "\n"
    )
    errors = [str(error) for error in read_csv(text, load_catalogue(TEST_SERVICES), NOW).errors]
    assert errors[0].startswith("line 3: unknown service 'legl-aid'")
    assert errors[1].startswith("line 4: 'gisti' is not a place of legal-aid")
    assert errors[2] == "line 5: '2031-04-31' is not a date (YYYY-MM-DD)"
    assert errors[3] == "line 6: '25:00' is not a time (HH:MM)"
    assert errors[4] == "line 7: end 10:00 must be after start 11:00"
    assert errors[5] == "line 8: capacity '0' must be a whole number from 1 to 500"
    assert errors[6] == "line 9: this slot is in the past"
    assert errors[7].startswith("line 10: ame-help takes requests, not slots")
    assert errors[8] == "line 11: the same slot is already on line 2"
    assert errors[9] == "line 12: 3 values for 6 columns"
    assert len(errors) == 10


def test_a_wrong_header_is_line_1() -> None:
    planned = read_csv("service,place,day,start,end,capacity\n", load_catalogue(TEST_SERVICES), NOW)
    [error] = planned.errors
    assert str(error).startswith("line 1: missing column(s): date; unknown column(s): day")
    assert (
        str(read_csv("", load_catalogue(TEST_SERVICES), NOW).errors[0])
        == "line 1: the file is empty"
    )


def test_the_chat_command_grammar() -> None:
    plans = parse_command(
        "legal-aid droits-urgence-pad-18 2031-04-01 14:00-16:00 1 30 until 2031-04-15 tu".split()
    )
    assert len(plans) == 12  # 3 Tuesdays x 4 half-hours
    with pytest.raises(PlanError, match="HH:MM-HH:MM"):
        parse_command("legal-aid droits-urgence-pad-18 2031-04-01 14:00 1".split())
    with pytest.raises(PlanError, match="usage"):
        parse_command(["legal-aid"])


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings) -> Iterator[dict[str, str]]:
    get_settings.cache_clear()
    yield {"PASSERELLE_DATABASE_URL": settings.database_url}
    get_settings.cache_clear()


def _run(command: object, args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(command, args, env=env)  # type: ignore[arg-type]


def _slot_count(url: str) -> int:
    async def count() -> int:
        database = await open_database(url)
        try:
            async with database.sessions() as session:
                return len((await session.scalars(select(SlotRow))).all())
        finally:
            await database.close()

    return asyncio.run(count())


def test_import_refuses_a_file_with_errors_and_names_each_line(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    file = tmp_path / "slots.csv"
    file.write_text(
        "service,place,date,start,end,capacity\n"
        "legal-aid,droits-urgence-pad-18,2031-04-01,09:00,10:00,1\n"
        "legal-aid,droits-urgence-pad-18,2031-04-01,9h00,10:00,x\n",
        encoding="utf-8",
    )
    result = _run(slots, ["import", str(file)], cli_env)
    assert result.exit_code == 1
    assert "slots.csv: line 3: capacity 'x' must be a whole number" in result.output
    assert "nothing was imported" in result.output
    assert _slot_count(cli_env["PASSERELLE_DATABASE_URL"]) == 0


def test_import_opens_the_slots_once(tmp_path: Path, cli_env: dict[str, str]) -> None:
    file = tmp_path / "slots.csv"
    file.write_text(
        HEADER + "legal-aid,droits-urgence-pad-20,2031-04-01,09:00,12:00,1,30,,\n",
        encoding="utf-8",
    )
    dry = _run(slots, ["import", "--dry-run", str(file)], cli_env)
    assert dry.exit_code == 0 and "6 slot(s) would be opened" in dry.output
    assert _slot_count(cli_env["PASSERELLE_DATABASE_URL"]) == 0
    first = _run(slots, ["import", str(file)], cli_env)
    assert first.exit_code == 0 and "6 slot(s) opened, 0 already there" in first.output
    again = _run(slots, ["import", str(file)], cli_env)
    assert "0 slot(s) opened, 6 already there" in again.output
    listed = _run(slots, ["list", "--days", "366"], cli_env)
    assert listed.exit_code == 0


def test_the_import_help_documents_the_columns(cli_env: dict[str, str]) -> None:
    result = _run(slots, ["import", "--help"], cli_env)
    assert "service,place,date,start,end,capacity" in result.output


def test_agents_add_grants_the_role_in_the_database(cli_env: dict[str, str]) -> None:
    added = _run(
        agents, ["add", "--channel", "telegram", "--id", "424242", "--role", "admin"], cli_env
    )
    assert added.exit_code == 0 and "telegram 424242 is now admin" in added.output
    bad = _run(agents, ["add", "--channel", "telegram", "--id", "bob"], cli_env)
    assert bad.exit_code == 2 and "a Telegram id is a number" in bad.output
    listed = _run(agents, ["list"], cli_env)
    assert "telegram\t424242\tadmin" in listed.output
    removed = _run(agents, ["remove", "--channel", "telegram", "--id", "424242"], cli_env)
    assert removed.exit_code == 0

    async def role() -> str | None:
        database = await open_database(cli_env["PASSERELLE_DATABASE_URL"])
        try:
            async with database.sessions() as session:
                return await session.scalar(
                    select(PersonRow.role).where(PersonRow.platform_id == "424242")
                )
        finally:
            await database.close()

    assert asyncio.run(role()) == "person"
