"""Telegram under faults, through the fake Bot API: every reply once, in each chat's order."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.app import App
from bot.channels.telegram import TelegramChannel
from tests.faults.conftest import LEASE
from tests.faults.people import (
    SCRIPT,
    all_received,
    check_exactly_once_in_order,
    in_english,
    run_script,
    settled,
)
from tests.telegram.fake_api import FakeBotApi

CHATS = [7000 + n for n in range(15)]


async def finished(fault_app: App, fake: FakeBotApi, live: TelegramChannel) -> None:
    """Everything expected arrived; then past a lease, for a double to show if any."""
    await all_received(fake, CHATS)
    await live.drain()
    await asyncio.sleep(LEASE + 1.0)
    check_exactly_once_in_order(fake, CHATS)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert await fault_app.outbox.pending("telegram", later) == []


async def test_a_long_flood_wait_sends_each_reply_once(
    fault_app: App, fake_api: FakeBotApi, live: TelegramChannel
) -> None:
    await in_english(fake_api, live, CHATS)
    # Longer than flood control's own retries and than the lease: the lane holds, the
    # claim is renewed, the retrier (every 0.2 s) never takes the replies.
    fake_api.flood("sendMessage", retry_after=2, times=4)
    await run_script(fake_api, CHATS)
    await finished(fault_app, fake_api, live)


async def test_server_errors_hold_the_chat_not_the_others(
    fault_app: App, fake_api: FakeBotApi, live: TelegramChannel
) -> None:
    await in_english(fake_api, live, CHATS)
    fake_api.fail("sendMessage", code=500, times=10)
    await run_script(fake_api, CHATS)
    await finished(fault_app, fake_api, live)


async def test_the_first_send_to_each_chat_failing_keeps_the_order(
    fault_app: App, fake_api: FakeBotApi, live: TelegramChannel
) -> None:
    await in_english(fake_api, live, CHATS)
    fake_api.fail_first_send_per_chat(500)
    await run_script(fake_api, CHATS)
    await finished(fault_app, fake_api, live)
    assert set(fake_api.first_send_fails) == set(CHATS)


async def test_read_timeouts_not_delivered_are_sent_again_once(
    fault_app: App, fake_api: FakeBotApi, live: TelegramChannel
) -> None:
    await in_english(fake_api, live, CHATS)
    # The client gives up after its read timeout (5 s); nothing was sent.
    fake_api.slow("sendMessage", 6.0, delivered=False, times=5)
    await run_script(fake_api, CHATS)
    await finished(fault_app, fake_api, live)


async def test_connections_refused_for_a_while(
    fault_app: App, fake_api: FakeBotApi, live: TelegramChannel
) -> None:
    await in_english(fake_api, live, CHATS)
    last = await run_script(fake_api, CHATS[:5], SCRIPT[:1])
    await settled(fake_api, live, last)
    refusing = asyncio.create_task(fake_api.refuse_connections(3.0))
    await asyncio.sleep(0.1)
    for chat_id in CHATS[:5]:
        fake_api.messages(chat_id).clear()
    # Queued while the server is away: polling and sending both fail, then recover.
    await run_script(fake_api, CHATS)
    await refusing
    await finished(fault_app, fake_api, live)
