"""Fixtures of the fault suite: a Telegram app on SQLite or PostgreSQL, the channel with
short waits, its outbox retrier running as in production (fast)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.channels.base import OutboxRetrier
from bot.channels.telegram import TelegramChannel
from bot.settings import Settings
from tests.conftest import fresh_postgres
from tests.telegram.conftest import (  # noqa: F401 (fixtures)
    TEST_LIMITS,
    fake_api,
    fresh_database,
    hot_path_calls_are_intended,
    seeded_database,
)
from tests.telegram.fake_api import FakeBotApi
from tests.whatsapp.conftest import (  # noqa: F401 (fixtures)
    catalogs,
    clock,
    fake_graph,
    harness,
    prepared_database,
    wa_settings,
)

#: Short waits everywhere: the suite's time is the faults' own.
HOLD = (0.2, 0.4, 0.8)
LEASE = 3.0


@pytest.fixture(params=["sqlite", "postgresql"])
async def fault_app(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fake_api: FakeBotApi,  # noqa: F811
    seeded_database: Path,  # noqa: F811
) -> AsyncIterator[App]:
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            fresh_database(tmp_path, seeded_database)
            url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
        else:
            url = await stack.enter_async_context(fresh_postgres())
        settings = Settings(
            database_url=url,
            telegram_token="123:abc",
            telegram_api_url=fake_api.url,
            delivery_lease_seconds=LEASE,
            _env_file=None,
        )
        application = await build_app(settings)
        try:
            yield application
        finally:
            await application.close()


@pytest.fixture
async def live(fault_app: App) -> AsyncIterator[TelegramChannel]:
    """`passerelle run`: the channel polling the fake, and its retrier every 0.2 s."""
    channel = TelegramChannel(
        fault_app, webhook=False, limits=TEST_LIMITS, poll_timeout=1, hold_delays=HOLD
    )
    retrier = OutboxRetrier(fault_app.outbox, channel, interval=0.2)
    await channel.start()
    retrier.start()
    try:
        yield channel
    finally:
        await retrier.stop()
        await channel.stop()
