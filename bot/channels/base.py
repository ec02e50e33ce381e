"""What every channel adapter offers the runtime, and the outbox retry loop they share."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Protocol

from starlette.routing import BaseRoute

from bot.storage import Outbox
from dialogs.replies import Reply

log = logging.getLogger("passerelle.delivery")

DAY = 24 * 3600.0


class DeliveryError(Exception):
    """The platform refused or could not take a reply; `retry_after` in seconds if it said."""

    def __init__(self, reason: str, retry_after: float | None = None, permanent: bool = False):
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def routes(self) -> Sequence[BaseRoute]:
        """Webhook routes served by `passerelle serve` (may be empty)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        """Send replies to one person, in order; raise DeliveryError on failure."""
        ...


class OutboxRetrier:
    """Sends again what a channel failed to deliver; nothing queued is ever dropped."""

    def __init__(self, outbox: Outbox, channel: Channel, interval: float = 5.0) -> None:
        self.outbox = outbox
        self.channel = channel
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def run_once(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        # Only replies older than a moment: the live path is still sending the fresh ones.
        recent = now - dt.timedelta(seconds=30)
        pending = await self.outbox.pending(self.channel.name, now, older_than=recent)
        sent = 0
        for outbox_id, platform_id, reply in pending:
            if self._stopping.is_set():
                break  # what is being sent is finished; the rest waits for the next process
            try:
                await self.channel.deliver(platform_id, [reply])
            except DeliveryError as error:
                # A refusal that will not change soon is kept, and tried again much later.
                delay = DAY if error.permanent else (error.retry_after or 30.0)
                await self.outbox.mark_failed([outbox_id], now + dt.timedelta(seconds=delay))
                log.warning("outbox.retry_failed channel=%s", self.channel.name)
                continue
            await self.outbox.mark_sent([outbox_id])
            sent += 1
        return sent

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("outbox.loop_failed channel=%s", self.channel.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop())

    async def stop(self, grace: float = 10.0) -> None:
        """Let the reply being sent finish and be marked (a cut one would go twice), up to
        `grace` seconds; then stop."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            log.warning("outbox.stop.unfinished channel=%s", self.channel.name)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
