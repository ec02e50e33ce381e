"""Helpers every channel may use: a bounded recent-keys mapping, per-key lanes of jobs, and
batched "sent" marks for the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from bot.storage import Outbox

__all__ = [
    "Lanes",
    "Recent",
    "SentMarks",
]

K = TypeVar("K")
V = TypeVar("V")
J = TypeVar("J")


class Recent(Generic[K, V]):
    """A bounded mapping that forgets the least recently written keys."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)


class Lanes(Generic[J]):
    """Jobs of one key run one after another; jobs of different keys run side by side."""

    def __init__(self, run: Callable[[J], Awaitable[None]], channel: str) -> None:
        self._run = run
        #: Logs go to the channel's logger, with its name in the event.
        self._channel = channel
        self._log = logging.getLogger(f"passerelle.{channel}")
        self._queues: dict[int, deque[J]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def push(self, key: int, job: J) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(job)
            return
        self._queues[key] = deque([job])
        task = asyncio.create_task(self._drain(key))
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)

    async def _drain(self, key: int) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue[0]
                try:
                    await self._run(job)
                except Exception as error:
                    self._log.error(
                        "%s.lane.job_failed error=%s", self._channel, type(error).__name__
                    )
                queue.popleft()
        finally:
            del self._queues[key]

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def idle(self) -> None:
        await self._idle.wait()

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task


class SentMarks:
    """Marks outbox ids sent, many at once: one transaction for all that piled up meanwhile.

    The first mark waits `gather` seconds for others: under load one write then serves
    dozens of messages. A crash inside that moment only means those few replies are sent
    again at restart (the outbox retrier), never that one is lost.
    """

    def __init__(self, outbox: Outbox, channel: str, gather: float = 0.2) -> None:
        self.outbox = outbox
        self._channel = channel
        self._log = logging.getLogger(f"passerelle.{channel}")
        self.gather = gather
        self._ids: list[int] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, ids: Iterable[int]) -> None:
        self._ids.extend(ids)
        if self._ids and self._task is None:
            self._task = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        failures = 0
        try:
            await asyncio.sleep(self.gather)
            while self._ids:
                batch, self._ids = self._ids, []
                try:
                    await self.outbox.mark_sent(batch)
                    failures = 0
                except Exception as error:
                    failures += 1
                    self._log.error(
                        "%s.outbox.mark_sent_failed count=%d error=%s",
                        self._channel,
                        len(batch),
                        type(error).__name__,
                    )
                    self._ids[:0] = batch
                    await asyncio.sleep(min(2.0**failures, 30.0))
        finally:
            self._task = None

    async def drain(self) -> None:
        while self._task is not None:
            await asyncio.shield(self._task)
