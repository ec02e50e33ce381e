"""The channel table: every platform Passerelle can run on, in one place.

A platform is a package under `bot/channels/` exposing `build(app, *, webhook)`, and one
line in `PLATFORMS`: its name, whether its settings are present, whether it can run
without webhooks (`passerelle run`), and what its ids look like (`passerelle agents`).
Its package is imported only when it is configured, so a process that runs none of them
never loads a platform library. Its tables, if it has any, are in `bot/storage/`.

`running` is the one lifecycle of started channels, for `passerelle run` and
`passerelle serve` alike: start them, their outbox retriers, the job runner and the
workspace's courier (agents' replies, crisis notices, the digest); stop them in the
reverse order, sending what is being sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.app import App
from bot.channels.base import Channel, OutboxRetrier
from bot.jobs import job_runner
from bot.settings import Settings
from bot.workspace.courier import Courier

__all__ = [
    "CONSOLE",
    "PLATFORMS",
    "Platform",
    "build_channels",
    "channel_names",
    "configured",
    "platform",
    "running",
    "until_closed",
]

log = logging.getLogger("passerelle.channels")

#: The terminal channel (`passerelle chat`): always there, in no table (it needs no settings).
CONSOLE = "console"


@dataclass(frozen=True)
class Platform:
    #: The channel's name, as people rows and outbox rows keep it.
    name: str
    #: Its package under `bot/channels/`; `build(app, *, webhook)` makes the channel.
    package: str
    #: Its settings are present.
    configured: Callable[[Settings], bool]
    #: It can run without a public URL (long polling): `passerelle run` runs it.
    polls: bool = False
    #: Its ids are numbers (checked by `passerelle agents`); the label names it in errors.
    numeric_ids: bool = False
    label: str = ""

    def build(self, app: App, *, webhook: bool) -> Channel:
        module = importlib.import_module(self.package)
        channel: Channel = module.build(app, webhook=webhook)
        return channel


PLATFORMS: tuple[Platform, ...] = (
    Platform(
        "telegram",
        "bot.channels.telegram",
        lambda settings: bool(settings.telegram_token),
        polls=True,
        numeric_ids=True,
        label="Telegram",
    ),
    Platform(
        "whatsapp",
        "bot.channels.whatsapp",
        lambda settings: bool(settings.whatsapp_token and settings.whatsapp_phone_number_id),
        label="WhatsApp",
    ),
)


def channel_names() -> tuple[str, ...]:
    """Every channel a person may be on: the platforms, then the terminal."""
    return (*(entry.name for entry in PLATFORMS), CONSOLE)


def platform(name: str) -> Platform | None:
    return next((entry for entry in PLATFORMS if entry.name == name), None)


def configured(settings: Settings, *, polling: bool = False) -> list[Platform]:
    """The platforms whose settings are present (`polling`: only those that can poll)."""
    return [
        entry for entry in PLATFORMS if entry.configured(settings) and (entry.polls or not polling)
    ]


def build_channels(app: App, *, webhook: bool) -> list[Channel]:
    """The configured channels: every one for webhooks, those that can poll otherwise."""
    return [
        entry.build(app, webhook=webhook) for entry in configured(app.settings, polling=not webhook)
    ]


@runtime_checkable
class Polling(Protocol):
    async def wait_closed(self) -> None:
        """Until the channel is stopped, or gives up (then it raises)."""
        ...


async def until_closed(channels: Sequence[Channel]) -> None:
    """Until one of the polling channels is closed (or fails: then it raises)."""
    waiters = [
        asyncio.ensure_future(channel.wait_closed())
        for channel in channels
        if isinstance(channel, Polling)
    ]
    if not waiters:
        raise ValueError("no channel polls")
    try:
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    for finished in done:
        finished.result()


def healthy(channels: Sequence[Channel]) -> bool:
    """Whether every channel works (a channel without the notion is taken as healthy)."""
    return all(getattr(channel, "healthy", True) for channel in channels)


async def _keep_health_file(app: App, channels: Sequence[Channel]) -> None:
    """Touch `PASSERELLE_HEALTH_FILE` every few seconds while every channel is healthy:
    `passerelle health` (a container's health check) reads its age."""
    path = app.settings.health_file
    if path is None:
        return
    while True:
        if healthy(channels):
            try:
                path.touch()
            except OSError as error:
                log.error("health.file_failed error=%s", type(error).__name__)
        else:
            log.warning("health.unhealthy")
        await asyncio.sleep(HEALTH_EVERY)


#: Seconds between touches of the health file; `passerelle health` allows three.
HEALTH_EVERY = 5.0


@asynccontextmanager
async def running(
    app: App, channels: Sequence[Channel], *, courier: Courier | None = None
) -> AsyncIterator[None]:
    """Channels started with their outbox retriers, the job runner and the workspace's
    courier (`courier`: the one the web server's workspace pages use), stopped on exit."""
    retriers = [
        OutboxRetrier(
            app.outbox,
            channel,
            processed_window=app.settings.processed_window(channel.name),
        )
        for channel in channels
    ]
    runner = job_runner(app, list(channels))
    courier = courier or Courier(app, channels)
    try:
        for channel in channels:
            await channel.start()
        for retrier in retriers:
            retrier.start()
        runner.start()
        courier.start()
        health = asyncio.create_task(_keep_health_file(app, channels))
        log.info("channels.started count=%d", len(channels))
        try:
            yield
        finally:
            health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await health
    finally:
        await courier.stop()
        await runner.stop()
        for retrier in retriers:
            await retrier.stop()
        for channel in channels:
            await channel.stop()
        try:
            # What was claimed and not sent goes back at once, not after a lease.
            await app.outbox.release()
        except Exception as error:
            log.error("outbox.release_failed error=%s", type(error).__name__)
