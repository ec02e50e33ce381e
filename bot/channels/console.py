"""The terminal channel: options printed as `[N] label`, a number presses that option.

It reads lines until end of input, so `printf '1\n2\n' | passerelle chat` prints
the whole transcript; that is how the tests drive it.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from bot.app import App
from dialogs.incoming import Incoming, Payload, Pressed, parse_text
from dialogs.replies import Card, Media, Options, RemoveOptions, Reply, Text
from knowledge.normalize import fold

CHANNEL = "console"


class ConsoleChannel:
    def __init__(
        self,
        app: App,
        user: str = "local",
        out: TextIO = sys.stdout,
        downloads: Path | None = None,
        echo: bool = False,
    ) -> None:
        self.app = app
        self.user = user
        self.out = out
        self.downloads = downloads
        self.echo = echo
        #: What each number means right now: the options of the last menu shown.
        self.numbers: dict[str, str] = {}

    async def send(self, incoming_text: str) -> list[Reply]:
        text = incoming_text.strip()
        # "٣", "۳", "৩" or "３" press option 3 as "3" does: people type their keyboard's digits.
        number = fold(text)
        payload: Payload
        if number in self.numbers:
            payload = Pressed(self.numbers[number])
        else:
            payload = parse_text(text)
        return await self.deliver(Incoming(CHANNEL, self.user, uuid.uuid4().hex, payload))

    async def deliver(self, incoming: Incoming) -> list[Reply]:
        handled = await self.app.engine.handle(incoming)
        self.render(handled.replies)
        await self.app.outbox.mark_sent(handled.outbox_ids)
        return handled.replies

    def render(self, replies: Iterable[Reply]) -> None:
        for reply in replies:
            self._print(reply)
        self.out.flush()

    def _print(self, reply: Reply) -> None:
        match reply:
            case Text(text=text):
                self._line(text)
            case Options(text=text, rows=rows):
                self.numbers = {}
                self._line(text)
                number = 0
                for row in rows:
                    for option in row:
                        number += 1
                        self.numbers[str(number)] = option.id
                        self.out.write(f"[{number}] {option.label}\n")
                self.out.write("\n")
            case Card(title=title, body=body, footer=footer, badges=badges):
                parts = [*(f"⚠️ {badge}" for badge in badges), f"== {title} ==", body]
                if footer:
                    parts.append(f"— {footer}")
                self._line("\n".join(parts))
            case Media(caption=caption, filename=filename, content=content):
                saved = self._save(filename, content)
                label = f"📎 {filename or reply.media.value}"
                if saved:
                    label += f" → {saved}"
                self._line(f"{label}\n{caption}".strip())
            case RemoveOptions():
                self.numbers = {}
            case _:
                raise TypeError(f"the console cannot show {reply!r}")

    def _save(self, filename: str | None, content: bytes | None) -> Path | None:
        if not (self.downloads and filename and content):
            return None
        self.downloads.mkdir(parents=True, exist_ok=True)
        path = self.downloads / Path(filename).name
        path.write_bytes(content)
        return path

    def _line(self, text: str) -> None:
        self.out.write(text + "\n\n")

    async def run(self, source: TextIO = sys.stdin, lang: str | None = None) -> None:
        if lang:
            # The language is chosen already: the picker the start shows is not printed.
            started = await self.app.engine.handle(
                Incoming(CHANNEL, self.user, uuid.uuid4().hex, parse_text("/start"))
            )
            await self.app.outbox.mark_sent(started.outbox_ids)
            await self.deliver(
                Incoming(CHANNEL, self.user, uuid.uuid4().hex, Pressed(f"lang:{lang}"))
            )
        else:
            await self.send("/start")
        interactive = source.isatty()
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            line = await asyncio.to_thread(source.readline)
            if not line:
                break
            if not line.strip():
                continue
            if self.echo or not interactive:
                self.out.write(f"> {line.strip()}\n\n")
            await self.send(line)


class ConsoleSender:
    """`passerelle chat`: notifications of the person at this terminal are printed here,
    between their messages; those of other console users wait for their own terminal."""

    name = "console"

    def __init__(self, console: ConsoleChannel) -> None:
        self.console = console

    def reaches(self, platform_id: str) -> bool:
        return platform_id == self.console.user

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        self.console.render(replies)
