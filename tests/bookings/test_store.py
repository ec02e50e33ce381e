"""The booking desk: every transition with who and when, seats, the rules people rely on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bookings.catalogue import parse_catalogue
from bookings.models import ContactRow, NotificationRow
from bookings.notices import NoticeKind
from bookings.states import TRANSITIONS, Action, InvalidTransition, Status, after, allowed
from bookings.store import PERSON, SYSTEM, BookingDesk, Refusal, Refused, agent_actor
from bookings.views import Contact
from bot.app import App
from tests.bookings.conftest import Clock, open_slots, paris, person
from tests.conftest import TEST_SERVICES

AGENT = agent_actor(999)


def test_the_state_machine_is_the_documented_one() -> None:
    assert allowed(Status.REQUESTED) == {Action.CONFIRM, Action.DECLINE, Action.CANCEL, Action.MOVE}
    assert allowed(Status.CONFIRMED) == {Action.CANCEL, Action.ATTEND, Action.NO_SHOW, Action.MOVE}
    for closed in (Status.DECLINED, Status.CANCELLED, Status.ATTENDED, Status.NO_SHOW):
        assert allowed(closed) == frozenset()
        with pytest.raises(InvalidTransition):
            after(closed, Action.CANCEL)
    assert len(TRANSITIONS) == 8


async def _book(
    desk: BookingDesk, clock: Clock, person_id: int, slot_id: int | None, service: str, key: str
) -> str:
    async with desk.unit() as unit:
        booked = await unit.request(
            person_id=person_id,
            locale="en",
            service_id=service,
            request_key=key,
            now=clock(),
            slot_id=slot_id,
            contact=Contact(phone="+33612345678") if service == "mental-health" else None,
        )
    return booked.booking.reference


async def _history(desk: BookingDesk, reference: str) -> list[tuple[str, str | None, str, str]]:
    async with desk.unit() as unit:
        events = await unit.history(reference)
    return [
        (e.action.value, e.from_status.value if e.from_status else None, e.to_status.value, e.by)
        for e in events
    ]


async def test_every_transition_is_recorded_with_who_and_when(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    """requested → confirmed → attended; → declined; → cancelled; confirmed → no-show, moved."""
    alice = await person(app, "alice")
    slots = await open_slots(
        desk,
        clock,
        [paris(10, 9), paris(10, 10), paris(11, 9), paris(12, 9), paris(13, 9)],
        service="mental-health",
        place="centre-primo-levi",
        capacity=5,
    )
    # mental-health is confirmed by an agent: a booking starts `requested`.
    first = await _book(desk, clock, alice, slots[0].id, "mental-health", "k1")
    async with desk.unit() as unit:
        await unit.confirm(first, by=AGENT, now=clock())
        await unit.move(first, slots[1].id, by=AGENT, now=clock())
    clock.set(paris(10, 10, 5))
    async with desk.unit() as unit:
        attended = await unit.attended(first, by=AGENT, now=clock())
    assert attended.status is Status.ATTENDED
    assert await _history(desk, first) == [
        ("request", None, "requested", PERSON),
        ("confirm", "requested", "confirmed", AGENT),
        ("move", "confirmed", "confirmed", AGENT),
        ("attend", "confirmed", "attended", AGENT),
    ]
    async with desk.unit() as unit:
        events = await unit.history(first)
    assert events[-1].at == clock()
    assert "moved from" in (events[2].note or "")

    second = await _book(desk, clock, alice, slots[2].id, "mental-health", "k2")
    async with desk.unit() as unit:
        declined = await unit.decline(second, by=AGENT, now=clock(), reason="full this week")
    assert declined.status is Status.DECLINED
    assert (await _history(desk, second))[-1] == ("decline", "requested", "declined", AGENT)

    third = await _book(desk, clock, alice, slots[3].id, "mental-health", "k3")
    async with desk.unit() as unit:
        await unit.cancel(third, by=PERSON, now=clock(), person_id=alice)
    assert (await _history(desk, third))[-1] == ("cancel", "requested", "cancelled", PERSON)

    fourth = await _book(desk, clock, alice, slots[4].id, "mental-health", "k4")
    async with desk.unit() as unit:
        await unit.confirm(fourth, by=AGENT, now=clock())
    clock.set(paris(13, 12))
    async with desk.unit() as unit:
        missed = await unit.no_show(fourth, by=AGENT, now=clock())
        with pytest.raises(InvalidTransition):
            await unit.cancel(fourth, by=AGENT, now=clock())
    assert missed.status is Status.NO_SHOW
    assert (await _history(desk, fourth))[-1] == ("no_show", "confirmed", "no_show", AGENT)


async def test_a_service_confirmed_at_once_records_the_system_confirmation(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    bob = await person(app, "bob")
    [slot] = await open_slots(desk, clock, [paris(10, 14)])
    reference = await _book(desk, clock, bob, slot.id, "legal-aid", "k")
    assert await _history(desk, reference) == [
        ("request", None, "requested", PERSON),
        ("confirm", "requested", "confirmed", SYSTEM),
    ]


async def test_a_request_gets_its_time_from_the_agent(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    carol = await person(app, "carol")
    async with desk.unit() as unit:
        booked = await unit.request(
            person_id=carol, locale="en", service_id="ame-help", request_key="k", now=clock()
        )
        assert booked.booking.starts_at is None
        with pytest.raises(Refused) as no_time:
            await unit.confirm(booked.booking.reference, by=AGENT, now=clock())
        assert no_time.value.reason is Refusal.NEEDS_TIME
        with pytest.raises(Refused) as past:
            await unit.confirm(
                booked.booking.reference, by=AGENT, now=clock(), starts_at=paris(1, 10)
            )
        assert past.value.reason is Refusal.PAST
        with pytest.raises(Refused) as nowhere:
            await unit.confirm(
                booked.booking.reference, by=AGENT, now=clock(), starts_at=paris(12, 11)
            )
        assert nowhere.value.reason is Refusal.NEEDS_PLACE
        confirmed = await unit.confirm(
            booked.booking.reference,
            by=AGENT,
            now=clock(),
            starts_at=paris(12, 11),
            minutes=45,
            place_text="CPAM de Paris, accueil",
        )
        assert confirmed.starts_at == paris(12, 11)
        assert confirmed.place_text == "CPAM de Paris, accueil"
        assert confirmed.ends_at == paris(12, 11, 45)
        moved = await unit.retime(booked.booking.reference, paris(13, 15), by=AGENT, now=clock())
        assert moved.starts_at == paris(13, 15) and moved.sequence == 1
    # Told of the confirmation and of the move; reminders for each time (the first voided).
    assert sorted(await _notice_kinds(app)) == sorted(
        [
            NoticeKind.CONFIRMED.value,
            NoticeKind.DAY_BEFORE.value,
            NoticeKind.TWO_HOURS.value,
            NoticeKind.DAY_BEFORE.value,
            NoticeKind.TWO_HOURS.value,
            NoticeKind.MOVED.value,
        ]
    )


async def _notice_kinds(app: App) -> list[str]:
    async with app.database.sessions() as session:
        rows = await session.scalars(select(NotificationRow).order_by(NotificationRow.id))
        return [row.kind for row in rows]


async def test_a_slot_in_the_past_cannot_be_booked(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    dan = await person(app, "dan")
    [slot] = await open_slots(desk, clock, [paris(3, 10)])
    clock.set(paris(3, 10, 1))
    with pytest.raises(Refused) as refused:
        await _book(desk, clock, dan, slot.id, "legal-aid", "k")
    assert refused.value.reason is Refusal.PAST
    async with desk.unit() as unit:
        assert (await unit.slot(slot.id)).booked == 0  # type: ignore[union-attr]


async def test_a_full_slot_refuses_and_a_cancelled_booking_frees_its_place(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    one, two = await person(app, "one"), await person(app, "two")
    [slot] = await open_slots(desk, clock, [paris(10, 9)])
    reference = await _book(desk, clock, one, slot.id, "legal-aid", "k")
    with pytest.raises(Refused) as full:
        await _book(desk, clock, two, slot.id, "legal-aid", "k")
    assert full.value.reason is Refusal.FULL
    async with desk.unit() as unit:
        await unit.cancel(reference, by=PERSON, now=clock(), person_id=one)
    assert await _book(desk, clock, two, slot.id, "legal-aid", "k")


async def test_one_open_booking_per_service_unless_the_service_allows_several(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    eve = await person(app, "eve")
    strict = app.bookings
    assert strict is not None
    slots = await open_slots(strict, clock, [paris(10, 9), paris(11, 9)])
    first = await _book(strict, clock, eve, slots[0].id, "legal-aid", "a")
    with pytest.raises(Refused) as refused:
        await _book(strict, clock, eve, slots[1].id, "legal-aid", "b")
    assert refused.value.reason is Refusal.ALREADY_BOOKED
    assert refused.value.booking is not None and refused.value.booking.reference == first

    text = TEST_SERVICES.read_text(encoding="utf-8")
    relaxed = BookingDesk(
        parse_catalogue(
            text.replace("confirmation: auto", "confirmation: auto\n    several: true")
        ),
        app.database.write_sessions,
    )
    second = await _book(relaxed, clock, eve, slots[1].id, "legal-aid", "b")
    assert second != first


async def test_the_same_request_twice_books_once(app: App, desk: BookingDesk, clock: Clock) -> None:
    fay = await person(app, "fay")
    [slot] = await open_slots(desk, clock, [paris(10, 9)], capacity=3)
    async with desk.unit() as unit:
        first = await unit.request(
            person_id=fay, locale="en", service_id="legal-aid", request_key="same",
            now=clock(), slot_id=slot.id,
        )  # fmt: skip
        again = await unit.request(
            person_id=fay, locale="en", service_id="legal-aid", request_key="same",
            now=clock(), slot_id=slot.id,
        )  # fmt: skip
    assert first.created and not again.created
    assert again.booking.reference == first.booking.reference
    async with desk.unit() as unit:
        assert (await unit.slot(slot.id)).booked == 1  # type: ignore[union-attr]


async def test_a_cancelled_slot_frees_its_places_and_tells_everyone(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    people = [await person(app, f"p{n}") for n in range(3)]
    [slot] = await open_slots(desk, clock, [paris(10, 9)], capacity=3)
    references = [await _book(desk, clock, who, slot.id, "legal-aid", "k") for who in people]
    async with desk.unit() as unit:
        cancelled = await unit.cancel_slot(slot.id, by=AGENT, now=clock(), reason="strike")
    assert {b.reference for b in cancelled.bookings} == set(references)
    assert cancelled.slot.booked == 0 and cancelled.slot.free == 0
    for reference in references:
        assert (await _history(desk, reference))[-1] == ("cancel", "confirmed", "cancelled", AGENT)
    async with app.database.sessions() as session:
        told = await session.scalars(
            select(NotificationRow.person_id).where(
                NotificationRow.kind == NoticeKind.SLOT_CANCELLED.value
            )
        )
        assert sorted(told) == sorted(people)
        pending_reminders = await session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(
                NotificationRow.kind.in_(["reminder_day_before", "reminder_two_hours"]),
                NotificationRow.voided_at.is_(None),
            )
        )
        assert pending_reminders == 0
    with pytest.raises(Refused) as refused:
        await _book(desk, clock, await person(app, "late"), slot.id, "legal-aid", "k")
    assert refused.value.reason is Refusal.SLOT_CANCELLED


async def test_moving_takes_the_new_seat_and_frees_the_old(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    gus = await person(app, "gus")
    old, new = await open_slots(desk, clock, [paris(10, 9), paris(10, 10)])
    reference = await _book(desk, clock, gus, old.id, "legal-aid", "k")
    async with desk.unit() as unit:
        moved = await unit.move(reference, new.id, by=PERSON, now=clock(), person_id=gus)
        again = await unit.move(reference, new.id, by=PERSON, now=clock(), person_id=gus)
        assert moved.slot_id == new.id and again.sequence == moved.sequence == 1
        assert (await unit.slot(old.id)).booked == 0  # type: ignore[union-attr]
        assert (await unit.slot(new.id)).booked == 1  # type: ignore[union-attr]


async def test_attendance_is_not_marked_before_the_day(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    hal = await person(app, "hal")
    [slot] = await open_slots(desk, clock, [paris(10, 9)])
    reference = await _book(desk, clock, hal, slot.id, "legal-aid", "k")
    async with desk.unit() as unit:
        with pytest.raises(Refused) as early:
            await unit.attended(reference, by=AGENT, now=clock())
    assert early.value.reason is Refusal.TOO_EARLY


async def test_contact_data_is_kept_apart_and_erased_when_the_retention_ends(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    ida = await person(app, "ida")
    [slot] = await open_slots(
        desk, clock, [paris(10, 9)], service="mental-health", place="centre-primo-levi"
    )
    async with desk.unit() as unit:
        with pytest.raises(Refused) as needs:
            await unit.request(
                person_id=ida, locale="en", service_id="mental-health", request_key="k",
                now=clock(), slot_id=slot.id,
            )  # fmt: skip
        assert needs.value.reason is Refusal.NEEDS_CONTACT
    reference = await _book(desk, clock, ida, slot.id, "mental-health", "k")
    async with desk.unit() as unit:
        booking = await unit.booking(reference)
        assert booking is not None
        assert await unit.contact(booking.id) == Contact(phone="+33612345678")
    # In UTC: 90 days of wall-clock time in Paris would cross the change to summer time.
    ends = paris(10, 9, 30).astimezone(dt.UTC)
    clock.set(ends + desk.rules.retention - dt.timedelta(minutes=1))
    async with desk.unit() as unit:
        assert await unit.erase_expired(clock()) == 0
    clock.advance(minutes=2)
    async with desk.unit() as unit:
        assert await unit.erase_expired(clock()) == 1
        assert await unit.contact(booking.id) is None
        assert (await unit.booking(reference)).person_id is None  # type: ignore[union-attr]
    async with app.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ContactRow)) == 0


async def test_forgetting_a_person_cancels_and_unlinks_their_bookings(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    jan = await person(app, "jan")
    [slot] = await open_slots(
        desk, clock, [paris(10, 9)], service="mental-health", place="centre-primo-levi"
    )
    reference = await _book(desk, clock, jan, slot.id, "mental-health", "k")
    async with app.engine.store.unit() as conversations:
        person_view = await conversations.person("console", "jan")
        await conversations.forget_person(person_view)
    async with desk.unit() as unit:
        booking = await unit.booking(reference)
        assert booking is not None
        assert booking.status is Status.CANCELLED and booking.person_id is None
        assert await unit.contact(booking.id) is None
        assert (await unit.slot(slot.id)).booked == 0  # type: ignore[union-attr]
