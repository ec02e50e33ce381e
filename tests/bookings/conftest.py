"""Bookings under a clock the test moves, with people, slots and a sender that records."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bookings.slots import SlotPlan
from bookings.store import BookingDesk
from bookings.views import PARIS, SlotView
from bot.app import App, build_app
from bot.jobs import JobRunner, job_runner
from bot.settings import Settings
from bot.storage import PersonRow
from dialogs.replies import Reply, text_of
from dialogs.state import Role
from tests.conftest import Chat

#: A Monday, well ahead of any real clock the code might read by mistake.
START = dt.datetime(2031, 3, 3, 8, 0, tzinfo=PARIS)


class Clock:
    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, value: dt.datetime) -> None:
        self.now = value.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def paris(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2031) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[App]:
    """The whole application, its engine on the test's clock."""
    application = await build_app(settings, clock=clock)
    try:
        yield application
    finally:
        await application.close()


@pytest.fixture
def desk(app: App) -> BookingDesk:
    found = app.bookings
    assert found is not None
    return found


async def person(app: App, platform_id: str, locale: str = "en", channel: str = "console") -> int:
    """A person as the engine would have made them, with a language chosen."""
    async with app.database.write_sessions() as session, session.begin():
        row = await session.scalar(
            select(PersonRow).where(
                PersonRow.channel == channel, PersonRow.platform_id == platform_id
            )
        )
        if row is None:
            row = PersonRow(channel=channel, platform_id=platform_id, consents={}, locale=locale)
            session.add(row)
            await session.flush()
        return row.id


async def grant(app: App, platform_id: str, role: Role, channel: str = "console") -> None:
    await person(app, platform_id, channel=channel)
    async with app.database.write_sessions() as session, session.begin():
        row = await session.scalar(
            select(PersonRow).where(
                PersonRow.channel == channel, PersonRow.platform_id == platform_id
            )
        )
        assert row is not None
        row.role = role.value


async def open_slots(
    desk: BookingDesk,
    clock: Clock,
    starts: Sequence[dt.datetime],
    *,
    service: str = "legal-aid",
    place: str = "droits-urgence-pad-18",
    capacity: int = 1,
    minutes: int = 30,
) -> list[SlotView]:
    plans = [
        SlotPlan(service, place, start, start + dt.timedelta(minutes=minutes), capacity)
        for start in starts
    ]
    async with desk.unit() as unit:
        added = await unit.add_slots(plans, by="test", now=clock())
    return list(added.created)


@dataclass
class Recorder:
    """A channel that keeps what it was asked to send, per person."""

    name: str = "console"
    sent: dict[str, list[list[Reply]]] = field(default_factory=dict)

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        self.sent.setdefault(platform_id, []).append(list(replies))

    def texts(self, platform_id: str) -> list[str]:
        return [
            "\n".join(text_of(reply) for reply in message)
            for message in self.sent.get(platform_id, [])
        ]


@dataclass
class TemplateNotifier:
    """A channel that chooses itself how to notify (like WhatsApp): records kind and params."""

    name: str = "whatsapp"
    notified: list[tuple[str, str, str, dict[str, str], list[Reply]]] = field(default_factory=list)

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        raise AssertionError("a notifier is asked to notify, not to deliver")

    async def notify(
        self,
        platform_id: str,
        kind: str,
        locale: str,
        params: Mapping[str, str],
        replies: Sequence[Reply] = (),
    ) -> None:
        self.notified.append((platform_id, kind, locale, dict(params), list(replies)))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def runner(app: App, recorder: Recorder) -> JobRunner:
    return job_runner(app, [recorder])


async def start_chat(app: App, user: str, locale: str = "en") -> Chat:
    chat = Chat(app, user=user)
    await chat.say("/start")
    await chat.choose(f"lang:{locale}")
    return chat
