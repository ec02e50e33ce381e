"""kill -9 in the middle of a burst, then a restart: real `python -m bot run` processes
polling the fake Bot API; every reply once, in each chat's order."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres
from tests.faults.people import MARKERS, SCRIPT, check_exactly_once_in_order, received
from tests.telegram.conftest import fresh_database
from tests.telegram.fake_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
CHATS = [9000 + n for n in range(10)]
LEASE = 2.0


@asynccontextmanager
async def bot_process(env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot run`; killed with SIGKILL by the test, or stopped on exit."""
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def until(condition_met: object, within: float, what: str, log: Path) -> None:
    assert callable(condition_met)
    try:
        async with asyncio.timeout(within):
            while not condition_met():  # noqa: ASYNC110 (polling the fake's state)
                await asyncio.sleep(0.05)
    except TimeoutError:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""  # noqa: ASYNC240
        raise AssertionError(f"timed out waiting for {what}\n{tail}") from None


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_kill_9_mid_burst_then_restart(
    database: str, tmp_path: Path, fake_api: FakeBotApi, seeded_database: Path
) -> None:
    async with AsyncExitStack() as stack:
        if database == "sqlite":
            fresh_database(tmp_path, seeded_database)
            url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
        else:
            url = await stack.enter_async_context(fresh_postgres())
        env = {
            **os.environ,
            "PASSERELLE_DATABASE_URL": url,
            "PASSERELLE_TELEGRAM_TOKEN": fake_api.token,
            "PASSERELLE_TELEGRAM_API_URL": fake_api.url,
            "PASSERELLE_DELIVERY_LEASE_SECONDS": str(LEASE),
            "PASSERELLE_LOG_LEVEL": "INFO",
        }
        log = tmp_path / "bot.log"

        async with bot_process(env, log) as first:
            for chat_id in CHATS:
                await fake_api.send_text(chat_id, "/start", language_code=None)
            await until(
                lambda: all(fake_api.last_keyboard(c) for c in CHATS), 240, "language screens", log
            )
            last = 0
            for chat_id in CHATS:
                screen = fake_api.last_keyboard(chat_id)
                assert screen is not None
                last = await fake_api.press(chat_id, screen, "lang:en", language_code=None)
            await fake_api.confirmed(last, within=240)
            await until(lambda: not fake_api.open_callbacks, 120, "presses answered", log)
            await asyncio.sleep(1.0)
            for chat_id in CHATS:
                fake_api.messages(chat_id).clear()

            # The burst: a third of it is sent, then sends hang in flight and the process
            # is killed with its updates handled, replies queued and some sent.
            fake_api.pause_sends_after(len(CHATS) * len(SCRIPT) // 3)
            for text in SCRIPT:
                for chat_id in CHATS:
                    await fake_api.send_text(chat_id, text, language_code=None)
            # Each chat with replies left has one send in flight: it sent it only after
            # marking its previous one, so nothing Telegram took is unmarked. (Chats done
            # already had a moment to mark their last one.)
            await until(
                lambda: (
                    fake_api.chats_waiting
                    and fake_api.chats_waiting
                    == {c for c in CHATS if len(received(fake_api, c)) < len(SCRIPT)}
                ),
                240,
                "sends in flight",
                log,
            )
            await asyncio.sleep(1.0)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            fake_api.resume()
        delivered_before = sum(len(received(fake_api, c)) for c in CHATS)
        assert 0 < delivered_before < len(CHATS) * len(SCRIPT)

        async with bot_process(env, log):
            await until(
                lambda: all(len(received(fake_api, c)) >= len(SCRIPT) for c in CHATS),
                240,
                "every reply after the restart",
                log,
            )
            # Past a lease and the retrier's rounds: a double would show now.
            await asyncio.sleep(LEASE + 3.0)
        check_exactly_once_in_order(fake_api, CHATS)
        assert all(kind in MARKERS for c in CHATS for kind in received(fake_api, c))
