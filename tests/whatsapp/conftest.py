"""WhatsApp tests: uvicorn serving the real webhook, a fake Cloud API, loopback only."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.channels.whatsapp import WhatsAppChannel
from bot.settings import Settings
from dialogs.i18n import Catalogs
from tests.conftest import sqlite_url
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.harness import SECRET, TOKEN, VERIFY_TOKEN, Clock, Harness, serving
from tests.whatsapp.payloads import PHONE_NUMBER_ID

TEMPLATES: dict[str, Any] = {
    "booking_reminder": {
        "fr": {
            "name": "rappel_rendez_vous",
            "language": "fr",
            "params": ["service", "when"],
            "buttons": ["nav:menu"],
        },
        "en": {
            "name": "appointment_reminder",
            "language": "en_GB",
            "params": ["service", "when"],
            "buttons": ["nav:menu"],
        },
    }
}
#: What the fake knows of them: body parameters and quick-reply buttons.
APPROVED = {"rappel_rendez_vous": (2, 1), "appointment_reminder": (2, 1)}


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.fixture(scope="session")
def prepared_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated and filled with the bundled knowledge once; each test copies it."""
    path = tmp_path_factory.mktemp("whatsapp-template") / "template.db"

    async def prepare() -> None:
        app = await build_app(Settings(database_url=sqlite_url(path), _env_file=None))
        await app.close()

    # Its own thread and event loop, away from the tests' loops.
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(prepare())
        except BaseException as error:  # re-raised below, in the test's thread
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake_graph(clock: Clock) -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(PHONE_NUMBER_ID, TOKEN, clock, templates=dict(APPROVED))
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
def wa_settings(tmp_path: Path, fake_graph: FakeGraph, prepared_database: Path) -> Settings:
    shutil.copy(prepared_database, tmp_path / "t.db")
    return Settings(
        database_url=sqlite_url(tmp_path / "t.db"),
        whatsapp_token=TOKEN,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_app_secret=SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_api_url=fake_graph.url,
        whatsapp_templates=TEMPLATES,
        whatsapp_max_body_bytes=64 * 1024,
        _env_file=None,
    )


@pytest.fixture
async def harness(
    wa_settings: Settings, fake_graph: FakeGraph, clock: Clock, catalogs: Catalogs
) -> AsyncIterator[Harness]:
    app = await build_app(wa_settings, clock=clock, catalogs=catalogs)
    channel = WhatsAppChannel(
        app,
        clock=clock,
        retry_delays=(0.01, 0.02, 0.04),
        sweep_interval=3600.0,
        hold_delays=(0.05,),
    )
    async with serving(app, channel) as base_url:
        running = Harness(app, channel, fake_graph, clock, base_url)
        try:
            yield running
        finally:
            await running.http.aclose()
    assert fake_graph.unexpected_refusals() == []
