"""WhatsApp under faults, through the fake Graph API and signed webhooks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Coroutine
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.whatsapp import signature_of
from bot.storage import RejectedUpdate
from bot.storage.whatsapp import WhatsAppInbound
from tests.whatsapp import payloads
from tests.whatsapp.harness import SECRET, Harness


async def post_signed(harness: Harness, payload: dict[str, Any]) -> int:
    # json.dumps writes a lone surrogate as the escape "\ud800", as a sender's client may.
    body = json.dumps(payload).encode()
    response = await harness.post_raw(body, signature=signature_of(body, SECRET))
    await harness.settle()
    return response.status_code


async def test_a_message_no_database_takes_is_rejected_and_the_others_answered(
    harness: Harness,
) -> None:
    amina = harness.person()
    bob = harness.person(wa_id="33698765432", bsuid="FR.2602576394655844")
    for person in (amina, bob):
        harness.fake.person_wrote(person.wa_id, person.bsuid, at=harness.clock())
    poison = amina.webhook(payloads.text("salut \ud800"))
    fine = bob.webhook(payloads.text("bonjour"))
    value = poison["entry"][0]["changes"][0]["value"]
    other = fine["entry"][0]["changes"][0]["value"]
    value["contacts"] += other["contacts"]
    value["messages"] += other["messages"]
    assert await post_signed(harness, poison) == 200
    assert amina.received == []
    assert "Choisissez votre langue" in str(bob.received[-1].body)
    # Delivered again by Meta: acknowledged again, and nothing twice.
    assert await post_signed(harness, poison) == 200
    assert len(bob.received) == 1
    async with harness.app.database.sessions() as session:
        rejected = list(await session.scalars(select(RejectedUpdate)))
        left = list(await session.scalars(select(WhatsAppInbound)))
    assert [(row.channel, row.reason) for row in rejected] == [("whatsapp", "invalid text")]
    assert left == []


async def test_a_persons_newer_message_waits_for_one_a_killed_process_held(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    amina = harness.person()
    harness.fake.person_wrote(amina.wa_id, amina.bsuid, at=harness.clock())
    channel = harness.channel
    with monkeypatch.context() as patch:

        def killed(coroutine: Coroutine[Any, Any, None]) -> None:
            coroutine.close()

        # Process A acknowledged the first message, claimed it and was killed.
        patch.setattr(channel, "_spawn", killed)
        assert await post_signed(harness, amina.webhook(payloads.text("bonjour"))) == 200
        (first,) = await stored(harness)
        now = harness.clock()
        assert await channel.store.claim(first.message_id, now, now + channel.lease)
    # Process B gets the person's next message: it waits behind the held one.
    press = payloads.list_reply("lang:fr", "Français")
    assert await post_signed(harness, amina.webhook(press)) == 200
    assert amina.received == []
    assert len(await stored(harness)) == 2
    # Once A's lease ends, both are handled, oldest first.
    assert await channel.sweep(now + channel.lease + dt.timedelta(seconds=1)) == 2
    bodies = [str(sent.body) for sent in amina.received]
    assert "Choisissez votre langue" in bodies[0]
    assert all("Choisissez votre langue" not in body for body in bodies[1:])
    assert len(bodies) >= 2
    assert await stored(harness) == []


async def stored(harness: Harness) -> list[WhatsAppInbound]:
    async with harness.app.database.sessions() as session:
        return list(await session.scalars(select(WhatsAppInbound)))
