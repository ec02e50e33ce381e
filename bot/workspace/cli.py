"""`passerelle agents ...` for workspace accounts (`--channel web`):

    passerelle agents add --channel web --id EMAIL --role agent|editor|admin
    passerelle agents reset --id EMAIL
    passerelle agents link --id EMAIL --channel telegram --chat-id 123456789
    passerelle agents remove --channel web --id EMAIL
    passerelle agents list

`add` and `reset` print a one-time sign-in link, valid 24 hours, where the person sets a
password. `link` joins a chat identity to the account: it gets the account's role in chat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from bot.db import Database, open_database
from bot.settings import Settings
from bot.workspace import accounts
from bot.workspace.accounts import Account, AccountError, WorkspaceRole

T = TypeVar("T")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sign_in_link(settings: Settings, token: str) -> str:
    root = settings.public_url or "http://127.0.0.1:8080"
    return f"{root}/admin/welcome/{token}"


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        database = await open_database(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(run())
    except AccountError as error:
        raise click.ClickException(str(error)) from None


def _audit(database: Database, action: str, target: str) -> Awaitable[None]:
    from bot.workspace.inbox import audit_now

    return audit_now(database.write_sessions, None, f"cli.{action}", target)


def add_web(settings: Settings, email: str, role: str) -> None:
    async def work(database: Database) -> tuple[Account, str]:
        made = await accounts.add_account(
            database.write_sessions, email, WorkspaceRole(role), _now()
        )
        await _audit(database, "account.add", made[0].email)
        return made

    account, token = _run(settings, work)
    click.echo(f"{account.email} is now {account.role.value} in the workspace.")
    click.echo("One-time sign-in link (valid 24 hours), to set a password:")
    click.echo(sign_in_link(settings, token))


def remove_web(settings: Settings, email: str) -> None:
    async def work(database: Database) -> Account:
        removed = await accounts.remove_account(database.write_sessions, email)
        await _audit(database, "account.remove", removed.email)
        return removed

    account = _run(settings, work)
    click.echo(f"{account.email} has no workspace account any more")


def list_web(settings: Settings) -> list[Account]:
    async def work(database: Database) -> list[Account]:
        return await accounts.list_accounts(database.sessions)

    return _run(settings, work)


@click.command("reset")
@click.option("--id", "email", required=True, help="The account's email.")
def agents_reset(email: str) -> None:
    """A new one-time sign-in link; the old password and sessions stop working."""
    from bot.cli_bookings import _settings

    settings = _settings()

    async def work(database: Database) -> tuple[Account, str]:
        made = await accounts.reset_account(database.write_sessions, email, _now())
        await _audit(database, "account.reset", made[0].email)
        return made

    account, token = _run(settings, work)
    click.echo(f"New one-time sign-in link for {account.email} (valid 24 hours):")
    click.echo(sign_in_link(settings, token))


@click.command("link")
@click.option("--id", "email", required=True, help="The workspace account's email.")
@click.option(
    "--channel", type=click.Choice(["telegram", "whatsapp"]), required=True, help="The chat."
)
@click.option("--chat-id", "platform_id", required=True, help="The person's id on that chat.")
def agents_link(email: str, channel: str, platform_id: str) -> None:
    """Join a chat identity to a workspace account: one person, one role."""
    from bot.cli_bookings import _platform_id, _settings

    settings = _settings()
    platform_id = _platform_id(channel, platform_id)

    async def work(database: Database) -> Account:
        linked = await accounts.link_identity(database.write_sessions, email, channel, platform_id)
        await _audit(database, "account.link", f"{linked.email} {channel}")
        return linked

    account = _run(settings, work)
    click.echo(f"{channel} {platform_id} is linked to {account.email} ({account.role.value})")
