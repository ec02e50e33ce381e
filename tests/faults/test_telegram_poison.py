"""Telegram updates that cannot be read, and update ids that start again."""

from __future__ import annotations

import datetime as dt

from bot.app import App
from bot.channels.base import OutboxRetrier
from bot.channels.telegram import TelegramChannel
from tests.faults.people import MARKERS, received, settled
from tests.telegram.conftest import TEST_LIMITS
from tests.telegram.fake_api import FakeBotApi


async def test_poison_updates_are_skipped_and_polling_goes_on(
    fault_app: App, fake_api: FakeBotApi, live: TelegramChannel
) -> None:
    fake_api.messages(8002)  # the chat exists on Telegram's side
    # A press on a message dated out of any calendar's range (read_update used to raise,
    # ending the poller), and a name with a lone surrogate (orjson refused the whole batch).
    await fake_api.queue_raw(
        {
            "callback_query": {
                "id": "cb-poison",
                "from": {"id": 8001, "is_bot": False, "first_name": "A"},
                "message": {
                    "message_id": 1,
                    "date": 10**15,
                    "chat": {"id": 8001, "type": "private"},
                },
                "data": "lang:en",
            }
        }
    )
    await fake_api.queue_raw(
        {
            "message": {
                "message_id": 2,
                "date": 1_700_000_000,
                "chat": {"id": 8002, "type": "private"},
                "from": {"id": 8002, "is_bot": False, "first_name": "\ud83d"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        }
    )
    last = await fake_api.send_text(8003, "/start", language_code=None)
    await settled(fake_api, live, last)
    assert live.healthy
    for chat_id in (8002, 8003):
        screens = [m for m in fake_api.messages(chat_id) if m.from_bot]
        assert len(screens) == 1, chat_id
        assert MARKERS["/language"] in screens[0].text
    # The poller is alive: a later update is answered too.
    last = await fake_api.send_text(8004, "/start", language_code=None)
    await settled(fake_api, live, last)
    assert len(received(fake_api, 8004)) == 1


async def test_a_new_token_starts_its_own_update_ids(
    fault_app: App, fake_api: FakeBotApi, live: TelegramChannel
) -> None:
    last = await fake_api.send_text(8101, "/start", language_code=None)
    await settled(fake_api, live, last)
    await live.stop()
    # Another bot (a new token) on the same database: its ids start again at 1.
    other = FakeBotApi(token="124:xyz")
    await other.start()
    settings = fault_app.settings
    try:
        fault_app.settings = settings.model_copy(
            update={"telegram_token": "124:xyz", "telegram_api_url": other.url}
        )
        channel = TelegramChannel(fault_app, webhook=False, limits=TEST_LIMITS, poll_timeout=1)
        await channel.start()
        try:
            first = await other.send_text(8102, "/start", language_code=None)
            assert first == last == 1
            await settled(other, channel, first)
            assert len([m for m in other.messages(8102) if m.from_bot]) == 1
        finally:
            await channel.stop()
    finally:
        fault_app.settings = settings
        await other.stop()


async def test_ids_past_the_redelivery_window_are_forgotten(
    fault_app: App, fake_api: FakeBotApi, live: TelegramChannel
) -> None:
    last = await fake_api.send_text(8201, "/start", language_code=None)
    await settled(fake_api, live, last)
    retrier = OutboxRetrier(
        fault_app.outbox, live, processed_window=fault_app.settings.processed_window("telegram")
    )
    now = dt.datetime.now(dt.UTC)
    assert await retrier.prune(now) == 0, "within the window: kept"
    assert await retrier.prune(now + dt.timedelta(hours=49)) >= 1
    # A week of silence later Telegram numbers updates from 1 again: not a duplicate.
    fake_api.restart_update_ids()
    await live.stop()
    channel = TelegramChannel(fault_app, webhook=False, limits=TEST_LIMITS, poll_timeout=1)
    await channel.start()
    try:
        again = await fake_api.send_text(8201, "/start", language_code=None)
        assert again == last
        await settled(fake_api, channel, again)
    finally:
        await channel.stop()
    assert len([m for m in fake_api.messages(8201) if m.from_bot]) == 2
