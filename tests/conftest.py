"""Shared fixtures: an app on a fresh SQLite file, a transcript driver, and no network."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.channels.console import ConsoleChannel
from bot.settings import Settings
from dialogs.replies import Reply, text_of

#: The booking tests' own catalogue (slot services included), for every app a test builds:
#: the settings read it from the environment, like any other setting.
TEST_SERVICES = Path(__file__).resolve().parent / "data" / "services.yaml"
os.environ["PASSERELLE_SERVICES_FILE"] = str(TEST_SERVICES)


def _loopback(host: Any) -> bool:
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
def no_outside_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests talk to 127.0.0.1 only: fakes of the platforms, PostgreSQL, nothing else.

    Name lookups are refused too, so a client pointed at a real API host fails at once.
    """
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        # Unix sockets have a path, not a (host, port) pair.
        if isinstance(address, tuple) and address and not _loopback(address[0]):
            raise OSError(f"test tried to reach an outside host: {address!r}")

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            raise OSError(f"test tried to look up an outside host: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated and loaded with the bundled content once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "passerelle.db"

    async def prepare() -> None:
        application = await build_app(Settings(database_url=sqlite_url(path), _env_file=None))
        await application.close()

    asyncio.run(prepare())
    return path


@pytest.fixture
def settings(tmp_path: Path, template_database: Path) -> Settings:
    target = tmp_path / "passerelle.db"
    shutil.copyfile(template_database, target)
    return Settings(database_url=sqlite_url(target), _env_file=None)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    application = await build_app(settings)
    try:
        yield application
    finally:
        await application.close()


class Chat:
    """A person talking to the bot through the terminal channel, as a transcript."""

    def __init__(self, app: App, user: str = "tester") -> None:
        self.out = io.StringIO()
        self.channel = ConsoleChannel(app, user=user, out=self.out)
        self.last: list[Reply] = []

    async def say(self, text: str) -> str:
        """Send a line (a number presses that option); returns what the bot answered."""
        self.last = await self.channel.send(text)
        return "\n".join(text_of(reply) for reply in self.last)

    async def press(self, label_part: str) -> str:
        """Press the option whose label contains `label_part`."""
        for number, option_id in self.channel.numbers.items():
            label = self.label_of(option_id)
            if label_part.casefold() in label.casefold():
                return await self.say(number)
        shown = [self.label_of(option_id) for option_id in self.channel.numbers.values()]
        raise AssertionError(f"no option like {label_part!r} in {shown}")

    async def choose(self, option_id: str) -> str:
        """Press the option with this id (or the first whose id starts with it)."""
        for number, shown in self.channel.numbers.items():
            if shown == option_id:
                return await self.say(number)
        for number, shown in self.channel.numbers.items():
            if shown.startswith(option_id):
                return await self.say(number)
        raise AssertionError(f"no option {option_id!r} in {list(self.channel.numbers.values())}")

    def label_of(self, option_id: str) -> str:
        from dialogs.replies import Options

        for reply in self.last:
            if isinstance(reply, Options):
                for option in reply.all_options():
                    if option.id == option_id:
                        return option.label
        return ""

    def option_ids(self) -> list[str]:
        return list(self.channel.numbers.values())


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app)


POSTGRES_ADMIN_URL = os.environ.get(
    "PASSERELLE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


async def _postgres_admin() -> Any:
    import asyncpg

    url = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    return await asyncpg.connect(url, timeout=5)


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; the test is skipped without one."""
    try:
        admin = await _postgres_admin()
    except (OSError, Exception) as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}")
    name = f"passerelle_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    async with fresh_postgres() as url:
        yield url
