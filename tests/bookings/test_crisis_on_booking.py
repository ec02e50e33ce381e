"""Danger first on the booking screens: a crisis or a question typed where a name is expected."""

from __future__ import annotations

from bot.app import App
from dialogs.replies import Card
from tests.bookings.conftest import start_chat
from tests.conftest import Chat


async def on_the_name_screen(app: App, who: str) -> Chat:
    chat = await start_chat(app, who)
    await chat.choose("menu:appointments")
    await chat.choose("appts:s.domiciliation")
    await chat.choose("bk-review:ok.")
    assert "bk-contact:no" in chat.option_ids()
    return chat


async def test_a_crisis_typed_on_the_booking_name_screen_gets_the_crisis_card(app: App) -> None:
    chat = await on_the_name_screen(app, "crisis-name")
    await chat.say("je veux mourir je ne veux plus vivre")
    [card] = [reply for reply in chat.last if isinstance(reply, Card)]
    assert "3114" in card.title
    assert chat.option_ids() == ["crisis:contact", "nav:menu"]


async def test_a_question_on_the_name_screen_is_searched_and_a_name_still_works(
    app: App,
) -> None:
    chat = await on_the_name_screen(app, "question-name")
    answer = await chat.say("ou est ce que je peux dormir ce soir avec mes enfants ?")
    assert "does not look like a name" not in answer
    assert "results:e-housing-115" in chat.option_ids()
    await chat.choose("nav:back")
    assert "bk-contact:no" in chat.option_ids()
    await chat.say("Amina Diallo")
    assert any(isinstance(reply, Card) for reply in chat.last), "the name is taken as before"
