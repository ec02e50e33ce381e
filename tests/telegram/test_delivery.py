"""Sending on Telegram: limits, long lists, media, 429s, retries from the outbox, bursts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from bot.app import App
from bot.channels.base import OutboxRetrier
from bot.channels.telegram import TEXT_LIMIT, FloodLimits, TelegramChannel
from dialogs.framework import Context, Dialog, Outcome, Step, StepName, go, option, stay
from dialogs.i18n import language_info
from dialogs.replies import (
    Card,
    Media,
    MediaKind,
    Option,
    Options,
    RemoveOptions,
    Reply,
    Text,
)
from tests.telegram.fake_api import FakeBotApi, utf16_length
from tests.telegram.transcript import TelegramPerson, clean

LONG_ID = "long-" + "x" * 70


class Listing(StepName):
    LIST = "tlist"


async def show_list(ctx: Context) -> Sequence[Reply]:
    options = [option(f"n{number}", f"Option {number}") for number in range(30)]
    options.append(option(LONG_ID, "The long one"))
    return [Options(text="Pick one", rows=tuple((item,) for item in options))]


async def press_list(ctx: Context, value: str) -> Outcome | None:
    return stay(Text(f"chosen {value}"))


async def open_list(ctx: Context, rest: str) -> Outcome | None:
    return go(Listing.LIST)


async def test_a_long_list_is_paged_and_a_long_option_id_still_works(
    tg_app: App, person: TelegramPerson, fake_api: FakeBotApi
) -> None:
    registry = tg_app.engine.registry
    registry.add(
        Dialog(name="tlist", start=Listing.LIST, steps=(Step(Listing.LIST, show_list, press_list),))
    )
    registry.on_start("tlist", open_list)
    await person.send("/start")
    await person.press("Français")

    screen = await person.send("/start tlist-go")
    assert "Option 0" in screen.labels and "Option 29" not in screen.labels
    assert "1/2" in screen.labels

    screen = await person.press("1/2")
    assert screen.edited == [] and screen.new == [], "the page counter does nothing"
    screen = await person.press("▶️")
    assert len(screen.edited) == 1 and screen.new == []
    assert "Option 29" in screen.labels and "Option 0" not in screen.labels
    screen = await person.press("◀️")
    assert "Option 0" in screen.labels

    await person.press("▶️")
    screen = await person.press("The long one")
    assert f"chosen {LONG_ID}" in screen.text
    assert all(
        len(button.data.encode()) <= 64
        for message in fake_api.messages(person.chat_id)
        for row in message.keyboard
        for button in row
    )
    assert fake_api.errors == []
    assert fake_api.open_callbacks == set()


async def test_every_kind_of_reply_fits_telegram(
    person: TelegramPerson, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    chat = person.chat_id
    long_text = "\n\n".join(f"§{n} " + "<mot> & " * 120 for n in range(20))
    menu = Options(
        "Choisir <vite>",
        rows=((Option("x:1", "Un"), Option("x:2", "Deux")), (Option("x:" + "y" * 80, "Long"),)),
    )
    replies: list[Reply] = [
        Card(
            "Titre <b>",
            "Corps & <i>âme</i>\n\nDeuxième paragraphe",
            footer="Vérifié le 3 mars",
            badges=("Traduction automatique",),
        ),
        Text(long_text),
        Media(MediaKind.DOCUMENT, caption="Rendez-vous <ICS>", filename="rdv.ics", content=b"B"),
        Media(MediaKind.PHOTO, caption="Plan", filename="plan.jpg", content=b"\xff\xd8"),
        Media(MediaKind.VOICE, caption="", filename="a.ogg", content=b"OggS"),
        Media(MediaKind.LOCATION, caption="Ici", latitude=48.85, longitude=2.35),
        menu,
    ]
    await polling.deliver(str(chat), replies)
    assert fake_api.errors == []
    messages = fake_api.messages(chat)
    kinds = [message.kind for message in messages]
    assert kinds[0] == "text" and "Titre <b>" in messages[0].text
    assert {"document", "photo", "voice", "location"} <= set(kinds)
    text_parts = [m.text for m in messages if m.kind == "text" and "§" in m.text]
    assert len(text_parts) > 1 and all(utf16_length(t) <= TEXT_LIMIT for t in text_parts)
    assert "\n\n".join(text_parts) == long_text
    assert messages[-1].keyboard and "Choisir <vite>" == messages[-1].text

    await polling.deliver(str(chat), [RemoveOptions()])
    assert fake_api.messages(chat)[-1].keyboard == []
    assert fake_api.errors == []


async def test_a_429_is_honoured_before_trying_again(
    tg_app: App, person: TelegramPerson, fake_api: FakeBotApi
) -> None:
    fake_api.flood("sendMessage", retry_after=1)
    screen = await person.send("/start")
    assert screen.labels, "delivered after the wait"
    sends = [call for call in fake_api.calls if call.method == "sendMessage"]
    assert len(sends) == 2
    assert sends[1].at - sends[0].at >= 1.0
    assert [(e.method, e.code) for e in fake_api.errors] == [("sendMessage", 429)]


async def test_what_telegram_keeps_refusing_for_a_while_is_held_then_sent_once(
    tg_app: App, person: TelegramPerson, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    # Past flood control's own retries the chat's lane holds the reply (claimed by this
    # process) and sends it after Telegram's wait: once, and before anything later.
    fake_api.flood("sendMessage", retry_after=1, times=3)
    await person.send("/start")
    await polling.drain()
    assert fake_api.last_keyboard(person.chat_id) is not None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    assert await tg_app.outbox.pending("telegram", later) == []
    assert await OutboxRetrier(tg_app.outbox, polling).run_once(now=later) == 0
    delivered = [m for m in fake_api.messages(person.chat_id) if m.from_bot]
    assert len(delivered) == 1


async def test_a_burst_from_many_people_keeps_each_persons_order(
    tg_app: App, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    locales = list(tg_app.catalogs.locales)
    people = {6000 + n: locales[n % len(locales)] for n in range(40)}
    last = 0
    for chat_id in people:
        fake_api.messages(chat_id)
        last = await fake_api.send_text(chat_id, "/start", language_code=None)
    await fake_api.confirmed(last)
    await polling.drain()
    first_screens = {chat_id: fake_api.last_keyboard(chat_id) for chat_id in people}

    for chat_id, code in people.items():
        message = first_screens[chat_id]
        assert message is not None
        last = await fake_api.press(chat_id, message, f"lang:{code}", language_code=None)
        for text in ("/help", "/menu", "/language", "/help"):
            last = await fake_api.send_text(chat_id, text, language_code=None)
    await fake_api.confirmed(last, within=60)
    await polling.drain()

    for chat_id, code in people.items():
        t = tg_app.catalogs.translator(code)
        markers = {
            "help": t("ℹ️ How to use Passerelle"),
            "menu": t("🏠 Main menu. What do you need?"),
            "lang": t("Choose your language"),
        }
        texts = [clean(m.text) for m in fake_api.messages(chat_id) if m.from_bot]
        assert t("Language: {language}", language=language_info(code).native_name) in texts[0]
        seen = [kind for text in texts[1:] for kind, marker in markers.items() if marker in text]
        assert seen == ["help", "menu", "lang", "help"], code
    assert fake_api.errors == []
    assert fake_api.open_callbacks == set()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert await tg_app.outbox.pending("telegram", later) == []


async def test_the_same_update_twice_is_answered_once(
    person: TelegramPerson, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    update_id = await fake_api.send_text(person.chat_id, "/start")
    await person.settle(update_id)
    replay = {
        "update_id": update_id,
        "message": {
            "message_id": 999,
            "date": 1,
            "text": "/start",
            "chat": {"id": person.chat_id, "type": "private"},
            "from": {"id": person.chat_id, "is_bot": False, "first_name": "P"},
        },
    }
    await polling.receive(replay)
    await polling.drain()
    assert len([m for m in fake_api.messages(person.chat_id) if m.from_bot]) == 1


async def test_one_chat_gets_a_short_burst_then_one_message_a_second(
    tg_app: App, fake_api: FakeBotApi
) -> None:
    channel = TelegramChannel(tg_app, webhook=False, limits=FloodLimits(), poll_timeout=1)
    await channel.start()
    try:
        fake_api.messages(8000)
        fake_api.messages(8001)
        await asyncio.gather(
            channel.deliver("8000", [Text(f"n°{n}") for n in range(5)]),
            channel.deliver("8001", [Text("other chat")]),
        )
    finally:
        await channel.stop()
    sent = [call for call in fake_api.calls if call.method == "sendMessage"]
    times = [call.at for call in sent if call.params["chat_id"] == 8000]
    other = next(call.at for call in sent if call.params["chat_id"] == 8001)
    assert times[2] - times[0] < 0.5, "a burst of three goes at once"
    assert times[3] - times[0] >= 0.9 and times[4] - times[3] >= 0.9
    assert other - times[0] < 0.5, "another chat is not held back"
    assert fake_api.errors == []
