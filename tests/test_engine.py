"""The engine: duplicates, the back stack, bad input, global commands, restarts, concurrency."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.framework import NAV_MENU, Dialog, Step
from dialogs.incoming import Command, Incoming, Pressed, Said, SentMedia, SharedLocation
from dialogs.replies import Options, Reply, text_of
from tests.conftest import Chat, sqlite_url


def incoming(payload: object, update: str, user: str = "p1") -> Incoming:
    return Incoming("console", user, update, payload)  # type: ignore[arg-type]


def options_of(replies: list[Reply]) -> list[str]:
    return [o.id for r in replies if isinstance(r, Options) for o in r.all_options()]


async def start_in_french(app: App, user: str = "p1") -> None:
    await app.engine.handle(incoming(Command("start"), f"{user}-0", user))
    await app.engine.handle(incoming(Pressed("lang:fr"), f"{user}-1", user))


async def test_first_contact_shows_every_language_by_native_name(app: App) -> None:
    handled = await app.engine.handle(incoming(Command("start"), "u1"))
    ids = options_of(handled.replies)
    assert [i.split(":")[1] for i in ids] == list(app.catalogs.locales)
    labels = text_of(handled.replies[0])
    for native in ("Français", "English", "العربية", "فارسی", "پښتو", "ትግርኛ", "বাংলা", "اردو"):
        assert native in labels


async def test_language_hint_is_offered_first(app: App) -> None:
    handled = await app.engine.handle(
        Incoming("console", "p2", "u1", Command("start"), locale_hint="fa-IR")
    )
    assert options_of(handled.replies)[0] == "lang:fa"


async def test_duplicate_update_is_dropped(app: App) -> None:
    await start_in_french(app)
    first = await app.engine.handle(incoming(Pressed("menu:settings"), "dup"))
    second = await app.engine.handle(incoming(Pressed("menu:settings"), "dup"))
    assert first.replies and not first.duplicate
    assert second.duplicate and second.replies == []


async def test_back_goes_one_step_back_then_to_the_menu(chat: Chat) -> None:
    await chat.say("/start")
    await chat.press("Français")
    await chat.press("Langue et réglages")
    await chat.press("Ce que nous gardons")
    answer = await chat.say("/back")
    assert "Langue et réglages" in answer
    answer = await chat.say("/back")
    assert "Menu principal" in answer


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/menu", "Menu principal"),
        ("/start", "Menu principal"),
        ("/language", "Choisissez votre langue"),
        ("/help", "Comment utiliser Passerelle"),
        ("/back", "Langue et réglages"),
        ("/nimportequoi", "Je ne connais pas cette commande"),
    ],
)
async def test_global_commands_work_from_a_nested_step(
    chat: Chat, command: str, expected: str
) -> None:
    await chat.say("/start")
    await chat.press("Français")
    await chat.press("Langue et réglages")
    await chat.press("Supprimer mes données")
    answer = await chat.say(command)
    assert expected in answer


async def test_unknown_text_and_media_get_a_helpful_answer_and_the_way_back(app: App) -> None:
    await start_in_french(app)
    await app.engine.handle(incoming(Pressed("menu:settings"), "s"))
    for n, payload in enumerate(
        [Said("blablabla"), SentMedia(media="voice"), SharedLocation(48.85, 2.35)]  # type: ignore[arg-type]
    ):
        handled = await app.engine.handle(incoming(payload, f"x{n}"))
        assert text_of(handled.replies[0]).strip()
        assert NAV_MENU in options_of(handled.replies)


async def test_unknown_option_ids_expire_to_the_menu(app: App) -> None:
    await start_in_french(app)
    for n, option_id in enumerate(["nope:1", "menu:doesnotexist", "", "::", "lang:xx"]):
        handled = await app.engine.handle(incoming(Pressed(option_id), f"o{n}"))
        assert handled.replies, option_id
        assert options_of(handled.replies), option_id


async def test_old_button_of_another_step_still_works(app: App) -> None:
    await start_in_french(app)
    await app.engine.handle(incoming(Pressed("menu:settings"), "a"))
    # The person scrolls up and presses a language button from an old message.
    handled = await app.engine.handle(incoming(Pressed("lang:en"), "b"))
    assert "Main menu" in "\n".join(text_of(r) for r in handled.replies)


async def test_a_failing_step_answers_and_leaves_the_person_at_the_menu(app: App) -> None:
    async def broken(_ctx: object) -> list[Reply]:
        raise RuntimeError("boom")

    app.engine.registry.add(Dialog("broken", (Step("brk", broken),), "brk", "Broken", "💥"))
    await start_in_french(app)
    handled = await app.engine.handle(incoming(Pressed("menu:broken"), "c"))
    text = "\n".join(text_of(r) for r in handled.replies)
    assert "Désolé" in text
    assert "menu:settings" in options_of(handled.replies)


async def test_state_survives_a_restart_on_a_file_database(tmp_path: Path) -> None:
    settings = Settings(database_url=sqlite_url(tmp_path / "keep.db"), _env_file=None)
    first = await build_app(settings)
    await start_in_french(first)
    await first.engine.handle(incoming(Pressed("menu:settings"), "r1"))
    await first.close()

    second = await build_app(settings)
    try:
        handled = await second.engine.handle(incoming(Command("back"), "r2"))
        assert "Menu principal" in "\n".join(text_of(r) for r in handled.replies)
        # The same update id delivered again after the restart is still a duplicate.
        again = await second.engine.handle(incoming(Pressed("menu:settings"), "r1"))
        assert again.duplicate
    finally:
        await second.close()


async def test_concurrent_updates_for_one_person_do_not_corrupt_state(tmp_path: Path) -> None:
    """Two processes (two apps on one file) handle one person's updates at once."""
    settings = Settings(database_url=sqlite_url(tmp_path / "race.db"), _env_file=None)
    one, two = await build_app(settings), await build_app(settings)
    try:
        await start_in_french(one)
        tasks = [
            (one if n % 2 else two).engine.handle(incoming(Pressed("menu:settings"), f"k{n}"))
            for n in range(20)
        ]
        results = await asyncio.gather(*tasks)
        assert all(r.replies for r in results)
        async with one.database.sessions() as session:
            from bot.storage import ConversationRow

            row = await session.get(ConversationRow, 1)
            assert row is not None
            # Every update saved exactly once: the version counts them all.
            assert row.version == 2 + 20
            assert row.step == "settings"
    finally:
        await one.close()
        await two.close()


async def test_forget_me_erases_the_person(chat: Chat, app: App) -> None:
    await chat.say("/start")
    await chat.press("Français")
    await chat.press("Langue et réglages")
    await chat.press("Supprimer mes données")
    answer = await chat.press("Oui, supprimer")
    assert "supprimé" in answer
    async with app.database.sessions() as session:
        from bot.storage import PersonRow

        person = await session.get(PersonRow, 1)
        assert person is not None and person.locale is None
