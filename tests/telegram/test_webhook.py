"""Webhook mode: `build_web_app` served by uvicorn, updates pushed by the fake Bot API."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.app import App, build_app
from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramChannel
from bot.web import build_web_app
from tests.telegram.conftest import TEST_LIMITS, fresh_database, telegram_settings
from tests.telegram.fake_api import FakeBotApi
from tests.telegram.transcript import TelegramPerson

SECRET = "s3cret-Token_42"


@dataclass
class Served:
    app: App
    channel: TelegramChannel
    url: str


@pytest.fixture
async def served(
    tmp_path: Path, fake_api: FakeBotApi, seeded_database: Path
) -> AsyncIterator[Served]:
    """`passerelle serve` in miniature: the web app on a port of 127.0.0.1, lifespan and all."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    fresh_database(tmp_path, seeded_database)
    settings = telegram_settings(
        tmp_path, fake_api.url, public_url=url, telegram_webhook_secret=SECRET
    )
    app = await build_app(settings)
    channel = TelegramChannel(app, webhook=True, limits=TEST_LIMITS)
    server = uvicorn.Server(
        uvicorn.Config(build_web_app(app, [channel]), lifespan="on", log_level="warning")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(20):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    try:
        yield Served(app, channel, url)
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_the_webhook_is_registered_with_its_secret(
    served: Served, fake_api: FakeBotApi
) -> None:
    assert fake_api.webhook_url == served.url + WEBHOOK_PATH
    assert fake_api.webhook_secret == SECRET
    assert not any(call.method == "getUpdates" for call in fake_api.calls)


async def test_a_journey_through_the_webhook(served: Served, fake_api: FakeBotApi) -> None:
    t = served.app.catalogs.translator("fr")
    person = TelegramPerson(fake_api, served.channel, chat_id=7000, language_code="fr")
    screen = await person.send("/start")
    screen = await person.press("Français")
    assert t("🏠 Main menu. What do you need?") in screen.text
    screen = await person.press(t("Language and settings"))
    assert len(screen.edited) == 1
    screen = await person.press(t("⬅️ Back"))
    assert t("🏠 Main menu. What do you need?") in screen.text
    assert set(fake_api.webhook_statuses) == {200}
    assert fake_api.errors == []
    assert fake_api.open_callbacks == set()


def _update(update_id: int, chat_id: int, text: str) -> dict[str, object]:
    person = {"id": chat_id, "is_bot": False, "first_name": "P", "language_code": "fr"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1,
            "chat": {"id": chat_id, "type": "private", "first_name": "P"},
            "from": person,
            "text": text,
        },
    }


async def test_only_telegram_with_the_secret_gets_in(served: Served, fake_api: FakeBotApi) -> None:
    fake_api.messages(7001)
    endpoint = served.url + WEBHOOK_PATH
    async with httpx.AsyncClient() as client:
        update = _update(900_001, 7001, "/start")
        missing = await client.post(endpoint, json=update)
        wrong = await client.post(endpoint, json=update, headers={SECRET_HEADER: "nope"})
        almost = await client.post(endpoint, json=update, headers={SECRET_HEADER: SECRET + "x"})
        assert (missing.status_code, wrong.status_code, almost.status_code) == (403, 403, 403)
        await served.channel.drain()
        assert fake_api.messages(7001) == [], "nothing was handled"

        right = {SECRET_HEADER: SECRET, "content-type": "application/json"}
        for body in (b"{not json", b"[]", b'{"no": "update"}', b'{"update_id": "1"}', b"\xff"):
            response = await client.post(endpoint, content=body, headers=right)
            assert response.status_code == 400, body
        odd = await client.post(
            endpoint, json={"update_id": 900_002, "message": {"chat": 3}}, headers=right
        )
        assert odd.status_code == 200, "an update of a shape Passerelle does not read is dropped"

        ok = await client.post(endpoint, json=update, headers=right)
        assert ok.status_code == 200
        again = await client.post(endpoint, json=update, headers=right)
        assert again.status_code == 200, "a redelivery is accepted, and dropped"
        assert (await client.get(served.url + WEBHOOK_PATH)).status_code == 405
    await served.channel.drain()
    assert len([m for m in fake_api.messages(7001) if m.from_bot]) == 1
    assert fake_api.errors == []
