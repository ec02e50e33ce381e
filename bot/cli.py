"""`passerelle`: chat in the terminal, run the bot, manage the database and the knowledge base."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import click

from bot.settings import Settings, SettingsError, get_settings

log = logging.getLogger("passerelle.cli")


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        click.echo(f"passerelle: {error}", err=True)
        sys.exit(2)


def _logging(settings: Settings, quiet: bool = False) -> None:
    named: int = logging.getLevelNamesMapping()[settings.log_level]
    level = logging.WARNING if quiet and named == logging.INFO else named
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        from bot.operations import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    # Database drivers log statement parameters (message texts, phone numbers) when verbose.
    for noisy in ("aiosqlite", "sqlalchemy", "asyncpg", "httpx", "httpcore", "telegram", "bm25s"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, level))


@click.group()
def cli() -> None:
    """Passerelle: rights, French courses, documents and appointments, in your language."""


@cli.command()
@click.option("--user", default="local", show_default=True, help="Who you are in this chat.")
@click.option("--lang", default=None, help="Start directly in this language (e.g. ar).")
@click.option(
    "--downloads",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/downloads"),
    show_default=True,
    help="Where files sent by the bot (calendar files...) are saved.",
)
def chat(user: str, lang: str | None, downloads: Path) -> None:
    """Talk to Passerelle in this terminal."""
    settings = _settings()
    _logging(settings, quiet=True)
    asyncio.run(_chat(settings, user, lang, downloads))


async def _chat(settings: Settings, user: str, lang: str | None, downloads: Path) -> None:
    from bot.app import build_app
    from bot.channels.console import ConsoleChannel, ConsoleSender
    from bot.jobs import job_runner
    from bot.workspace.courier import ConsoleMailbox

    app = await build_app(settings)
    if lang is not None and lang not in app.catalogs:
        await app.close()
        raise click.BadParameter(
            f"{lang!r} is not a bundled language ({', '.join(app.catalogs.locales)})",
            param_hint="--lang",
        )
    console = ConsoleChannel(app, user=user, downloads=downloads)
    # Reminders and news about appointments, printed between the person's messages.
    runner = job_runner(app, [ConsoleSender(console)])
    runner.start()
    # Agents' replies from the workspace, likewise.
    mailbox = ConsoleMailbox(app, console)
    mailbox.start()
    try:
        await console.run(sys.stdin, lang=lang)
    finally:
        await mailbox.stop()
        await runner.stop()
        await app.close()


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the bot: on Telegram (long polling) when a token is set, else in this terminal."""
    from bot.channels.registry import configured

    settings = _settings()
    if not configured(settings, polling=True):
        ctx.invoke(chat)
        return
    _logging(settings)
    asyncio.run(_poll(settings))


async def _poll(settings: Settings) -> None:
    from bot.app import build_app, settle_for_serving
    from bot.channels.registry import build_channels, running, until_closed

    app = await build_app(settings)
    settle_for_serving()
    try:
        channels = build_channels(app, webhook=False)
        async with running(app, channels):
            await _until_stopped(until_closed(channels))
    finally:
        await app.close()


async def _until_stopped(closed: Coroutine[Any, Any, None]) -> None:
    """Until `closed` ends or the process is asked to stop (Ctrl-C, SIGTERM from a service
    manager): the caller then stops cleanly, sending what is being sent."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stopping.set)
    waiters = [asyncio.ensure_future(closed), asyncio.ensure_future(stopping.wait())]
    try:
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
    if stopping.is_set():
        log.info("passerelle.stopping")
    for finished in done:
        finished.result()


#: Longest wait, after SIGTERM, for the requests being answered (then they are cut).
REQUESTS_GRACE = 20


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Serve the webhooks (Telegram, WhatsApp), the agents' workspace, /healthz, /readyz, /metrics.

    One process (several workers: not yet). SIGTERM or Ctrl-C stops it cleanly: no new
    connection, the requests being answered are finished, then the channels finish what
    they are handling and sending, the job runner its pass, and it exits with status 0.
    """
    settings = _settings()
    _logging(settings)
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            """uvicorn's stop on SIGINT/SIGTERM, without raising the signal again at the
            end (that would kill the process after the clean stop, with status 143)."""
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, self._asked_to_stop, signum)
            try:
                yield
            finally:
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(signum)

        def _asked_to_stop(self, signum: int) -> None:
            if not self.should_exit:
                log.info("passerelle.stopping")
            self.handle_exit(signum, None)

    async def main() -> None:
        from bot.app import build_app, settle_for_serving
        from bot.channels.registry import build_channels
        from bot.web import build_web_app

        app = await build_app(settings)
        settle_for_serving()
        web = build_web_app(app, build_channels(app, webhook=True))
        click.echo(f"Agents' workspace: http://{host}:{port}/admin/")
        if settings.public_url:
            click.echo(f"  (public: {settings.public_url}/admin/)")
        # No access log: query strings carry tokens (webhook verification).
        config = uvicorn.Config(
            web,
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            access_log=False,
            timeout_graceful_shutdown=REQUESTS_GRACE,
            # In JSON mode uvicorn's own lines go through the same handler as ours.
            log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        )
        await Server(config).serve()
        log.info("passerelle.stopped")

    asyncio.run(main())


@cli.command()
def health() -> None:
    """Exit 0 when the running process is healthy (its health file is fresh), else 1."""
    import time

    from bot.channels.registry import HEALTH_EVERY

    settings = _settings()
    path = settings.health_file
    if path is None:
        raise click.ClickException("PASSERELLE_HEALTH_FILE is not set")
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        click.echo("unhealthy: no health file yet", err=True)
        raise SystemExit(1) from None
    if age > 3 * HEALTH_EVERY:
        click.echo(f"unhealthy: last seen healthy {age:.0f} s ago", err=True)
        raise SystemExit(1)
    click.echo("ok")


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the database schema."""
    settings = _settings()
    _logging(settings)

    async def upgrade() -> None:
        from bot.db import create_engine, migrate

        engine = create_engine(settings.database_url)
        try:
            await migrate(engine, settings.database_url, revision)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())
    click.echo(f"database at {revision}")


def _add_groups() -> None:
    """Command groups that live in their own modules."""
    from bot.cli_bookings import agents, slots
    from bot.cli_kb import kb
    from bot.cli_search import eval_command, search_command

    kb.add_command(search_command, "search")
    kb.add_command(eval_command, "eval")
    from bot.workspace.cli import agents_link, agents_reset

    agents.add_command(agents_reset)
    agents.add_command(agents_link)
    for group in (kb, agents, slots):
        cli.add_command(group)


_add_groups()


def main() -> None:
    cli(prog_name="passerelle")
