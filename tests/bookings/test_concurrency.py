"""No slot is ever booked past its capacity: 200 tasks at once for 10 places, on SQLite
(a file, as in production) and on PostgreSQL (127.0.0.1:5432, skipped if absent)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bookings.models import BookingRow
from bookings.states import InvalidTransition
from bookings.store import BookingDesk, Refusal, Refused
from bookings.views import Contact
from bot.app import App, build_app
from bot.settings import Settings
from dialogs.incoming import Incoming, Pressed
from tests.bookings.conftest import Clock, open_slots, paris, person, start_chat

TASKS = 200
PLACES = 10


@pytest.fixture
async def postgres_app(postgres_url: str, clock: Clock) -> AsyncIterator[App]:
    application = await build_app(Settings(database_url=postgres_url, _env_file=None), clock=clock)
    try:
        yield application
    finally:
        await application.close()


async def _race(app: App, clock: Clock) -> None:
    desk = app.bookings
    assert isinstance(desk, BookingDesk)
    [slot] = await open_slots(desk, clock, [paris(10, 9)], capacity=PLACES)
    people = [await person(app, f"racer-{n}") for n in range(TASKS)]
    start = asyncio.Event()

    async def attempt(person_id: int) -> str:
        await start.wait()
        try:
            async with desk.unit() as unit:
                booked = await unit.request(
                    person_id=person_id,
                    locale="en",
                    service_id="legal-aid",
                    request_key="go",
                    now=clock(),
                    slot_id=slot.id,
                )
        except Refused as refused:
            return refused.reason.value
        return "booked" if booked.created else "again"

    tasks = [asyncio.create_task(attempt(person_id)) for person_id in people]
    start.set()
    outcomes = Counter(await asyncio.gather(*tasks))
    assert outcomes == {"booked": PLACES, Refusal.FULL.value: TASKS - PLACES}
    async with desk.unit() as unit:
        final = await unit.slot(slot.id)
    assert final is not None and final.booked == PLACES
    async with app.database.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(BookingRow).where(BookingRow.slot_id == slot.id)
        )
    assert count == PLACES


async def test_capacity_holds_under_200_concurrent_requests_on_sqlite(
    app: App, clock: Clock
) -> None:
    await _race(app, clock)


async def test_capacity_holds_under_200_concurrent_requests_on_postgresql(
    postgres_app: App, clock: Clock
) -> None:
    await _race(postgres_app, clock)


async def _double_press(app: App, clock: Clock) -> None:
    """The same request sent by many tasks at once (presses, redeliveries) books once."""
    desk = app.bookings
    assert isinstance(desk, BookingDesk)
    [slot] = await open_slots(desk, clock, [paris(10, 9)], capacity=PLACES)
    who = await person(app, "presser")

    async def press() -> bool:
        async with desk.unit() as unit:
            booked = await unit.request(
                person_id=who,
                locale="en",
                service_id="legal-aid",
                request_key="one-press",
                now=clock(),
                slot_id=slot.id,
            )
        return booked.created

    created = await asyncio.gather(*(press() for _ in range(20)))
    assert created.count(True) == 1
    async with desk.unit() as unit:
        assert (await unit.slot(slot.id)).booked == 1  # type: ignore[union-attr]


async def test_a_press_repeated_at_once_books_once_on_sqlite(app: App, clock: Clock) -> None:
    await _double_press(app, clock)


async def test_a_press_repeated_at_once_books_once_on_postgresql(
    postgres_app: App, clock: Clock
) -> None:
    await _double_press(postgres_app, clock)


async def test_200_people_pressing_confirm_through_the_engine_get_10_places(
    app: App, clock: Clock
) -> None:
    """The same race through the whole way of a message: one transaction per update."""
    desk = app.bookings
    assert isinstance(desk, BookingDesk)
    [slot] = await open_slots(desk, clock, [paris(10, 9)], capacity=PLACES)

    async def reviewed(n: int) -> Incoming:
        chat = await start_chat(app, f"chatter-{n}")
        # The time button as the time step shows it (an earlier button acts at its step).
        chat.channel.numbers["99"] = f"bk-time:{slot.id}"
        await chat.say("99")
        [ok] = [option for option in chat.option_ids() if option.startswith("bk-review:ok.")]
        return Incoming("console", f"chatter-{n}", f"confirm-{n}", Pressed(ok))

    # One after the other: 200 terminals at once would only measure SQLite's lock queue.
    confirms = [await reviewed(n) for n in range(TASKS)]
    handled = await asyncio.gather(*(app.engine.handle(incoming) for incoming in confirms))
    assert all(not h.duplicate and h.replies for h in handled)
    async with desk.unit() as unit:
        assert (await unit.slot(slot.id)).booked == PLACES  # type: ignore[union-attr]
    async with app.database.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(BookingRow))
    assert count == PLACES


async def _two_agents(app: App, clock: Clock) -> None:
    """Confirm and decline pressed by two agents at the same moment: one decision stands."""
    desk = app.bookings
    assert isinstance(desk, BookingDesk)
    [slot] = await open_slots(
        desk, clock, [paris(10, 9)], service="mental-health", place="centre-primo-levi"
    )
    who = await person(app, "patient")
    async with desk.unit() as unit:
        booked = await unit.request(
            person_id=who,
            locale="en",
            service_id="mental-health",
            request_key="k",
            now=clock(),
            slot_id=slot.id,
            contact=Contact(phone="0600000000"),
        )
    reference = booked.booking.reference

    async def act(action: str) -> str:
        try:
            async with desk.unit() as unit:
                if action == "confirm":
                    await unit.confirm(reference, by="agent:1", now=clock())
                else:
                    await unit.decline(reference, by="agent:2", now=clock(), reason="no")
        except InvalidTransition:
            return "refused"
        return action

    outcomes = sorted(await asyncio.gather(*(act(a) for a in ["confirm", "decline"] * 5)))
    assert outcomes.count("refused") == 9
    async with desk.unit() as unit:
        history = await unit.history(reference)
        final = await unit.slot(slot.id)
    assert [event.action.value for event in history][1:] in (["confirm"], ["decline"])
    assert final is not None and final.booked == (1 if history[-1].action.value == "confirm" else 0)


async def test_two_agents_at_once_on_sqlite(app: App, clock: Clock) -> None:
    await _two_agents(app, clock)


async def test_two_agents_at_once_on_postgresql(postgres_app: App, clock: Clock) -> None:
    await _two_agents(postgres_app, clock)
