"""Danger first, through the terminal channel: every kind in four locales, read as transcripts."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from sqlalchemy import select

from bot.app import App
from bot.storage import ConversationRow, TicketRow
from dialogs.crisis import CRISIS_PRIORITY
from dialogs.framework import Context, Outcome
from dialogs.replies import Card, Options
from dialogs.state import Role
from knowledge.danger import Kind
from tests.bookings.conftest import grant
from tests.conftest import Chat
from tests.telegram.transcript import clean

#: What each kind's card puts first, in its title.
FIRST_NUMBER = {
    Kind.SUICIDE: "3114",
    Kind.VIOLENCE: "3919",
    Kind.CHILD: "119",
    Kind.MEDICAL: "15",
    Kind.DANGER: "17",
    Kind.EXPLOITATION: "17",
    Kind.DETENTION: "avocat",
}

#: Messages written for these tests (not taken from the evaluation set), as typed on phones.
MESSAGES: dict[str, dict[Kind, str]] = {
    "fr": {
        Kind.SUICIDE: "je veux en finir ce soir",
        Kind.MEDICAL: "mon frere respire plus",
        Kind.VIOLENCE: "mon mari me bat",
        Kind.CHILD: "mon fils a disparu",
        Kind.DANGER: "on me suit dans la rue",
        Kind.EXPLOITATION: "le patron garde mon passeport",
        Kind.DETENTION: "je suis en garde a vue",
    },
    "en": {
        Kind.SUICIDE: "i want to end my life",
        Kind.MEDICAL: "she is unconscious",
        Kind.VIOLENCE: "he hits me every day",
        Kind.CHILD: "my daughter is missing",
        Kind.DANGER: "someone is chasing me",
        Kind.EXPLOITATION: "they took my passport and dont pay me",
        Kind.DETENTION: "i have been arrested",
    },
    "fa": {  # right to left
        Kind.SUICIDE: "میخوام خودکشی کنم",
        Kind.MEDICAL: "بابام بیهوش شده",
        Kind.VIOLENCE: "شوهرم کتکم میزنه",
        Kind.CHILD: "پسرم گم شده",
        Kind.DANGER: "یکی دنبالمه",
        Kind.EXPLOITATION: "پاسپورتمو گرفتن",
        Kind.DETENTION: "پلیس منو گرفت",
    },
    "bn": {  # neither Latin nor Arabic script
        Kind.SUICIDE: "আমি মরে যেতে চাই",
        Kind.MEDICAL: "আমার মা অজ্ঞান",
        Kind.VIOLENCE: "স্বামী আমাকে মারে",
        Kind.CHILD: "আমার মেয়ে হারিয়ে গেছে",
        Kind.DANGER: "আমি বিপদে আছি",
        Kind.EXPLOITATION: "মালিক বেতন দেয় না",
        Kind.DETENTION: "পুলিশ আমাকে ধরেছে",
    },
}
CASES = [(locale, kind, text) for locale, kinds in MESSAGES.items() for kind, text in kinds.items()]


async def start(chat: Chat, locale: str) -> None:
    await chat.say("/start")
    await chat.choose(f"lang:{locale}")


def cards(chat: Chat) -> list[Card]:
    return [reply for reply in chat.last if isinstance(reply, Card)]


def is_crisis_card(chat: Chat, kind: Kind) -> bool:
    found = cards(chat)
    return (
        len(found) == 1
        and FIRST_NUMBER[kind] in found[0].title
        and chat.option_ids() == ["crisis:contact", "nav:menu"]
    )


@pytest.mark.parametrize(("locale", "kind", "text"), CASES)
async def test_a_crisis_gets_the_card_that_fits_in_the_persons_language(
    chat: Chat, app: App, locale: str, kind: Kind, text: str
) -> None:
    await start(chat, locale)
    await chat.say(text)
    assert is_crisis_card(chat, kind), [chat.last, chat.option_ids()]
    t = app.catalogs.translator(locale)
    [card] = cards(chat)
    assert len(card.body) < 700, "one phone screen"
    if locale != "fr" and kind is not Kind.DETENTION:
        assert "Je ne parle pas français" in card.body
        calling = t(
            "When you call, say where you are. If you do not speak French, say: {sentence}",
            sentence="",
        )
        assert clean(calling).strip() in clean(card.body)
    labels = [o.label for r in chat.last if isinstance(r, Options) for o in r.all_options()]
    assert t("🙋 I want a person to contact me here") in labels


async def test_the_suicide_card_gives_3114_and_the_walk_in_centre(chat: Chat) -> None:
    await start(chat, "en")
    await chat.say("I want to kill myself")
    [card] = cards(chat)
    assert card.title == "📞 3114"
    assert "1 rue Cabanis" in card.body and "15" in card.body


async def test_a_ticket_only_on_the_press_with_the_text_only_inside_it(
    chat: Chat, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    text = "mon mari me frappe et menace de me tuer"
    await start(chat, "fr")
    await chat.say(text)
    async with app.database.sessions() as session:
        assert (await session.scalars(select(TicketRow))).all() == [], "no ticket before the press"
    answer = await chat.choose("crisis:contact")
    assert "1" in answer and "17" in answer
    async with app.database.sessions() as session:
        [ticket] = (await session.scalars(select(TicketRow))).all()
        states = (await session.scalars(select(ConversationRow.data))).all()
    assert (ticket.kind, ticket.priority, ticket.question) == ("crisis", CRISIS_PRIORITY, text)
    assert all(text not in str(data) for data in states), "the text lives on only in the ticket"
    assert "crisis.card kind=violence" in caplog.text and "crisis.ticket" in caplog.text
    assert all(text not in record.getMessage() for record in caplog.records)
    assert text not in caplog.text


async def test_the_text_is_forgotten_when_the_person_moves_on(chat: Chat, app: App) -> None:
    text = "je veux me suicider"
    await start(chat, "fr")
    await chat.say(text)
    await chat.choose("nav:menu")
    async with app.database.sessions() as session:
        states = (await session.scalars(select(ConversationRow.data))).all()
        tickets = (await session.scalars(select(TicketRow))).all()
    assert all(text not in str(data) for data in states) and tickets == []


async def test_unsure_the_normal_answer_asks_first(chat: Chat, app: App) -> None:
    await start(chat, "fr")
    await chat.say("j'ai peur de mourir")
    assert not cards(chat), "one weak signal: no card at once"
    assert chat.option_ids()[0] == "crisis:ask-suicide"
    assert chat.label_of("crisis:ask-suicide") == "🆘 Êtes-vous en danger maintenant ?"
    assert any(option.startswith("results:") for option in chat.option_ids())
    await chat.choose("crisis:ask-suicide")
    assert is_crisis_card(chat, Kind.SUICIDE)
    await chat.choose("crisis:contact")
    async with app.database.sessions() as session:
        [ticket] = (await session.scalars(select(TicketRow))).all()
    assert ticket.question == "j'ai peur de mourir" and ticket.kind == "crisis"


@pytest.mark.parametrize(
    "text", ["je suis mort de fatigue", "dying to learn French", "this queue is killing me"]
)
async def test_idioms_get_the_ordinary_answer(chat: Chat, text: str) -> None:
    await start(chat, "fr")
    await chat.say(text)
    assert not any(option.startswith("crisis:") for option in chat.option_ids())
    assert not any("3114" in card.title for card in cards(chat))


async def test_a_first_message_in_danger_is_answered_before_the_language_question(
    chat: Chat, app: App
) -> None:
    await chat.say("/start")
    await chat.say("میخوام خودکشی کنم")
    assert is_crisis_card(chat, Kind.SUICIDE)
    t = app.catalogs.translator("fa")
    assert chat.label_of("crisis:contact") == t("🙋 I want a person to contact me here")


async def test_a_crisis_typed_on_the_postcode_screen(chat: Chat) -> None:
    await start(chat, "en")
    await chat.say("/start e-mental-health")
    await chat.choose("card:near.")
    await chat.say("my friend is not breathing")
    assert is_crisis_card(chat, Kind.MEDICAL)


async def test_a_question_typed_on_the_postcode_screen_is_searched(chat: Chat) -> None:
    await start(chat, "fr")
    await chat.say("/start e-mental-health")
    await chat.choose("card:near.")
    answer = await chat.say("ou dormir ce soir avec mes enfants")
    assert "arrondissement" not in answer
    assert "results:e-housing-115" in chat.option_ids()
    await chat.choose("nav:back")
    await chat.say("75011")
    assert "Primo Levi" in cards(chat)[0].body, "Back returns to the postcode screen"


@pytest.mark.parametrize("digit", ["٢", "۲", "২", "２"])
async def test_native_digits_press_options(chat: Chat, digit: str) -> None:
    await start(chat, "fr")
    second = chat.option_ids()[1]
    assert second == "menu:rights"
    await chat.say(digit)
    assert chat.option_ids()[0].startswith(("rights:", "situation:"))


@pytest.mark.parametrize("where", ["menu", "near"])
async def test_sos_opens_the_emergency_numbers_anywhere(chat: Chat, where: str) -> None:
    await start(chat, "fr")
    if where == "near":
        await chat.say("/start e-mental-health")
        await chat.choose("card:near.")
    await chat.say("🆘")
    [card] = cards(chat)
    assert "3114" in card.body and "115" in card.body


async def test_every_step_that_takes_text_runs_the_danger_check_first(chat: Chat, app: App) -> None:
    registry = app.engine.registry
    text_steps = {code: pair for code, pair in registry.steps.items() if pair[1].on_text}
    assert {"prompt", "results", "nothing", "near", "q-area", "bk-contact", "ag-reason"} <= set(
        text_steps
    )
    seen: list[str] = []

    async def spy(ctx: Context, text: str) -> Outcome:
        seen.append(ctx.state.step)
        return Outcome()

    await start(chat, "en")
    # ag-reason is an agents' step (`Step.only_for`): the tester must be one to reach it.
    await grant(app, "tester", Role.AGENT)

    async def place(dialog_name: str, code: str) -> None:
        async with app.engine.store.unit() as conversations:
            person = await conversations.person("console", "tester")
            state = await conversations.state(person)
            state.dialog, state.step = dialog_name, code
            await conversations.save_state(person, state)

    for code, (dialog, step) in text_steps.items():
        registry.steps[code] = (dialog, dataclasses.replace(step, on_text=spy))
        await place(dialog.name, code)
        await chat.say("I want to kill myself")
        assert is_crisis_card(chat, Kind.SUICIDE), code
        await place(dialog.name, code)
        await chat.say("hello")  # ordinary text still reaches the step
        registry.steps[code] = (dialog, step)
    assert seen == list(text_steps), "each step saw the ordinary text, none the crisis"
