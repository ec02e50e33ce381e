"""Whole journeys through the terminal channel, read as transcripts, in several languages."""

from __future__ import annotations

import pytest

from bot.app import App
from dialogs.replies import Card, Options
from tests.conftest import Chat

ARABIC = "\u0600-\u06ff"


async def start(chat: Chat, locale: str) -> str:
    await chat.say("/start")
    return await chat.choose(f"lang:{locale}")


def cards(chat: Chat) -> list[Card]:
    return [reply for reply in chat.last if isinstance(reply, Card)]


def option_ids(chat: Chat) -> list[str]:
    return [o.id for r in chat.last if isinstance(r, Options) for o in r.all_options()]


async def open_rights_card(chat: Chat, situation: str, topic: str, entry: str = "") -> None:
    """My rights, a situation (not remembered), a topic, then its card: the first entry
    starting with `entry` when the topic lists several."""
    await chat.choose("menu:rights")
    await chat.choose(f"rights:{situation}")
    if "asylum-ask:no" in option_ids(chat):  # "no papers" first asks about asylum
        await chat.choose("asylum-ask:no")
    await chat.choose("remember:no")
    await chat.choose(f"topics:{topic}")
    if not cards(chat):
        await chat.choose(f"choices:e-{entry}")


@pytest.mark.parametrize("locale", ["fr", "en", "ar", "fa", "uk"])
async def test_menu_lists_every_journey(chat: Chat, locale: str) -> None:
    await start(chat, locale)
    ids = option_ids(chat)
    for dialog in ("rights", "french", "documents", "ask", "emergency", "settings"):
        assert f"menu:{dialog}" in ids


@pytest.mark.parametrize("locale", ["fr", "en", "ar", "fa", "ti"])
async def test_rights_by_situation_to_a_card_with_last_checked(chat: Chat, locale: str) -> None:
    await start(chat, locale)
    await open_rights_card(chat, "undocumented", "health", "health-ame")
    card = cards(chat)[0]
    assert "2026" in (card.footer or "") or "۲۰۲۶" in (card.footer or "")
    ids = option_ids(chat)
    assert any(i.startswith("card:more.") for i in ids)
    assert "nav:menu" in ids
    await chat.choose("card:more.")
    assert cards(chat), "More shows the body"


async def test_i_dont_know_finds_the_situation_from_papers(chat: Chat) -> None:
    await start(chat, "en")
    await chat.choose("menu:rights")
    await chat.choose("rights:unsure")
    await chat.choose("papers:ofpra")
    await chat.choose("ofpra:subsidiary")
    answer = await chat.choose("remember:no")
    assert "subsidiary protection" in answer


async def test_situation_is_remembered_only_with_consent(app: App) -> None:
    agreed, refused = Chat(app, "agreed"), Chat(app, "refused")
    for chat, answer in ((agreed, "remember:yes"), (refused, "remember:no")):
        await start(chat, "en")
        await chat.choose("menu:rights")
        await chat.choose("rights:refugee")
        await chat.choose(answer)
        await chat.say("/start")  # a new conversation
        await chat.choose("menu:rights")
    # Remembered: straight to "your situation: ...", with the topics one tap away.
    assert "rights:topics" in option_ids(agreed)
    # Not remembered: asked again.
    assert "rights:refugee" in option_ids(refused)


async def test_machine_translation_is_labelled_with_show_in_french(chat: Chat) -> None:
    await start(chat, "ps")
    await chat.say("/start e-health-ame")
    card = cards(chat)[0]
    assert card.badges, "a machine draft or a French fallback is labelled"
    await chat.choose("card:fr.")
    french = cards(chat)[0]
    assert "AME" in french.title and not any("Machine" in b for b in french.badges)


async def test_ame_checklist_to_the_desk_in_arabic(chat: Chat) -> None:
    await start(chat, "ar")
    await chat.choose("menu:documents")
    await chat.choose("docs:health-ame")
    await chat.choose("keep:yes")
    await chat.choose("check:t.health-ame.photo-id")
    await chat.choose("check:t.health-ame.proof-of-residence")
    await chat.choose("check:desk.")
    desk = cards(chat)[0]
    assert "Pièce d'identité" in desk.body  # French for the agent at the desk
    assert desk.body.count("✅") == 2
    assert "j'ai ce document" in (desk.footer or "")


async def test_checklist_progress_is_kept_with_consent(app: App) -> None:
    chat = Chat(app, "ticker")
    await start(chat, "fr")
    await chat.choose("menu:documents")
    await chat.choose("docs:health-ame")
    await chat.choose("keep:yes")
    await chat.choose("check:t.health-ame.cerfa-11573")
    await chat.say("/start")
    await chat.choose("menu:documents")
    assert any("(1/" in chat.label_of(i) for i in option_ids(chat))


async def test_eif_fel_orientation_in_persian(chat: Chat) -> None:
    await start(chat, "fa")
    await chat.choose("menu:french")
    await chat.choose("french:start")
    for answer in (
        "q-literacy:unable",
        "q-schooling:none",
        "q-french:none",
        "q-goal:daily",
        "q-availability:evening",
        "q-shelter:elsewhere",
        "q-ofii:signed",
    ):
        await chat.choose(answer)
    answer = await chat.say("۱۸")  # the 18th, typed in Persian digits
    card = cards(chat)[0]
    assert "OFII" in card.body and "18" in card.body
    assert "result:e-social-services-psa" in option_ids(chat)
    assert "result:book" in option_ids(chat)  # an evaluation request, now that bookings exist
    assert answer


async def test_free_question_finds_entries_or_a_ticket(chat: Chat, app: App) -> None:
    await start(chat, "fr")
    await chat.say("j ai pas de papier comment me soigner")
    assert any(i.startswith("results:e-") for i in option_ids(chat))
    await chat.choose("results:none")
    await chat.choose("nothing:leave")
    answer = await chat.choose("leave:send")
    assert "1" in answer
    async with app.database.sessions() as session:
        from bot.storage import TicketRow

        ticket = await session.get(TicketRow, 1)
        assert ticket is not None and ticket.locale == "fr"


async def test_unanswered_questions_are_counted_per_locale(chat: Chat, app: App) -> None:
    await start(chat, "en")
    await chat.say("zzqxw vlorp")
    assert "nothing:leave" in option_ids(chat)
    async with app.database.sessions() as session:
        from bot.storage import UnansweredCount

        counts = (await session.scalars(__import__("sqlalchemy").select(UnansweredCount))).all()
        assert [(c.locale, c.count) for c in counts] == [("en", 1)]


@pytest.mark.parametrize(
    "word", ["115", "SOS", "help", "urgence", "مساعدة", "کمک", "ajutor", "救命", "допомога"]
)
async def test_emergency_words_open_the_numbers(chat: Chat, word: str) -> None:
    await start(chat, "fr")
    await chat.say(word)
    assert "115" in cards(chat)[0].body


async def test_near_me_by_postcode_and_location(chat: Chat) -> None:
    await start(chat, "fr")
    await chat.say("/start e-mental-health")
    await chat.choose("card:near.")
    await chat.say("75011")
    near = cards(chat)[0]
    assert "Primo Levi" in near.body.split("\n")[0]
    assert "km" in near.body


async def test_right_to_left_text_isolates_latin_fragments(chat: Chat) -> None:
    await start(chat, "ar")
    await chat.say("/start e-health-ame")
    card = cards(chat)[0]
    assert "\u2066AME\u2069" in card.title + card.body
    assert "\u2066" in (card.footer or "")  # the date


LOCALES = ["fr", "en", "ar", "fa", "ps", "ti", "bn", "ur", "ff", "ro", "zh", "uk"]


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_journey_in_every_language(app: App, locale: str) -> None:
    """Rights, French orientation, a checklist at the desk, a question and emergencies."""
    chat = Chat(app, f"all-{locale}")
    await start(chat, locale)
    # My rights: a situation, a topic, a card with its date and a way home.
    await open_rights_card(chat, "asylum-seeker", "work")
    assert cards(chat) and cards(chat)[0].footer
    # Learn French: the whole questionnaire to an outcome.
    await chat.say("/menu")
    await chat.choose("menu:french")
    await chat.choose("french:start")
    for question in ("literacy", "schooling", "french", "goal", "availability", "shelter", "ofii"):
        await chat.choose(f"q-{question}:")
    await chat.choose("q-area:")
    assert cards(chat), "an orientation outcome"
    # Documents: tick one, then the desk card with the French labels.
    await chat.say("/menu")
    await chat.choose("menu:documents")
    await chat.choose("docs:")
    await chat.choose("keep:no")
    await chat.choose("check:t.")
    await chat.choose("check:desk.")
    assert "✅" in cards(chat)[0].body
    # A free question, and the emergency numbers from the menu.
    await chat.say("/menu")
    await chat.say("AME")
    assert "nav:menu" in option_ids(chat)
    await chat.say("/menu")
    await chat.choose("menu:emergency")
    assert "115" in cards(chat)[0].body
