"""People of the fault suite: each chooses English, then sends a script of commands whose
replies are told apart by a marker; what a chat received is read back as markers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.channels.telegram import TelegramChannel
from tests.telegram.fake_api import FakeBotApi
from tests.telegram.transcript import clean

#: What each command's reply (one message each) shows, in English.
MARKERS = {
    "/help": "ℹ️ How to use Passerelle",
    "/menu": "🏠 Main menu. What do you need?",
    "/language": "Choose your language",
}

SCRIPT = ("/help", "/menu", "/language", "/help")


async def settled(fake: FakeBotApi, channel: TelegramChannel, update_id: int) -> None:
    await fake.confirmed(update_id, within=180)
    await channel.drain()


async def in_english(fake: FakeBotApi, channel: TelegramChannel, chats: Sequence[int]) -> None:
    """Each chat starts and chooses English; what they received so far is set aside."""
    last = 0
    for chat_id in chats:
        last = await fake.send_text(chat_id, "/start", language_code=None)
    await settled(fake, channel, last)
    for chat_id in chats:
        screen = fake.last_keyboard(chat_id)
        assert screen is not None
        last = await fake.press(chat_id, screen, "lang:en", language_code=None)
    await settled(fake, channel, last)
    for chat_id in chats:
        fake.messages(chat_id).clear()


async def run_script(fake: FakeBotApi, chats: Sequence[int], script: Sequence[str] = SCRIPT) -> int:
    """Every chat sends the script, interleaved; the last update id."""
    last = 0
    for text in script:
        for chat_id in chats:
            last = await fake.send_text(chat_id, text, language_code=None)
    return last


def received(fake: FakeBotApi, chat_id: int) -> list[str]:
    """The commands the chat's bot messages answered, in the order they arrived."""
    seen: list[str] = []
    for message in fake.messages(chat_id):
        if not message.from_bot:
            continue
        text = clean(message.text)
        kinds = [command for command, marker in MARKERS.items() if marker in text]
        seen.append(kinds[0] if len(kinds) == 1 else f"? {text[:40]}")
    return seen


async def all_received(
    fake: FakeBotApi, chats: Sequence[int], script: Sequence[str] = SCRIPT, within: float = 180
) -> None:
    """Until every chat received as many messages as its script asks (or time runs out)."""
    async with asyncio.timeout(within):
        while any(len(received(fake, chat_id)) < len(script) for chat_id in chats):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def check_exactly_once_in_order(
    fake: FakeBotApi, chats: Sequence[int], script: Sequence[str] = SCRIPT
) -> None:
    wrong = {
        chat_id: received(fake, chat_id)
        for chat_id in chats
        if received(fake, chat_id) != list(script)
    }
    assert wrong == {}, (
        f"{len(wrong)} of {len(chats)} chats: lost, doubled or out of order: {wrong}"
    )
