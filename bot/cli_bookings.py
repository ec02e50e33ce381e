"""`passerelle agents ...` and `passerelle slots ...`: who runs bookings, and bulk slots.

    passerelle agents add --channel telegram --id 123456789 --role agent
    passerelle agents remove --channel telegram --id 123456789
    passerelle agents list
    passerelle slots import slots.csv [--dry-run]
    passerelle slots list [--days 14]

The CSV format is documented in `bookings/slots.py` (and by `passerelle slots import
--help`). A file with any error imports nothing; every error names its line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path

import click
from sqlalchemy import select

from bookings.catalogue import Catalogue, CatalogueError, load_catalogue
from bookings.slots import read_csv
from bookings.store import BookingDesk
from bookings.views import PARIS
from bot.channels.registry import channel_names, platform
from bot.db import open_database
from bot.settings import Settings, SettingsError, get_settings
from bot.storage import PersonRow
from dialogs.state import Role

CHANNELS = channel_names()
#: `--channel web`: an account of the agents' workspace (`bot/workspace/cli.py`).
WEB = "web"
CSV_HELP = """\b
Columns (a header row first, in any order):
  service,place,date,start,end,capacity   required
  length                                  minutes per slot: start-end is cut in slots
  until,weekdays                          repeat weekly until a date (mo tu we th fr sa su)
Times are Paris time (HH:MM), dates YYYY-MM-DD. French public holidays are skipped
in weekly repeats. Example line:
  legal-aid,droits-urgence-pad-18,2026-12-01,09:00,12:00,1,30,2026-12-31,tu+th
"""


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        click.echo(f"passerelle: {error}", err=True)
        sys.exit(2)


def _catalogue(settings: Settings) -> Catalogue:
    return load_catalogue(settings.services_file) if settings.services_file else load_catalogue()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.group()
def agents() -> None:
    """Who runs bookings from chat (agent, admin) and who signs in to the workspace (web)."""


def _platform_id(channel: str, platform_id: str) -> str:
    value = platform_id.strip()
    found = platform(channel)
    if found is not None and found.numeric_ids and not value.lstrip("-").isdigit():
        raise click.BadParameter(f"a {found.label} id is a number", param_hint="--id")
    if not value or len(value) > 128:
        raise click.BadParameter("1 to 128 characters", param_hint="--id")
    return value


async def _set_role(settings: Settings, channel: str, platform_id: str, role: Role) -> bool:
    """Give the role; True when the person was new to Passerelle."""
    database = await open_database(settings.database_url)
    try:
        async with database.write_sessions() as session, session.begin():
            row = await session.scalar(
                select(PersonRow).where(
                    PersonRow.channel == channel, PersonRow.platform_id == platform_id
                )
            )
            created = row is None
            if row is None:
                row = PersonRow(channel=channel, platform_id=platform_id, consents={})
                session.add(row)
            row.role = role.value
            return created
    finally:
        await database.close()


@agents.command("add")
@click.option("--channel", type=click.Choice([*CHANNELS, WEB]), required=True)
@click.option(
    "--id", "platform_id", required=True, help="The person's id on that channel (web: email)."
)
@click.option(
    "--role",
    type=click.Choice([Role.AGENT.value, "editor", Role.ADMIN.value]),
    default=Role.AGENT.value,
)
def agents_add(channel: str, platform_id: str, role: str) -> None:
    """Let a person run bookings from chat (/today, /confirm...), or give them a workspace
    account (--channel web: prints a one-time sign-in link)."""
    settings = _settings()
    if channel == WEB:
        from bot.workspace.cli import add_web

        add_web(settings, platform_id, role)
        return
    if role == "editor":
        raise click.BadParameter("editor is a workspace role (--channel web)", param_hint="--role")
    platform_id = _platform_id(channel, platform_id)
    created = asyncio.run(_set_role(settings, channel, platform_id, Role(role)))
    note = " (they have not written to Passerelle yet)" if created else ""
    click.echo(f"{channel} {platform_id} is now {role}{note}")


@agents.command("remove")
@click.option("--channel", type=click.Choice([*CHANNELS, WEB]), required=True)
@click.option("--id", "platform_id", required=True)
def agents_remove(channel: str, platform_id: str) -> None:
    """Take the agent or admin role back (web: remove the workspace account)."""
    settings = _settings()
    if channel == WEB:
        from bot.workspace.cli import remove_web

        remove_web(settings, platform_id)
        return
    platform_id = _platform_id(channel, platform_id)
    asyncio.run(_set_role(settings, channel, platform_id, Role.PERSON))
    click.echo(f"{channel} {platform_id} is now {Role.PERSON.value}")


@agents.command("list")
def agents_list() -> None:
    """Who has the agent or admin role."""
    settings = _settings()

    async def listed() -> list[tuple[str, str, str]]:
        database = await open_database(settings.database_url)
        try:
            async with database.sessions() as session:
                rows = await session.execute(
                    select(PersonRow.channel, PersonRow.platform_id, PersonRow.role)
                    .where(PersonRow.role.in_([Role.AGENT.value, Role.ADMIN.value]))
                    .order_by(PersonRow.channel, PersonRow.platform_id)
                )
                return [(channel, platform_id, role) for channel, platform_id, role in rows]
        finally:
            await database.close()

    from bot.workspace.cli import list_web

    found = asyncio.run(listed())
    for account in list_web(settings):
        found.append((WEB, account.email, account.role.value))
    for channel, platform_id, role in found:
        click.echo(f"{channel}\t{platform_id}\t{role}")
    if not found:
        click.echo("nobody has the agent or admin role")


@click.group()
def slots() -> None:
    """Appointment slots: import them in bulk, list those ahead."""


@slots.command("import", epilog=CSV_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and count the slots only.")
def slots_import(file: Path, dry_run: bool) -> None:
    """Open the slots listed in FILE (CSV); nothing is imported if a line is wrong."""
    settings = _settings()
    try:
        catalogue = _catalogue(settings)
    except CatalogueError as error:
        raise click.ClickException(str(error)) from None
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file.name}: not UTF-8 text") from None
    now = _now()
    planned = read_csv(text, catalogue, now)
    if planned.errors:
        for problem in planned.errors:
            click.echo(f"{file.name}: {problem}", err=True)
        raise click.ClickException(f"{len(planned.errors)} error(s): nothing was imported")
    if dry_run:
        click.echo(f"{len(planned.plans)} slot(s) would be opened")
        return

    async def store() -> tuple[int, int]:
        database = await open_database(settings.database_url)
        try:
            desk = BookingDesk(catalogue, database.write_sessions)
            await desk.sync_services(now)
            async with desk.unit() as unit:
                added = await unit.add_slots(planned.plans, by=f"import:{file.name}", now=now)
            return len(added.created), added.unchanged
        finally:
            await database.close()

    created, unchanged = asyncio.run(store())
    click.echo(f"{created} slot(s) opened, {unchanged} already there")


@slots.command("list")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 366))
def slots_list(days: int) -> None:
    """Open slots from now on, with their booked seats."""
    settings = _settings()
    now = _now()

    async def listed() -> list[str]:
        database = await open_database(settings.database_url)
        try:
            desk = BookingDesk(_catalogue(settings), database.write_sessions)
            async with desk.unit() as unit:
                found = await unit.slots_between(now, now + dt.timedelta(days=days))
        finally:
            await database.close()
        return [
            f"{slot.id}\t{slot.starts_at.astimezone(PARIS):%Y-%m-%d %H:%M}\t"
            f"{slot.service_id}\t{slot.place_id}\t{slot.booked}/{slot.capacity}"
            for slot in found
        ]

    lines = asyncio.run(listed())
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no open slot")
