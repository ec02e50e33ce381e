"""A message acknowledged to Meta is handled exactly once, whatever stops on the way."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.channels.base import OutboxRetrier
from bot.channels.whatsapp import WhatsAppChannel, signature_of, update_id_of
from bot.storage.whatsapp import WhatsAppInbound
from dialogs.engine import Handled
from dialogs.incoming import Incoming
from tests.whatsapp import payloads
from tests.whatsapp.harness import SECRET, Harness, WhatsAppPerson


def crash_after_acknowledging(monkeypatch: pytest.MonkeyPatch, harness: Harness) -> None:
    """The process dies right after answering 200: the handling task never runs."""

    def drop(coroutine: Coroutine[Any, Any, None]) -> None:
        coroutine.close()

    monkeypatch.setattr(harness.channel, "_spawn", drop)


async def post(harness: Harness, person: WhatsAppPerson, text: str) -> int:
    harness.fake.person_wrote(person.wa_id, person.bsuid, at=harness.clock())
    body = json.dumps(person.webhook(payloads.text(text))).encode()
    response = await harness.post_raw(body, signature=signature_of(body, SECRET))
    return response.status_code


async def stored(harness: Harness) -> list[WhatsAppInbound]:
    async with harness.app.database.sessions() as session:
        return list(await session.scalars(select(WhatsAppInbound)))


@asynccontextmanager
async def another_process(harness: Harness) -> AsyncIterator[WhatsAppChannel]:
    """A second worker on the same database (its own channel, same settings)."""
    channel = WhatsAppChannel(harness.app, clock=harness.clock, retry_delays=(0.01,))
    try:
        yield channel
    finally:
        await channel.api.close()


def soon(harness: Harness) -> dt.datetime:
    return harness.clock() + dt.timedelta(minutes=1)


async def test_a_crash_after_the_200_loses_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina = harness.person()
    crash_after_acknowledging(monkeypatch, harness)
    assert await post(harness, amina, "bonjour") == 200
    assert amina.received == []
    assert len(await stored(harness)) == 1
    async with another_process(harness) as worker:
        assert await worker.sweep(soon(harness)) == 1
    assert "Choisissez votre langue" in str(amina.received[-1].body)
    assert await stored(harness) == []


async def test_a_crash_after_the_engine_s_commit_answers_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina = harness.person()
    crash_after_acknowledging(monkeypatch, harness)
    assert await post(harness, amina, "bonjour") == 200
    (row,) = await stored(harness)
    # The dead process had handled it in the engine, but neither sent nor deleted it.
    update_id = update_id_of(row.message_id, harness.channel.phone_number_id)
    handled: Handled = await harness.app.engine.handle(
        Incoming("whatsapp", row.platform_id, update_id, payloads_payload(row))
    )
    assert handled.outbox_ids
    async with another_process(harness) as worker:
        await worker.sweep(soon(harness))
    assert amina.received == [], "a duplicate to the engine: nothing sent twice"
    assert await stored(harness) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    assert await OutboxRetrier(harness.app.outbox, harness.channel).run_once(later) == len(
        handled.outbox_ids
    )
    languages = [s for s in amina.received if "Choisissez votre langue" in str(s.body)]
    assert len(languages) == 1


def payloads_payload(row: WhatsAppInbound) -> Any:
    from bot.channels.whatsapp import decode_payload

    return decode_payload(row.payload)


async def test_two_workers_sweeping_at_once_handle_a_message_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina = harness.person()
    crash_after_acknowledging(monkeypatch, harness)
    assert await post(harness, amina, "bonjour") == 200
    async with another_process(harness) as first, another_process(harness) as second:
        counts = await asyncio.gather(first.sweep(soon(harness)), second.sweep(soon(harness)))
    assert sorted(counts) == [0, 1]
    assert len(amina.received) == 1


async def test_a_failure_while_handling_is_tried_again_later(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina = harness.person()
    real_handle = harness.app.engine.handle
    calls = 0

    async def flaky(incoming: Incoming) -> Handled:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("select", {}, Exception("database is locked"))
        return await real_handle(incoming)

    monkeypatch.setattr(harness.app.engine, "handle", flaky)
    assert await amina.says("bonjour") == ""
    assert len(await stored(harness)) == 1
    early = harness.clock() + dt.timedelta(seconds=10)
    assert await harness.channel.sweep(early) == 0, "not before its backoff"
    assert await harness.channel.sweep(harness.clock() + dt.timedelta(hours=1)) == 1
    assert "Choisissez votre langue" in str(amina.received[-1].body)
    assert await stored(harness) == []


async def test_a_database_failure_is_not_acknowledged(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina = harness.person()

    async def broken(*_args: Any) -> list[str]:
        raise OperationalError("insert", {}, Exception("disk I/O error"))

    with monkeypatch.context() as patch:
        patch.setattr(harness.channel.store, "store_inbound", broken)
        assert await post(harness, amina, "bonjour") == 503
    assert amina.received == []
    # Meta delivers it again; now it is stored and answered.
    assert "Choisissez votre langue" in await amina.says("bonjour")


async def test_nothing_is_left_behind_after_a_journey(harness: Harness) -> None:
    amina = harness.person()
    await amina.says("bonjour")
    await amina.presses("Français")
    await amina.presses("Langue et réglages")
    async with harness.app.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WhatsAppInbound)) == 0
