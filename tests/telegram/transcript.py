"""A person on Telegram, as a transcript: send, press a label, read what the bot changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.channels.telegram import TelegramChannel
from tests.telegram.fake_api import FakeBotApi, FakeMessage

ISOLATES = "\u2066\u2067\u2068\u2069"


def clean(text: str) -> str:
    """Without the bidi isolates the engine puts around left-to-right runs in RTL text."""
    return "".join(char for char in text if char not in ISOLATES)


@dataclass
class Screen:
    """What the bot did in the chat after one action: new messages, and messages redrawn."""

    new: list[FakeMessage] = field(default_factory=list)
    edited: list[FakeMessage] = field(default_factory=list)

    @property
    def messages(self) -> list[FakeMessage]:
        return [*self.edited, *self.new]

    @property
    def text(self) -> str:
        return "\n\n".join(message.text for message in self.messages)

    @property
    def labels(self) -> list[str]:
        """The buttons of the last keyboard shown."""
        for message in reversed(self.messages):
            if message.keyboard:
                return message.labels()
        return []

    def __contains__(self, part: str) -> bool:
        return clean(part).casefold() in clean(self.text).casefold()


class TelegramPerson:
    """Drives the fake Bot API as one person and waits until the bot has finished answering."""

    def __init__(
        self,
        fake: FakeBotApi,
        channel: TelegramChannel,
        chat_id: int,
        language_code: str | None = "en",
    ) -> None:
        self.fake = fake
        self.channel = channel
        self.chat_id = chat_id
        self.language_code = language_code
        fake.messages(chat_id)

    async def _act(self, action: Callable[[], Awaitable[int]]) -> Screen:
        before = {m.message_id: m.edits for m in self.fake.messages(self.chat_id)}
        update_id = await action()
        await self.settle(update_id)
        screen = Screen()
        for message in self.fake.messages(self.chat_id):
            if not message.from_bot:
                continue
            if message.message_id not in before:
                screen.new.append(message)
            elif message.edits != before[message.message_id]:
                screen.edited.append(message)
        return screen

    async def settle(self, update_id: int) -> None:
        await self.fake.confirmed(update_id)
        await self.channel.drain()

    async def send(self, text: str) -> Screen:
        return await self._act(lambda: self.fake.send_text(self.chat_id, text, self.language_code))

    async def press(self, label: str) -> Screen:
        """Press the button whose label contains `label`, on the latest keyboard."""
        message = self.fake.last_keyboard(self.chat_id)
        if message is None:
            raise AssertionError("no keyboard in the chat")
        wanted = clean(label).casefold()
        for row in message.keyboard:
            for button in row:
                if wanted in clean(button.text).casefold():
                    return await self.press_data(message, button.data)
        raise AssertionError(f"no button like {label!r} in {message.labels()}")

    async def press_data(self, message: FakeMessage, data: str) -> Screen:
        return await self._act(
            lambda: self.fake.press(self.chat_id, message, data, self.language_code)
        )

    async def send_location(self, latitude: float, longitude: float) -> Screen:
        return await self._act(lambda: self.fake.send_location(self.chat_id, latitude, longitude))

    async def send_media(self, kind: str) -> Screen:
        return await self._act(lambda: self.fake.send_media(self.chat_id, kind))

    @property
    def keyboard_message(self) -> FakeMessage:
        message = self.fake.last_keyboard(self.chat_id)
        assert message is not None, "no keyboard in the chat"
        return message
