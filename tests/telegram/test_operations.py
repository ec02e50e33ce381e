"""Operations on Telegram: `/metrics` after real updates through the fake Bot API, and
`passerelle serve` itself stopped by SIGTERM in the middle of a send."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from tests.telegram.conftest import fresh_database
from tests.telegram.fake_api import FakeBotApi
from tests.telegram.transcript import TelegramPerson
from tests.test_operations import get, samples, value

CHAT_ID = 987654321
SAID = "Amina Diallo +33612345678 zzqxw vlorp"


async def test_metrics_after_updates_through_the_bot_api(
    tg_app: App, fake_api: FakeBotApi, polling: TelegramChannel
) -> None:
    before = samples((await get(tg_app, "/metrics")).text)
    person = TelegramPerson(fake_api, polling, chat_id=CHAT_ID, language_code="fr")
    fake_api.flood("sendMessage", retry_after=1)
    await person.send("/start")
    await person.press("Français")
    await person.send(SAID)

    body = (await get(tg_app, "/metrics")).text
    found = samples(body)
    for planted in (str(CHAT_ID), "Amina", "33612345678", "zzqxw"):
        assert planted not in body
    handled = value(found, "passerelle_updates_handled_total", channel="telegram")
    assert handled - value(before, "passerelle_updates_handled_total", channel="telegram") == 3
    errors = value(found, "passerelle_platform_api_errors_total", channel="telegram", code="429")
    was = value(before, "passerelle_platform_api_errors_total", channel="telegram", code="429")
    assert errors - was == 1
    assert value(found, "passerelle_update_handling_seconds_count", channel="telegram") >= 3
    assert value(found, "passerelle_outbox_backlog", channel="telegram") == 0


class SlowSends(FakeBotApi):
    """A Bot API that takes its time to answer sendMessage (a slow network)."""

    async def api_sendMessage(self, params: dict[str, Any]) -> Any:
        await asyncio.sleep(1.5)
        return await super().api_sendMessage(params)


@pytest.fixture
async def slow_api() -> Any:
    fake = SlowSends()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_passerelle_serve_finishes_what_it_sends_on_sigterm(
    tmp_path: Path, slow_api: SlowSends, seeded_database: Path
) -> None:
    fresh_database(tmp_path, seeded_database)
    port = free_port()
    env = {
        **os.environ,
        "PASSERELLE_TELEGRAM_TOKEN": "123:abc",
        "PASSERELLE_TELEGRAM_API_URL": slow_api.url,
        "PASSERELLE_TELEGRAM_WEBHOOK_SECRET": "s3cret",
        "PASSERELLE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PASSERELLE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/t.db",
        "PASSERELLE_LOG_FORMAT": "json",
    }
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await asyncio.wait_for(slow_api.called("setWebhook"), 120)
        assert slow_api.webhook_url == f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        await slow_api.send_text(CHAT_ID, "/start", "fr")
        # The answer is on its way (1.5 s) when the service manager asks the process to stop.
        await asyncio.wait_for(slow_api.called("sendMessage"), 30)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = output.decode("utf-8", "replace")
    assert process.returncode == 0, log[-3000:]
    # The reply reached the person and was marked sent before the process ended.
    assert any(message.from_bot for message in slow_api.messages(CHAT_ID))
    with sqlite3.connect(tmp_path / "t.db") as database:
        unsent = database.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()
        sent = database.execute("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL").fetchone()
    assert unsent == (0,) and sent[0] >= 1
    # Every log line is JSON (uvicorn's own included), with the stop's events in order; the
    # workspace's address is printed for the operator, not logged.
    printed = ("Agents' workspace: ", "  (public: ")
    lines = [line for line in log.splitlines() if line.strip()]
    assert any(line.startswith(printed[0]) for line in lines)
    events = [json.loads(line).get("event") for line in lines if not line.startswith(printed)]
    assert events.index("passerelle.stopping") < events.index("telegram.stopped")
    assert events[-1] == "passerelle.stopped"
    assert slow_api.errors == []
    assert slow_api.webhook_statuses[-1] == 200
