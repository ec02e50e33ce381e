"""WhatsApp tests: uvicorn serving the real webhook, a fake Cloud API, loopback only."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Iterator
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


def _loopback(host: object) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No WhatsApp test may reach an outside host: no name lookups, no connections."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            raise OSError(f"test tried to look up an outside host: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and not _loopback(address[0]):
            raise OSError(f"test tried to reach an outside host: {address!r}")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and not _loopback(address[0]):
            raise OSError(f"test tried to reach an outside host: {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


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
        app, clock=clock, retry_delays=(0.01, 0.02, 0.04), sweep_interval=3600.0
    )
    async with serving(app, channel) as base_url:
        running = Harness(app, channel, fake_graph, clock, base_url)
        try:
            yield running
        finally:
            await running.http.aclose()
    assert fake_graph.unexpected_refusals() == []
