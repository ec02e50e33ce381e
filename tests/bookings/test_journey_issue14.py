"""The person's booking journey as a new user tries it (issue 14, item 13): Back after
booking, another time for a request, no free time, a same-day booking's reminders."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from bookings.store import BookingDesk
from bot.app import App
from bot.storage import TicketRow
from dialogs.incoming import Incoming, Pressed
from dialogs.replies import Card, text_of
from tests.bookings.conftest import Clock, open_slots, paris, start_chat
from tests.conftest import Chat

UNAVAILABLE = "Appointments are not available at the moment."


def card_of(chat: Chat) -> Card:
    [card] = [reply for reply in chat.last if isinstance(reply, Card)]
    return card


async def _tickets(app: App) -> list[TicketRow]:
    async with app.database.sessions() as session:
        return list(await session.scalars(select(TicketRow).order_by(TicketRow.id)))


async def _press_again(app: App, user: str, option_id: str) -> str:
    """The same button pressed again from the message that showed it (a new update)."""
    handled = await app.engine.handle(
        Incoming("console", user, uuid.uuid4().hex, Pressed(option_id))
    )
    return "\n".join(text_of(reply) for reply in handled.replies)


async def _book_legal_aid(chat: Chat, slot_id: int) -> None:
    await chat.choose("menu:appointments")
    await chat.choose("appts:s.legal-aid")
    await chat.choose("bk-place:legal-aid.droits-urgence-pad-18")
    await chat.choose("bk-day:d")
    await chat.choose(f"bk-time:{slot_id}")
    await chat.choose("bk-review:ok.")


async def test_back_right_after_booking_leads_out_of_the_booking(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    [slot] = await open_slots(desk, clock, [paris(10, 14)])
    chat = await start_chat(app, "back")
    await _book_legal_aid(chat, slot.id)
    assert card_of(chat).title == "✅ Appointment confirmed"
    back = await chat.choose("nav:back")
    assert UNAVAILABLE not in back
    assert "Which service would you like to meet?" in back
    again = await chat.choose("nav:back")
    assert UNAVAILABLE not in again

    other = await start_chat(app, "nobook")
    await other.choose("menu:appointments")
    await other.choose("appts:s.ame-help")
    await other.choose("bk-review:no")
    assert UNAVAILABLE not in await other.choose("nav:back")


async def test_a_same_day_booking_promises_no_reminder_the_day_before(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    clock.set(paris(10, 9))
    today, tomorrow = await open_slots(desk, clock, [paris(10, 14), paris(11, 14)])
    chat = await start_chat(app, "today")
    await _book_legal_aid(chat, today.id)
    assert card_of(chat).footer == "I will remind you two hours before."
    late = await start_chat(app, "tomorrow")
    await _book_legal_aid(late, tomorrow.id)
    assert card_of(late).footer == "I will remind you the day before and two hours before."


async def test_no_free_time_offers_to_ask_an_agent(app: App, desk: BookingDesk) -> None:
    chat = await start_chat(app, "nofree")
    await chat.choose("menu:appointments")
    await chat.choose("appts:s.legal-aid")
    days = await chat.choose("bk-place:legal-aid.droits-urgence-pad-18")
    assert "There is no free time here for now." in days
    assert "bk-day:ask" in chat.option_ids()
    answer = await chat.choose("bk-day:ask")
    again = await _press_again(app, "nofree", "bk-day:ask")
    [ticket] = await _tickets(app)
    assert f"Your request number is {ticket.id}." in answer
    assert f"Your request number is {ticket.id}." in again, "a second press sends nothing more"
    assert ticket.kind == "booking" and "Droits d'urgence" in ticket.question
    assert ticket.question.startswith("Pas de créneau libre"), "the agents read French"


async def test_a_request_offers_to_ask_for_another_time_and_typing_it_finds_it(
    app: App, desk: BookingDesk
) -> None:
    chat = await start_chat(app, "req", "fr")
    await chat.choose("menu:appointments")
    await chat.choose("appts:s.ame-help")
    await chat.choose("bk-review:ok.")
    await chat.choose("bk-done:mine")
    [reference] = [i.split(":")[1] for i in chat.option_ids() if i.startswith("my-appts:")][:1]
    await chat.choose("nav:menu")

    typed = await chat.say("je veux changer l'heure du rendez-vous")
    assert "Voici vos rendez-vous" in typed
    assert f"my-appts:{reference}" in chat.option_ids()
    await chat.choose(f"my-appts:{reference}")
    assert f"my-appt:other.{reference}" in chat.option_ids()
    assert f"my-appt:move.{reference}" not in chat.option_ids(), "no slots to choose from"
    answer = await chat.choose(f"my-appt:other.{reference}")
    again = await _press_again(app, "req", f"my-appt:other.{reference}")
    [ticket] = await _tickets(app)
    assert str(ticket.id) in again, "a second press sends nothing more"
    assert str(ticket.id) in answer
    assert ticket.kind == "booking" and reference in ticket.question


async def test_typing_about_an_appointment_without_one_still_searches(app: App) -> None:
    chat = await start_chat(app, "noappt", "fr")
    answer = await chat.say("je veux changer l'heure du rendez-vous")
    assert "Voici vos rendez-vous" not in answer
