"""Helpers every channel may use: a bounded recent-keys mapping, per-key lanes of jobs, and
"sent" marks for the outbox, written together when they arrive together."""

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
    """Marks outbox ids sent as soon as each send is confirmed, many senders in one write.

    A chat's next message is sent only after its previous one is marked (`add` gives the
    future to await, `mark` awaits it), so a crash (kill -9 included) leaves at most the
    message just sent unmarked. Marks arriving while a write is on its way go together in the
    next one (a group commit): under load one write serves many chats, and nobody waits
    for a timer.
    """

    def __init__(self, outbox: Outbox, channel: str) -> None:
        self.outbox = outbox
        self._channel = channel
        self._log = logging.getLogger(f"passerelle.{channel}")
        self._waiting: list[tuple[list[int], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def mark(self, ids: Iterable[int]) -> None:
        """Until the ids are marked sent."""
        await asyncio.shield(self.add(ids))

    def add(self, ids: Iterable[int]) -> asyncio.Future[None]:
        """Mark the ids sent as soon as possible; the future is done once they are. A sender
        awaits it before its next message to the same person (so at most the message just
        sent is ever unmarked), not before answering the next one."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        marked = list(ids)
        if not marked:
            done.set_result(None)
            return done
        self._waiting.append((marked, done))
        if self._task is None:
            self._task = asyncio.create_task(self._flush())
        return done

    async def _flush(self) -> None:
        failures = 0
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                ids = [outbox_id for marked, _done in batch for outbox_id in marked]
                try:
                    await self.outbox.mark_sent(ids)
                except Exception as error:
                    # Sent, so never sent again by this process: the marks wait until the
                    # database takes them (the claim is renewed meanwhile).
                    failures += 1
                    self._log.error(
                        "%s.outbox.mark_sent_failed count=%d error=%s",
                        self._channel,
                        len(ids),
                        type(error).__name__,
                    )
                    self._waiting[:0] = batch
                    await asyncio.sleep(min(2.0**failures, 30.0))
                    continue
                failures = 0
                for _marked, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._task = None

    async def drain(self) -> None:
        while self._task is not None:
            await asyncio.shield(self._task)
