"""The workspace served for real: uvicorn on 127.0.0.1 in a thread with its own event loop
(the app, its SQLite connection and the fake platforms live there), and Chromium from the
distribution driven by Playwright from the test's thread."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import uvicorn

from bot.app import App, build_app
from bot.channels.base import Channel
from bot.settings import Settings
from bot.web import build_web_app
from bot.workspace import accounts
from bot.workspace.accounts import WorkspaceRole

T = TypeVar("T")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """The distribution's Chromium (never a browser downloaded by Playwright)."""
    named = os.environ.get("PASSERELLE_CHROMIUM")
    if named and os.path.exists(named):
        return named
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


ChannelsFactory = Callable[[App], Awaitable[Sequence[Channel]]]


class Live:
    """One served app for a test module; `call` runs a coroutine on its loop."""

    def __init__(
        self,
        settings: Settings,
        channels: ChannelsFactory | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.channels_factory = channels
        self.clock = clock
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.url = ""
        self.app: App | None = None
        self.channels: Sequence[Channel] = ()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        #: What else to stop on the loop once the server has stopped (the fake platforms).
        self.on_stop: list[Callable[[], Awaitable[None]]] = []

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self) -> Live:
        self.thread.start()
        self.call(self._start(), timeout=120)
        return self

    async def _start(self) -> None:
        if self.clock is not None:
            self.app = await build_app(self.settings, clock=self.clock)
        else:
            self.app = await build_app(self.settings)
        self.channels = await self.channels_factory(self.app) if self.channels_factory else ()
        web = build_web_app(self.app, self.channels)
        port = free_port()
        config = uvicorn.Config(
            web,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                break
            await asyncio.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        try:
            self.call(self._stop(), timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)

    async def _stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        for done in self.on_stop:
            await done()

    def add_account(self, email: str, role: WorkspaceRole) -> str:
        """A new account; returns its one-time sign-in link."""
        assert self.app is not None
        app = self.app

        async def add() -> str:
            _account, token = await accounts.add_account(
                app.database.write_sessions, email, role, dt.datetime.now(dt.UTC)
            )
            return token

        return f"{self.url}/admin/welcome/{self.call(add())}"


CSRF = re.compile(r'name="csrf" value="([^"]+)"')
