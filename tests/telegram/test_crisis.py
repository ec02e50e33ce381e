"""Danger first on Telegram: every kind in four locales through the real adapter and the fake API."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.storage import TicketRow
from dialogs.i18n import language_info
from knowledge.danger import Kind
from tests.crisis.test_crisis_chat import CASES, FIRST_NUMBER
from tests.telegram.fake_api import FakeBotApi
from tests.telegram.transcript import TelegramPerson, clean

chat_ids = itertools.count(7000)


async def person_in(fake_api: FakeBotApi, polling: TelegramChannel, locale: str) -> TelegramPerson:
    person = TelegramPerson(fake_api, polling, chat_id=next(chat_ids), language_code=None)
    await person.send("/start")
    await person.press(language_info(locale).native_name)
    return person


@pytest.mark.parametrize(("locale", "kind", "text"), CASES)
async def test_a_crisis_gets_its_card_and_two_buttons_on_telegram(
    tg_app: App,
    fake_api: FakeBotApi,
    polling: TelegramChannel,
    locale: str,
    kind: Kind,
    text: str,
) -> None:
    t = tg_app.catalogs.translator(locale)
    person = await person_in(fake_api, polling, locale)
    screen = await person.send(text)
    first = clean(screen.messages[0].text)
    assert FIRST_NUMBER[kind] in first.split("\n")[0], "the number comes first, in the title"
    labels = [clean(label) for label in screen.labels]
    assert labels == [clean(t("🙋 I want a person to contact me here")), clean(t("🏠 Menu"))]
    assert fake_api.errors == []


async def test_the_person_asks_to_be_contacted_from_telegram(
    tg_app: App, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    person = await person_in(fake_api, polling, "ar")
    await person.send("زوجي يضربني كل يوم")
    t = tg_app.catalogs.translator("ar")
    screen = await person.press(clean(t("🙋 I want a person to contact me here")))
    reply = t(
        "Your request number is {reference}. A person will write to you here as soon "
        "as possible. If you are in danger before that, call {emergency}.",
        reference=1,
        emergency=17,
    )
    assert clean(reply) in clean(screen.text)
    async with tg_app.database.sessions() as session:
        [ticket] = (await session.scalars(select(TicketRow))).all()
    assert ticket.kind == "crisis" and ticket.question == "زوجي يضربني كل يوم"
    assert t("🏠 Main menu. What do you need?") in clean(screen.text)
