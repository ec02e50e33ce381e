"""Telegram tests: a fake Bot API on 127.0.0.1, the real adapter, people as transcripts."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.channels.telegram import FloodLimits, TelegramChannel
from bot.settings import Settings
from tests.telegram.fake_api import FakeBotApi
from tests.telegram.transcript import TelegramPerson

#: Fast enough for tests; the pacing itself is tested with Telegram's real limits.
TEST_LIMITS = FloodLimits(chat_per_second=100.0, chat_burst=20, overall_per_second=1000.0)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def telegram_settings(tmp_path: Path, api_url: str, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db",
        telegram_token="123:abc",
        telegram_api_url=api_url,
        _env_file=None,
        **overrides,
    )


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the bundled knowledge imported, built once and copied per test."""
    folder = tmp_path_factory.mktemp("seed")

    async def seed() -> None:
        application = await build_app(telegram_settings(folder, "http://127.0.0.1:9"))
        await application.close()

    asyncio.run(seed())
    return folder / "t.db"


def fresh_database(tmp_path: Path, seeded: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        source = seeded.with_name(seeded.name + suffix)
        if source.exists():
            shutil.copy(source, tmp_path / f"t.db{suffix}")


@pytest.fixture
async def tg_app(tmp_path: Path, fake_api: FakeBotApi, seeded_database: Path) -> AsyncIterator[App]:
    fresh_database(tmp_path, seeded_database)
    application = await build_app(telegram_settings(tmp_path, fake_api.url))
    try:
        yield application
    finally:
        await application.close()


@pytest.fixture
async def polling(tg_app: App) -> AsyncIterator[TelegramChannel]:
    """The adapter in `passerelle run` mode, started against the fake."""
    channel = TelegramChannel(tg_app, webhook=False, limits=TEST_LIMITS, poll_timeout=1)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


@pytest.fixture
def person(fake_api: FakeBotApi, polling: TelegramChannel) -> TelegramPerson:
    return TelegramPerson(fake_api, polling, chat_id=4242, language_code="fr")


@pytest.fixture(autouse=True)
def hot_path_calls_are_intended() -> Iterator[None]:
    """As in production (see `bot.channels.telegram`): `do_api_request` is used on purpose."""
    import warnings

    from telegram.warnings import PTBUserWarning

    warnings.filterwarnings(
        "ignore", message=r"Please use 'Bot\.\w+' instead of", category=PTBUserWarning
    )
    yield
