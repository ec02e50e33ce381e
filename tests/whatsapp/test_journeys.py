"""Whole journeys over WhatsApp, through the real webhook and a fake Cloud API."""

from __future__ import annotations

import pytest

from tests.whatsapp.harness import Choice, Harness


@pytest.mark.parametrize(
    ("language", "menu", "settings", "change_language", "back"),
    [
        ("Français", "Menu principal", "Langue et réglages", "Changer de langue", "Retour"),
        ("English", "Main menu", "Language and settings", "Change language", "Back"),
    ],
)
async def test_language_menu_settings_and_back(
    harness: Harness, language: str, menu: str, settings: str, change_language: str, back: str
) -> None:
    amina = harness.person()
    answer = await amina.says("bonjour")
    assert "🌐" in answer
    assert amina.last[-1].body["interactive"]["type"] == "list"
    answer = await amina.presses(language)
    assert menu in answer
    answer = await amina.presses(settings)
    assert change_language in answer
    answer = await amina.presses(back)
    assert menu in answer
    assert all(sent.kind in ("text", "interactive") for sent in amina.received)


async def test_changing_language_midway(harness: Harness) -> None:
    amina = harness.person()
    await amina.says("bonjour")
    await amina.presses("Français")
    await amina.presses("Langue et réglages")
    await amina.presses("Changer de langue")
    answer = await amina.presses("English")
    assert "Main menu" in answer


@pytest.mark.parametrize("locale", ["fr", "en", "ar"])
async def test_every_screen_reachable_by_buttons_renders_without_an_api_error(
    harness: Harness, locale: str
) -> None:
    """Press every choice met (old buttons included), breadth first, within a budget.

    New dialogs are walked too, without changing this test; the fake API refuses anything
    outside WhatsApp's limits, and the harness fails the test on any refusal.
    """
    person = harness.person()
    await person.says("bonjour")
    native = {"fr": "Français", "en": "English", "ar": "العربية"}[locale]
    await person.presses(native)
    seen: set[str] = set()
    queue: list[Choice] = []

    def remember() -> None:
        for choice in person.choices():
            if choice.id not in seen and "forget" not in choice.id:
                seen.add(choice.id)
                queue.append(choice)

    remember()
    presses = 0
    while queue and presses < 45:
        choice = queue.pop(0)
        answer = await person.press(choice)
        presses += 1
        assert answer.strip(), f"no answer to {choice.id}"
        assert person.choices(), f"{choice.id} left the person without a button"
        remember()
    assert presses >= 10
    assert harness.fake.unexpected_refusals() == []
