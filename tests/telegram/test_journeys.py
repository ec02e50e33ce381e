"""Journeys on Telegram: the real adapter, long polling over HTTP, against the fake Bot API."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import pytest

from bot.app import App
from bot.channels.telegram import COMMANDS, TelegramChannel
from dialogs.i18n import Translator, language_info
from tests.telegram.conftest import TEST_LIMITS
from tests.telegram.fake_api import FakeBotApi
from tests.telegram.transcript import TelegramPerson, clean


async def assert_all_sent(app: App) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert await app.outbox.pending("telegram", later) == []


@pytest.mark.parametrize("locale", ["fr", "ar"])
async def test_language_menu_settings_back_through_buttons(
    locale: str, tg_app: App, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    person = TelegramPerson(fake_api, polling, chat_id=5000, language_code=None)
    t: Translator = tg_app.catalogs.translator(locale)

    screen = await person.send("/start")
    native = language_info(locale).native_name
    assert native in screen.labels
    assert len(screen.labels) == len(tg_app.catalogs.locales)

    screen = await person.press(native)
    assert screen.new == [] and len(screen.edited) == 1, "a menu press redraws the menu"
    assert t("Language: {language}", language=native) in clean(screen.text)
    assert t("🏠 Main menu. What do you need?") in clean(screen.text)

    screen = await person.press(clean(t("Language and settings")))
    assert screen.new == [] and len(screen.edited) == 1
    assert t("⚙️ Language and settings") in clean(screen.text)
    assert t("⬅️ Back") in [clean(label) for label in screen.labels]

    screen = await person.press(clean(t("⬅️ Back")))
    assert t("🏠 Main menu. What do you need?") in clean(screen.text)

    assert fake_api.errors == []
    assert fake_api.open_callbacks == set(), "every button press was answered"
    assert len(fake_api.answered_callbacks) == 3
    await assert_all_sent(tg_app)


async def test_the_language_is_suggested_from_telegram(
    tg_app: App, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    person = TelegramPerson(fake_api, polling, chat_id=5001, language_code="uk-UA")
    screen = await person.send("hello")
    assert screen.labels[0] == language_info("uk").native_name


async def test_a_deep_link_opens_an_entry_after_the_language_choice(
    tg_app: App, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    person = TelegramPerson(fake_api, polling, chat_id=5002, language_code="fr")
    screen = await person.send("/start e-domiciliation")
    assert "Français" in screen.labels
    screen = await person.press("Français")
    card = [m for m in screen.new if any(tag == "b" for tag, *_ in m.entities)]
    assert card, "the entry comes as a card, with a bold title, in a new message"
    assert "domiciliation" in screen.text.casefold()
    assert fake_api.errors == []

    # Known person: the link opens at once.
    screen = await person.send("/start e-domiciliation")
    assert screen.new and "domiciliation" in screen.text.casefold()


async def test_a_cards_buttons_sit_under_it_and_a_press_never_redraws_it(
    tg_app: App, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    t = tg_app.catalogs.translator("fr")
    person = TelegramPerson(fake_api, polling, chat_id=5003, language_code="fr")
    await person.send("/start")
    await person.press("Français")

    screen = await person.send("/start e-domiciliation")
    assert len(screen.new) == 1, "the card and its buttons come as one message"
    card = screen.new[0]
    assert any(tag == "b" for tag, *_ in card.entities) and "domiciliation" in card.text.casefold()
    assert t("🏠 Menu") in card.labels() and t("⬅️ Back") in card.labels()
    shown = card.text

    screen = await person.press(t("🏠 Menu"))
    assert screen.edited == [] and card.text == shown, "the card stays as it was"
    assert t("🏠 Main menu. What do you need?") in screen.text

    # A restarted process knows nothing of the chat: the message itself says it is a card.
    await polling.stop()
    restarted = TelegramChannel(tg_app, webhook=False, limits=TEST_LIMITS, poll_timeout=1)
    await restarted.start()
    try:
        person = TelegramPerson(fake_api, restarted, chat_id=5003, language_code="fr")
        menu = next(b.data for row in card.keyboard for b in row if b.text == t("🏠 Menu"))
        screen = await person.press_data(card, menu)
        assert screen.edited == [] and card.text == shown and card.edits == 0
        assert t("🏠 Main menu. What do you need?") in screen.text

        # A menu pressed in the restarted process is still redrawn in place.
        screen = await person.press(t("Language and settings"))
        assert screen.new == [] and len(screen.edited) == 1
    finally:
        await restarted.stop()
    assert fake_api.errors == []
    assert fake_api.open_callbacks == set()
    await assert_all_sent(tg_app)


async def test_an_invalid_deep_link_says_so_and_shows_the_menu(
    tg_app: App, person: TelegramPerson, fake_api: FakeBotApi
) -> None:
    t = tg_app.catalogs.translator("fr")
    await person.send("/start")
    await person.press("Français")
    for payload in ("../etc/passwd", "e-" + "x" * 70, "e-no-such-entry", "zz-what"):
        screen = await person.send(f"/start {payload}")
        assert t("This link is not valid any more. Here is the menu.") in screen.text
        assert t("🏠 Main menu. What do you need?") in screen.text
    assert fake_api.errors == []


async def test_a_stale_button_pressed_later_still_answers(
    tg_app: App, person: TelegramPerson, fake_api: FakeBotApi
) -> None:
    t = tg_app.catalogs.translator("fr")
    await person.send("/start")
    await person.press("Français")
    await person.press(t("Language and settings"))
    screen = await person.press(t("🗑️ Delete my data"))
    old = person.keyboard_message
    assert t("Yes, delete") in old.labels()

    await person.send("/menu")  # a new menu further down the chat
    yes = next(b.data for row in old.keyboard for b in row if b.text == t("Yes, delete"))
    screen = await person.press_data(old, yes)
    assert screen.edited == [], "an old message is left as it was"
    assert t("This button has expired. Here is the menu.") in screen.text
    assert t("🏠 Main menu. What do you need?") in screen.text

    # Nothing was deleted: the person still has a language.
    screen = await person.send("/help")
    assert t("ℹ️ How to use Passerelle") in screen.text

    # Data nobody ever sent, and a pager of a list that does not exist.
    for data in ("nowhere:1", "~p:999999:1", "~o:t-gone:0", "~zz"):
        await person.send("/help")
        screen = await person.press_data(person.keyboard_message, data)
        assert t("This button has expired. Here is the menu.") in screen.text
    assert fake_api.errors == []
    assert fake_api.open_callbacks == set()


async def test_voice_photo_sticker_are_answered_and_a_location_accepted(
    tg_app: App, person: TelegramPerson, fake_api: FakeBotApi
) -> None:
    t = tg_app.catalogs.translator("fr")
    await person.send("/start")
    await person.press("Français")
    cannot = t(
        "I cannot read voice messages, photos or files. Please use the buttons, or type a few words."
    )
    for kind in ("voice", "photo", "sticker", "document", "video"):
        screen = await person.send_media(kind)
        assert cannot in screen.text, kind
        assert screen.labels, "and the way on is shown again"
    screen = await person.send_location(48.8566, 2.3522)
    assert screen.new and screen.labels
    assert cannot not in screen.text
    assert fake_api.errors == []
    await assert_all_sent(tg_app)


async def test_updates_passerelle_does_not_handle_are_ignored_safely(
    person: TelegramPerson, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    chat = {"id": 5003, "type": "private", "first_name": "P"}
    group = {"id": -100, "type": "group", "title": "G"}
    sender = {"id": 5003, "is_bot": False, "first_name": "P"}
    strange: list[dict[str, Any]] = [
        {"edited_message": {"message_id": 1, "date": 1, "edit_date": 2, "chat": chat, "text": "x"}},
        {"channel_post": {"message_id": 1, "date": 1, "chat": {"id": -5, "type": "channel"}}},
        {"message": {"message_id": 2, "date": 1, "chat": group, "from": sender, "text": "/start"}},
        {
            "message": {
                "message_id": 3,
                "date": 1,
                "chat": chat,
                "from": sender,
                "pinned_message": {"message_id": 1, "date": 0, "chat": chat},
            }
        },
        {"poll_answer": {"poll_id": "1", "option_ids": [0], "user": sender}},
        {"something_new": {"x": 1}},
    ]
    fake_api.messages(5003)
    last = 0
    for update in strange:
        last = await fake_api.queue_raw(update)
    await person.settle(last)
    assert fake_api.messages(5003) == []
    assert fake_api.errors == []
    # The bot still answers afterwards.
    screen = await person.send("/start")
    assert screen.labels


async def test_commands_are_listed_in_every_language(
    tg_app: App, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    assert set(fake_api.commands) == {"", *tg_app.catalogs.locales}
    for code in tg_app.catalogs.locales:
        t = tg_app.catalogs.translator(code)
        listed = {c["command"]: c["description"] for c in fake_api.commands[code]}
        assert listed == {name: t(description) for name, description in COMMANDS}
    async with asyncio.timeout(5):
        await fake_api.called("getUpdates")
    methods = [call.method for call in fake_api.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")


async def test_nothing_personal_reaches_the_logs(
    tg_app: App, person: TelegramPerson, fake_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await person.send("/start")
    await person.press("Français")
    await person.send("Je m'appelle Amina Secretname, mon numéro 0611223344")
    records = [
        r for r in caplog.records if r.name.startswith(("passerelle", "telegram", "aiohttp"))
    ]
    assert records, "the adapter does log events"
    logged = "\n".join(record.getMessage() for record in records)
    for secret in ("Secretname", "0611223344", "4242", "Français", "123:abc"):
        assert secret not in logged
