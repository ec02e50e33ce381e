"""`passerelle run` itself, as an operator starts it: long polling against a Bot API root."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.telegram.conftest import fresh_database
from tests.telegram.fake_api import FakeBotApi


async def test_passerelle_run_serves_a_journey_and_stops_cleanly_on_sigterm(
    tmp_path: Path, fake_api: FakeBotApi, seeded_database: Path
) -> None:
    fresh_database(tmp_path, seeded_database)
    env = {
        **os.environ,
        "PASSERELLE_TELEGRAM_TOKEN": "123:abc",
        "PASSERELLE_TELEGRAM_API_URL": fake_api.url,
        "PASSERELLE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/t.db",
        "PASSERELLE_LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await asyncio.wait_for(fake_api.called("getUpdates"), 120)
        update = await fake_api.send_text(6100, "/start", "fr")
        await fake_api.confirmed(update, within=30)
        await asyncio.wait_for(fake_api.called("sendMessage"), 30)
        languages = fake_api.last_keyboard(6100)
        assert languages is not None and "Français" in languages.labels()
        french = next(b.data for row in languages.keyboard for b in row if b.text == "Français")
        update = await fake_api.press(6100, languages, french, "fr")
        await fake_api.confirmed(update, within=30)
        await asyncio.wait_for(fake_api.called("editMessageText"), 30)
        await asyncio.wait_for(fake_api.called("answerCallbackQuery"), 30)
        assert "Menu principal" in languages.text, "the language menu became the main menu"
        assert {"setMyCommands", "deleteWebhook"} <= {c.method for c in fake_api.calls}
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    log = output.decode("utf-8", "replace")
    assert process.returncode == 0, log[-2000:]
    assert "passerelle.stopping" in log and "telegram.stopped" in log
    assert fake_api.errors == []
