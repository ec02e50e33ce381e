"""What a reader sees of issue 14's fixes: temporary protection as a situation of its own,
unknown hours said once, places by distance, an old source's year, one desk legend."""

from __future__ import annotations

import re

from bot.app import App
from dialogs.i18n import LRI, PDI
from knowledge.schema import Situation
from tests.conftest import Chat
from tests.journeys.test_journeys import cards, option_ids, start

UNKNOWN_HOURS = "Opening hours not known: ask before going."
UNKNOWN_HOURS_ONCE = (
    "Where a place shows no open or closed, its opening hours are not known: ask before going."
)


async def test_the_papers_finder_leads_to_temporary_protection(chat: Chat, app: App) -> None:
    await start(chat, "en")
    await chat.choose("menu:rights")
    assert "rights:temporary-protection" in option_ids(chat)
    await chat.choose("rights:unsure")
    await chat.choose("papers:temporary")
    topics = await chat.choose("remember:no")
    assert "I have temporary protection (Ukraine)" in topics
    await chat.choose("topics:papers")
    [card] = cards(chat)
    status = await app.engine.services.library.entry("status-temporary-protection", "en")
    assert status is not None and card.title == status.title


async def test_a_ukrainian_reader_is_never_shown_subsidiary_protection_as_hers(
    chat: Chat, app: App
) -> None:
    await start(chat, "uk")
    library = app.engine.services.library
    await chat.choose("menu:rights")
    await chat.choose("rights:temporary-protection")
    await chat.choose("remember:no")
    for topic in ("health", "shelter", "work", "money", "papers", "legal"):
        await chat.choose("nav:menu")
        await chat.choose("menu:rights")
        await chat.choose("rights:topics")
        await chat.choose(f"topics:{topic}")
        shown = [i.removeprefix("choices:e-") for i in option_ids(chat) if "choices:e-" in i]
        for card in cards(chat):
            shown += [e.slug for e in await library.entries("uk") if e.title == card.title]
        for slug in shown:
            entry = await library.entry(slug, "uk")
            assert entry is not None
            situations = set(entry.situations)
            assert not situations or Situation.TEMPORARY_PROTECTION in situations, slug


async def test_unknown_hours_are_said_once_and_places_come_by_distance(chat: Chat) -> None:
    await start(chat, "en")
    await chat.say("/start e-basic-needs")
    await chat.choose("card:near.")
    await chat.say("75019")
    [near] = cards(chat)
    assert UNKNOWN_HOURS not in near.body
    assert near.body.count(UNKNOWN_HOURS_ONCE) <= 1
    distances = [float(km) for km in re.findall(r"About ([\d.]+) km", near.body)]
    assert len(distances) >= 2 and distances == sorted(distances)
    await chat.say("/start e-basic-needs")
    await chat.choose("card:near.")
    await chat.choose("near:all")
    [every] = cards(chat)
    assert UNKNOWN_HOURS not in every.body
    assert every.body.count(UNKNOWN_HOURS_ONCE) == 1


async def test_an_entry_on_an_old_source_shows_its_year(chat: Chat, app: App) -> None:
    library = app.engine.services.library
    old = [e for e in await library.entries("en") if e.old_source_year is not None]
    assert old, "the bundled content relies on pre-2024 sources somewhere"
    recent = [e for e in await library.entries("en") if e.old_source_year is None]
    await start(chat, "en")
    await chat.say(f"/start e-{old[0].slug}")
    [card] = cards(chat)
    assert f"it relies on a source from {old[0].old_source_year}" in (card.footer or "")
    await chat.say(f"/start e-{recent[0].slug}")
    assert "relies on a source" not in (cards(chat)[0].footer or "")


async def test_the_desk_legend_is_given_once_to_a_french_reader(chat: Chat) -> None:
    await start(chat, "fr")
    await chat.choose("menu:documents")
    await chat.choose("docs:health-ame")
    await chat.choose("keep:no")
    await chat.choose("check:desk.")
    footer = cards(chat)[0].footer or ""
    assert footer.count("✅") == 1 and "j'ai ce document" in footer


async def test_right_to_left_punctuation_stays_outside_the_isolates(chat: Chat) -> None:
    await start(chat, "ar")
    await chat.say("/start e-emergency-numbers")
    text = cards(chat)[0].body
    isolated = re.findall(f"{LRI}([^{PDI}]*){PDI}", text)
    assert isolated
    for fragment in isolated:
        assert not fragment.endswith((".", ",", ":")), fragment
        assert fragment.count(")") <= fragment.count("("), fragment
