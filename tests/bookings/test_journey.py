"""The person's side, end to end through the terminal channel, read as transcripts."""

from __future__ import annotations

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bookings.models import ContactRow
from bookings.states import Status
from bookings.store import BookingDesk
from bot.app import App
from bot.storage import ConversationRow
from dialogs.catalog import build_registry
from dialogs.i18n import Catalogs
from dialogs.incoming import Incoming, Pressed
from dialogs.replies import Card, Media, text_of
from tests.bookings.conftest import Clock, open_slots, paris, start_chat
from tests.conftest import Chat

LOCALES = Catalogs().locales


def cards(chat: Chat) -> list[Card]:
    return [reply for reply in chat.last if isinstance(reply, Card)]


def reference_of(chat: Chat) -> str:
    mine = [i for i in chat.option_ids() if i.startswith("my-appts:") and i != "my-appts:book"]
    assert mine, chat.option_ids()
    return mine[0].split(":", 1)[1]


async def _choose_legal_aid(chat: Chat) -> None:
    await chat.say("/menu")
    await chat.choose("menu:appointments")
    await chat.choose("appts:s.legal-aid")
    await chat.choose("bk-place:legal-aid.droits-urgence-pad-18")


def test_the_menu_has_appointments_at_40() -> None:
    registry = build_registry()
    dialog = registry.dialogs["appointments"]
    assert dialog.order == 40 and dialog.icon == "📅" and dialog.menu_label == "Appointments"


@pytest.mark.parametrize("locale", LOCALES)
async def test_book_see_move_and_cancel_in_every_language(
    app: App, desk: BookingDesk, clock: Clock, locale: str
) -> None:
    first, second = await open_slots(desk, clock, [paris(10, 14), paris(10, 14, 30)])
    chat = await start_chat(app, f"p-{locale}", locale)
    await _choose_legal_aid(chat)
    await chat.choose("bk-day:d")
    await chat.choose(f"bk-time:{first.id}")
    await chat.choose("bk-review:ok.")
    [card] = cards(chat)
    [calendar] = [reply for reply in chat.last if isinstance(reply, Media)]
    assert calendar.filename and calendar.filename.endswith(".ics") and calendar.content
    event = Calendar.from_ical(calendar.content).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == paris(10, 14)
    t = app.catalogs.translator(locale)
    assert t.date(paris(10, 14).date(), "full") in card.body.replace("\u2066", "").replace(
        "\u2069", ""
    )

    await chat.choose("bk-done:mine")
    reference = reference_of(chat)
    assert reference in card.body
    await chat.choose(f"my-appts:{reference}")
    assert cards(chat) and reference in cards(chat)[0].body

    await chat.choose(f"my-appt:move.{reference}")
    await chat.choose("bk-day:d")
    await chat.choose(f"bk-time:{second.id}")
    await chat.choose("bk-review:ok.")
    async with desk.unit() as unit:
        moved = await unit.booking(reference)
        assert moved is not None and moved.slot_id == second.id
        assert (await unit.slot(first.id)).booked == 0  # type: ignore[union-attr]

    await chat.choose("bk-done:mine")
    await chat.choose(f"my-appts:{reference}")
    await chat.choose(f"my-appt:cancel.{reference}")
    answer = await chat.choose(f"my-cancel:yes.{reference}")
    assert reference in answer
    async with desk.unit() as unit:
        cancelled = await unit.booking(reference)
        assert cancelled is not None and cancelled.status is Status.CANCELLED
        assert (await unit.slot(second.id)).booked == 0  # type: ignore[union-attr]
    assert "nav:menu" in chat.option_ids()


async def test_pressing_confirm_twice_books_once(app: App, desk: BookingDesk, clock: Clock) -> None:
    [slot] = await open_slots(desk, clock, [paris(10, 14)], capacity=5)
    chat = await start_chat(app, "twice")
    await _choose_legal_aid(chat)
    await chat.choose("bk-day:d")
    await chat.choose(f"bk-time:{slot.id}")
    [confirm] = [i for i in chat.option_ids() if i.startswith("bk-review:ok.")]
    await chat.choose(confirm)
    again = await chat.channel.deliver(
        Incoming("console", "twice", "second-press", Pressed(confirm))
    )
    assert "This was already booked." in "\n".join(text_of(reply) for reply in again)
    async with desk.unit() as unit:
        assert (await unit.slot(slot.id)).booked == 1  # type: ignore[union-attr]


async def test_a_duplicate_delivery_of_the_press_books_once(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    [slot] = await open_slots(desk, clock, [paris(10, 14)], capacity=5)
    chat = await start_chat(app, "dup")
    await _choose_legal_aid(chat)
    await chat.choose("bk-day:d")
    await chat.choose(f"bk-time:{slot.id}")
    [confirm] = [i for i in chat.option_ids() if i.startswith("bk-review:ok.")]
    press = Incoming("console", "dup", "same-update", Pressed(confirm))
    first = await app.engine.handle(press)
    second = await app.engine.handle(press)
    assert first.replies and second.duplicate
    async with desk.unit() as unit:
        assert (await unit.slot(slot.id)).booked == 1  # type: ignore[union-attr]


async def test_a_phone_number_is_asked_only_when_needed_saying_why(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    [slot] = await open_slots(
        desk, clock, [paris(10, 14)], service="mental-health", place="centre-primo-levi"
    )
    chat = await start_chat(app, "phone")
    await chat.choose("menu:appointments")
    await chat.choose("appts:s.mental-health")
    await chat.choose("bk-place:mental-health.centre-primo-levi")
    await chat.choose("bk-day:d")
    review = await chat.choose(f"bk-time:{slot.id}")
    assert "The care team may need to call you" in review
    assert "erased 90 days after the appointment" in review
    await chat.choose("bk-review:ok.")
    wrong = await chat.say("call me maybe")
    assert "does not look like a phone number" in wrong
    await chat.say("06 12 34 56 78")
    [card] = cards(chat)
    assert card.title == "⏳ Appointment requested", "an agent confirms mental-health"
    async with app.database.sessions() as session:
        contact = await session.scalar(select(ContactRow))
        assert contact is not None and contact.phone == "0612345678" and contact.name is None
        states = (await session.scalars(select(ConversationRow.data))).all()
    assert all("0612345678" not in str(data) and "06 12" not in str(data) for data in states)

    [legal_slot] = await open_slots(desk, clock, [paris(11, 9)])
    legal = await start_chat(app, "no-phone")
    await _choose_legal_aid(legal)
    await legal.choose("bk-day:d")
    review = await legal.choose(f"bk-time:{legal_slot.id}")
    assert "phone" not in review and "name" not in review


async def test_one_can_refuse_to_give_a_name(app: App) -> None:
    chat = await start_chat(app, "shy")
    await chat.choose("menu:appointments")
    await chat.choose("appts:s.domiciliation")
    await chat.choose("bk-review:ok.")
    answer = await chat.choose("bk-contact:no")
    assert "Nothing was booked." in answer


async def test_a_request_only_service_says_an_agent_will_propose_a_time(
    app: App, desk: BookingDesk
) -> None:
    chat = await start_chat(app, "ame")
    await chat.choose("menu:appointments")
    review = await chat.choose("appts:s.ame-help")
    assert "an agent will propose a time" in review
    await chat.choose("bk-review:ok.")
    [card] = cards(chat)
    assert card.title == "⏳ Appointment requested"
    assert "What to bring" in card.body and "11573" in card.body
    assert not [reply for reply in chat.last if isinstance(reply, Media)], "no time, no .ics"


async def test_the_card_of_a_bookable_service_has_a_book_button(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    await open_slots(desk, clock, [paris(10, 14)])
    chat = await start_chat(app, "reader")
    await chat.say("/start e-legal-aid")
    assert "card:book.legal-aid" in chat.option_ids()
    answer = await chat.choose("card:book.legal-aid")
    assert "Where would you like to go?" in answer
    await chat.say("/start e-housing-115")
    assert not any(i.startswith("card:book.") for i in chat.option_ids())


async def test_a_past_time_is_not_offered_and_its_old_button_is_refused(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    early, later = await open_slots(desk, clock, [paris(10, 9), paris(10, 10)])
    chat = await start_chat(app, "late")
    await _choose_legal_aid(chat)
    await chat.choose("bk-day:d")
    assert f"bk-time:{early.id}" in chat.option_ids()
    clock.set(paris(10, 9, 1))
    answer = await chat.choose(f"bk-time:{early.id}")
    await chat.choose("bk-review:ok.")
    assert "not available any more" in "\n".join(str(getattr(r, "text", "")) for r in chat.last)
    async with desk.unit() as unit:
        assert (await unit.slot(early.id)).booked == 0  # type: ignore[union-attr]
    assert answer
    assert f"bk-day:d{later.id}" in chat.option_ids(), "the next free time is offered"


async def test_a_second_booking_of_the_same_service_shows_the_first(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    one, two = await open_slots(desk, clock, [paris(10, 9), paris(11, 9)])
    chat = await start_chat(app, "again")
    for slot in (one, two):
        await _choose_legal_aid(chat)
        await chat.choose(f"bk-day:d{slot.id}")
        await chat.choose(f"bk-time:{slot.id}")
        answer = await chat.choose("bk-review:ok.")
    assert "You already have an appointment for this service" in answer
    assert any(i.startswith("my-appt:cancel.") for i in chat.option_ids())
