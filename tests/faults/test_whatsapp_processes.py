"""Two real `python -m bot serve` processes on one database, WhatsApp webhooks spread over
them: a person's messages alternate between the processes, and the same webhook reaches
both; each person reads every reply once, in order."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.channels.whatsapp import WEBHOOK_PATH, signature_of
from tests.conftest import fresh_postgres, sqlite_url
from tests.whatsapp import payloads
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.harness import SECRET, TOKEN, VERIFY_TOKEN, Clock

ROOT = Path(__file__).resolve().parents[2]
LEASE = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(env: dict[str, str], log: Path) -> AsyncIterator[str]:
    port = free_port()
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--port",
            str(port),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(3000):
                try:
                    if (await client.get(f"{url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("serve did not start")
        assert process.returncode is None, log.read_text(errors="replace")[-3000:]  # noqa: ASYNC240
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def post(client: httpx.AsyncClient, url: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    response = await client.post(
        url + WEBHOOK_PATH,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature_of(body, SECRET),
        },
    )
    assert response.status_code == 200, response.text


def bodies(fake: FakeGraph, wa_id: str) -> list[str]:
    return [json.dumps(sent.body, sort_keys=True).replace(wa_id, "X") for sent in fake.to(wa_id)]


def script(wa_id: str, clock: Clock) -> list[dict[str, Any]]:
    at = clock()
    return [
        payloads.inbound(payloads.text("bonjour"), wa_id=wa_id, bsuid=None, at=at),
        payloads.inbound(
            payloads.list_reply("lang:fr", "Français"), wa_id=wa_id, bsuid=None, at=at
        ),
        payloads.inbound(payloads.text("bonjour"), wa_id=wa_id, bsuid=None, at=at),
    ]


async def until_quiet(fake: FakeGraph, people: list[str], at_least: int) -> None:
    async with asyncio.timeout(300):
        while any(len(fake.to(p)) < at_least for p in people):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await asyncio.sleep(LEASE + 3.0)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_one_persons_messages_over_two_processes(
    database: str,
    tmp_path: Path,
    fake_graph: FakeGraph,
    clock: Clock,
    prepared_database: Path,
) -> None:
    async with AsyncExitStack() as stack:
        if database == "sqlite":
            shutil.copy(prepared_database, tmp_path / "t.db")
            url = sqlite_url(tmp_path / "t.db")
        else:
            url = await stack.enter_async_context(fresh_postgres())
        env = {
            **os.environ,
            "PASSERELLE_DATABASE_URL": url,
            "PASSERELLE_WHATSAPP_TOKEN": TOKEN,
            "PASSERELLE_WHATSAPP_PHONE_NUMBER_ID": payloads.PHONE_NUMBER_ID,
            "PASSERELLE_WHATSAPP_APP_SECRET": SECRET,
            "PASSERELLE_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "PASSERELLE_WHATSAPP_API_URL": fake_graph.url,
            "PASSERELLE_DELIVERY_LEASE_SECONDS": str(LEASE),
            "PASSERELLE_LOG_LEVEL": "WARNING",
        }
        log = tmp_path / "serve.log"
        # Both start at once on the same database: migrations take turns.
        first, second = await asyncio.gather(
            stack.enter_async_context(serving(env, log)),
            stack.enter_async_context(serving(env, log)),
        )
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=30))

        # One person alone, one message at a time, all to the first process: the reference.
        control = "33600000000"
        fake_graph.person_wrote(control, at=clock())
        for count, payload in enumerate(script(control, clock), start=1):
            await post(client, first, payload)
            await until_quiet(fake_graph, [control], count)
        expected = bodies(fake_graph, control)
        assert len(expected) >= 3

        people = [f"336000{n:05d}" for n in range(1, 13)]
        for wa_id in people:
            fake_graph.person_wrote(wa_id, at=clock())
        scripts = {wa_id: script(wa_id, clock) for wa_id in people}
        for step, targets in enumerate(([first], [second], [first, second])):
            # Each message posted once its previous got its 200: first, second, then the
            # last one to both processes (a redelivery).
            for wa_id in people:
                for target in targets:
                    await post(client, target, scripts[wa_id][step])
        await until_quiet(fake_graph, people, len(expected))
        wrong = {p: bodies(fake_graph, p) for p in people if bodies(fake_graph, p) != expected}
        assert wrong == {}, f"{len(wrong)} of {len(people)} people: lost, doubled or out of order"
