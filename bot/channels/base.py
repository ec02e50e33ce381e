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
    """A platform adapter. It may also offer `send_claimed(platform_id, [(outbox id,
    reply)]) -> int`: the retrier then hands it the replies it claimed, to send as the
    live path does (grouped, marked sent one message at a time); else it uses `deliver`
    one reply at a time."""

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
    """Sends what nobody holds any more, in each person's order; nothing queued is dropped.

    Every `interval` it claims the unsent replies that are due and free (a failed send
    whose time came, replies held behind another sender's, those of a process that died
    and whose lease ran out) and sends each person's in order, stopping at a person's
    first failure. Beside it, this process's claims are renewed every third of a lease:
    a flood wait or a held lane never lets another sender take them, and a killed
    process's claims come free one lease later. Once an hour it forgets the processed
    update ids older than the platform's redelivery window.
    """

    def __init__(
        self,
        outbox: Outbox,
        channel: Channel,
        interval: float = 2.0,
        *,
        processed_window: dt.timedelta = dt.timedelta(hours=48),
        prune_every: float = 3600.0,
    ) -> None:
        self.outbox = outbox
        self.channel = channel
        self.interval = interval
        self.processed_window = processed_window
        self.prune_every = prune_every
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._renewer: asyncio.Task[None] | None = None

    async def run_once(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        claimed = await self.outbox.claim(self.channel.name, now)
        people: dict[str, list[tuple[int, Reply]]] = {}
        for outbox_id, platform_id, reply in claimed:
            people.setdefault(platform_id, []).append((outbox_id, reply))
        sent = await asyncio.gather(
            *(self._send(platform_id, replies, now) for platform_id, replies in people.items())
        )
        return sum(sent)

    async def _send(
        self, platform_id: str, replies: Sequence[tuple[int, Reply]], now: dt.datetime
    ) -> int:
        """One person's replies, in order; the rest wait again after a passing failure."""
        send_claimed = getattr(self.channel, "send_claimed", None)
        if send_claimed is not None:
            # The channel sends them as its live path does: grouped, each marked sent
            # before the next, passing failures held, refusals given back.
            sent: int = await send_claimed(platform_id, replies)
            return sent
        sent = 0
        for index, (outbox_id, reply) in enumerate(replies):
            if self._stopping.is_set():
                break  # what is being sent is finished; the rest waits for the next process
            try:
                await self.channel.deliver(platform_id, [reply])
            except DeliveryError as error:
                log.warning("outbox.retry_failed channel=%s", self.channel.name)
                if error.permanent:
                    # A refusal that will not change soon: kept, tried much later, and
                    # holding none of the person's later replies.
                    retry_at = now + dt.timedelta(seconds=DAY)
                    await self.outbox.mark_failed([outbox_id], retry_at, permanent=True)
                    continue
                retry_at = now + dt.timedelta(seconds=error.retry_after or 30.0)
                await self.outbox.mark_failed([item for item, _ in replies[index:]], retry_at)
                break
            await self.outbox.mark_sent([outbox_id])
            sent += 1
        return sent

    async def prune(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        pruned = await self.outbox.prune_processed(self.channel.name, now - self.processed_window)
        if pruned:
            log.info("processed.pruned channel=%s count=%d", self.channel.name, pruned)
        return pruned

    async def _loop(self) -> None:
        pruned_at = -self.prune_every
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                await self.run_once()
                if loop.time() - pruned_at >= self.prune_every:
                    pruned_at = loop.time()
                    await self.prune()
            except Exception as error:
                log.error(
                    "outbox.loop_failed channel=%s error=%s",
                    self.channel.name,
                    type(error).__name__,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

    async def _renew(self) -> None:
        every = max(self.outbox.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            try:
                await self.outbox.renew(dt.datetime.now(dt.UTC))
            except Exception as error:
                log.error("outbox.renew_failed error=%s", type(error).__name__)

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop())
        self._renewer = asyncio.create_task(self._renew())

    async def stop(self, grace: float = 10.0) -> None:
        """Let the reply being sent finish and be marked (a cut one would go twice), up to
        `grace` seconds; then stop."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
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
