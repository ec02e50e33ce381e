"""My rights: "no papers" first asks about asylum, with the 90-day rule."""

from __future__ import annotations

import pytest

from bot.app import App
from dialogs.replies import Card, Text
from tests.conftest import Chat


async def start(chat: Chat, locale: str) -> None:
    await chat.say("/start")
    await chat.choose(f"lang:{locale}")
    await chat.choose("menu:rights")


@pytest.mark.parametrize("via", ["situation", "papers"])
async def test_no_papers_asks_about_asylum_before_the_undocumented_card(
    chat: Chat, app: App, via: str
) -> None:
    await start(chat, "en")
    if via == "situation":
        await chat.choose("rights:undocumented")
    else:
        await chat.choose("rights:unsure")
        await chat.choose("papers:nothing")
    assert chat.option_ids()[:4] == [
        "asylum-ask:want",
        "asylum-ask:waiting",
        "asylum-ask:refused",
        "asylum-ask:no",
    ]
    await chat.choose("asylum-ask:want")
    notes = [reply.text for reply in chat.last if isinstance(reply, Text)]
    assert any("90 days" in note for note in notes)
    [card] = [reply for reply in chat.last if isinstance(reply, Card)]
    entry = await app.engine.services.library.entry("asylum-registration", "en")
    assert entry is not None and card.title.endswith(entry.title)


async def test_no_asylum_wanted_leads_to_the_undocumented_topics(chat: Chat) -> None:
    await start(chat, "fr")
    await chat.choose("rights:undocumented")
    await chat.choose("asylum-ask:no")
    await chat.choose("remember:no")
    assert "topics:papers" in chat.option_ids()
    await chat.choose("topics:papers")
    assert any(isinstance(reply, Card) for reply in chat.last)


async def test_waiting_for_an_answer_is_an_asylum_seeker(chat: Chat) -> None:
    await start(chat, "fr")
    await chat.choose("rights:undocumented")
    answer = await chat.choose("asylum-ask:waiting")
    await chat.choose("remember:no")
    assert "topics:health" in chat.option_ids(), answer


@pytest.mark.parametrize(
    ("locale", "question"),
    [
        ("fr", "je viens d'arriver je veux demander l'asile"),
        ("fa", "تازه رسیدم میخوام پناهندگی بخوام"),
        ("en", "I just arrived and want to ask for asylum"),
    ],
)
async def test_a_free_question_about_asking_for_asylum_leads_there(
    chat: Chat, locale: str, question: str
) -> None:
    await chat.say("/start")
    await chat.choose(f"lang:{locale}")
    await chat.say(question)
    assert chat.option_ids()[0] == "results:e-asylum-registration"
