"""Stopping the process (SIGTERM) lets the job runner and the outbox retrier finish the
send they are in: cut in the middle, it would go a second time after the restart."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update
from starlette.routing import BaseRoute

from bookings.models import NotificationRow
from bookings.store import BookingDesk
from bot.app import App
from bot.channels.base import OutboxRetrier
from bot.jobs import job_runner
from bot.storage import OutboxRow
from dialogs.replies import Reply, Text
from tests.bookings.conftest import Clock, paris
from tests.bookings.test_notifications import _booked


@dataclass
class SlowChannel:
    """A channel whose sends take a moment; says when one has begun."""

    name: str = "console"
    begun: asyncio.Event = field(default_factory=asyncio.Event)
    sent: list[tuple[str, list[Reply]]] = field(default_factory=list)

    def routes(self) -> Sequence[BaseRoute]:
        return []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        self.begun.set()
        await asyncio.sleep(0.5)
        self.sent.append((platform_id, list(replies)))


async def test_the_job_runner_finishes_the_notification_it_is_sending(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    await _booked(app, desk, clock, "ana", "en")
    clock.set(paris(9, 14, 0))  # the day-before reminder is due
    channel = SlowChannel()
    runner = job_runner(app, [channel], interval=0.05)
    runner.start()
    await asyncio.wait_for(channel.begun.wait(), 10)
    await runner.stop()
    assert [who for who, _replies in channel.sent] == ["ana"]
    async with app.database.sessions() as session:
        rows = (await session.scalars(select(NotificationRow))).all()
    sent = [row for row in rows if row.sent_at is not None]
    assert len(sent) == 1 and sent[0].claimed_until is None


async def test_the_outbox_retrier_finishes_the_reply_it_is_sending(app: App) -> None:
    [outbox_id] = await app.outbox.queue("console", "ana", "u-1", [Text("…")]) or [0]
    # Left by a sender whose lease ran out: the retrier's to send.
    async with app.database.write_sessions() as session, session.begin():
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id)
            .values(
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
                claimed_by=None,
                claimed_until=None,
            )
        )
    channel = SlowChannel()
    retrier = OutboxRetrier(app.outbox, channel, interval=0.05)
    retrier.start()
    await asyncio.wait_for(channel.begun.wait(), 10)
    await retrier.stop()
    assert [who for who, _replies in channel.sent] == ["ana"]
    assert await app.outbox.pending("console", dt.datetime.now(dt.UTC)) == []
