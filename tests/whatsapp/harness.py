"""Passerelle served by uvicorn, a fake Cloud API, and people who write to it, as transcripts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from bot.app import App
from bot.channels.whatsapp import WEBHOOK_PATH, WhatsAppChannel, signature_of
from bot.web import build_web_app
from tests.whatsapp import payloads
from tests.whatsapp.fake_graph import FakeGraph, Sent

SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
TOKEN = "test-access-token"


class Clock:
    """The time for the engine, the channel and the fake API alike; tests move it."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass(frozen=True)
class Choice:
    id: str
    title: str
    description: str = ""
    #: "button" or "list": how WhatsApp sends the press back.
    via: str = "button"


def describe(sent: Sent) -> str:
    """One message as a person would read it, for transcripts."""
    body = sent.body
    match sent.kind:
        case "text":
            return str(body["text"]["body"])
        case "interactive":
            interactive = body["interactive"]
            text = str(interactive["body"]["text"])
            if interactive["type"] == "button":
                titles = [b["reply"]["title"] for b in interactive["action"]["buttons"]]
                return text + "\n" + " ".join(f"[{t}]" for t in titles)
            lines = [text, f"☰ {interactive['action']['button']}"]
            for section in interactive["action"]["sections"]:
                for row in section["rows"]:
                    extra = f" — {row['description']}" if row.get("description") else ""
                    lines.append(f"- {row['title']}{extra}")
            return "\n".join(lines)
        case "template":
            template = body["template"]
            values = [
                p["text"]
                for c in template.get("components", [])
                if c["type"] == "body"
                for p in c["parameters"]
            ]
            return f"template {template['name']} ({template['language']['code']}): " + ", ".join(
                values
            )
        case "document":
            return (
                f"📎 {body['document'].get('filename', '')} {body['document'].get('caption', '')}"
            )
        case "image":
            return f"🖼 {body['image'].get('caption', '')}"
        case "audio":
            return "🔊"
        case "location":
            return f"📍 {body['location']['latitude']},{body['location']['longitude']}"
    return json.dumps(body)


def choices_of(sent: Sent) -> list[Choice]:
    if sent.kind != "interactive":
        return []
    interactive = sent.body["interactive"]
    if interactive["type"] == "button":
        return [
            Choice(b["reply"]["id"], b["reply"]["title"], via="button")
            for b in interactive["action"]["buttons"]
        ]
    return [
        Choice(row["id"], row["title"], row.get("description", ""), via="list")
        for section in interactive["action"]["sections"]
        for row in section["rows"]
    ]


class Harness:
    """The web app on a real port, the channel inside it, and the fake API it talks to."""

    def __init__(
        self, app: App, channel: WhatsAppChannel, fake: FakeGraph, clock: Clock, base_url: str
    ) -> None:
        self.app = app
        self.channel = channel
        self.fake = fake
        self.clock = clock
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def post_raw(
        self, body: bytes, *, signature: str | None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent_headers = {"Content-Type": "application/json", **(headers or {})}
        if signature is not None:
            sent_headers["X-Hub-Signature-256"] = signature
        return await self.http.post(WEBHOOK_PATH, content=body, headers=sent_headers)

    async def post(self, payload: dict[str, Any]) -> httpx.Response:
        """A webhook signed as Meta signs it, then wait until it is handled."""
        body = json.dumps(payload).encode()
        response = await self.post_raw(body, signature=signature_of(body, SECRET))
        await self.settle()
        return response

    async def settle(self) -> None:
        await self.channel.idle()

    def person(
        self, wa_id: str | None = "33612345678", bsuid: str | None = "FR.1502576394655843"
    ) -> WhatsAppPerson:
        return WhatsAppPerson(self, wa_id=wa_id, bsuid=bsuid)


class WhatsAppPerson:
    """Someone writing to Passerelle on WhatsApp; every action returns what they read."""

    def __init__(self, harness: Harness, wa_id: str | None, bsuid: str | None) -> None:
        self.harness = harness
        self.wa_id = wa_id
        self.bsuid = bsuid
        self.last: list[Sent] = []

    @property
    def received(self) -> list[Sent]:
        return self.harness.fake.to(self.wa_id, self.bsuid)

    def webhook(self, content: dict[str, Any], mid: str | None = None) -> dict[str, Any]:
        return payloads.inbound(
            content, wa_id=self.wa_id, bsuid=self.bsuid, at=self.harness.clock(), mid=mid
        )

    async def send(self, content: dict[str, Any], mid: str | None = None) -> str:
        """Send one message (as WhatsApp delivers it) and read the answer."""
        fake = self.harness.fake
        fake.person_wrote(self.wa_id, self.bsuid, at=self.harness.clock())
        before = len(self.received)
        response = await self.harness.post(self.webhook(content, mid))
        assert response.status_code == 200, response.text
        self.last = self.received[before:]
        return self.transcript()

    def transcript(self) -> str:
        return "\n\n".join(describe(sent) for sent in self.last)

    async def says(self, text: str) -> str:
        return await self.send(payloads.text(text))

    def choices(self) -> list[Choice]:
        """The choices of the latest interactive message this person received."""
        for sent in reversed(self.received):
            found = choices_of(sent)
            if found:
                return found
        return []

    async def presses(self, label_part: str) -> str:
        """Press the button or list row whose title (or description) contains `label_part`."""
        wanted = label_part.casefold()
        for choice in self.choices():
            if wanted in choice.title.casefold() or wanted in choice.description.casefold():
                return await self.press(choice)
        shown = [choice.title for choice in self.choices()]
        raise AssertionError(f"no choice like {label_part!r} in {shown}")

    async def press(self, choice: Choice) -> str:
        if choice.via == "button":
            return await self.send(payloads.button_reply(choice.id, choice.title))
        return await self.send(payloads.list_reply(choice.id, choice.title, choice.description))


@asynccontextmanager
async def serving(app: App, channel: WhatsAppChannel) -> AsyncIterator[str]:
    """`passerelle serve`'s web app, on uvicorn, on a free port of 127.0.0.1."""
    web = build_web_app(app, [channel])
    config = uvicorn.Config(web, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
