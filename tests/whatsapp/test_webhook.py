"""The webhook: verification, signatures, malformed and oversized bodies, duplicates, statuses."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.channels.registry import build_channels
from bot.channels.whatsapp import WEBHOOK_PATH, WhatsAppChannel, signature_of
from bot.storage.whatsapp import WhatsAppInbound
from tests.whatsapp import payloads
from tests.whatsapp.harness import SECRET, VERIFY_TOKEN, Harness


async def stored_count(harness: Harness) -> int:
    async with harness.app.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(WhatsAppInbound)) or 0)


# -- GET verification ----------------------------------------------------------------------------


async def test_verification_answers_the_challenge_as_plain_text(harness: Harness) -> None:
    response = await harness.http.get(
        WEBHOOK_PATH,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "not-the-token", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
async def test_verification_refuses_anything_else(harness: Harness, params: dict[str, str]) -> None:
    response = await harness.http.get(WEBHOOK_PATH, params=params)
    assert response.status_code == 403
    assert "1" != response.text


# -- signatures -----------------------------------------------------------------------------------


async def test_a_well_signed_message_is_answered(harness: Harness) -> None:
    amina = harness.person()
    answer = await amina.says("bonjour")
    assert "Choisissez votre langue" in answer


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        (None, 401),
        ("", 401),
        ("sha256=" + "0" * 64, 403),
        ("sha1=deadbeef", 403),
        ("wrong", 403),
    ],
)
async def test_unsigned_or_badly_signed_posts_have_no_effect(
    harness: Harness, signature: str | None, status: int
) -> None:
    amina = harness.person()
    body = json.dumps(amina.webhook(payloads.text("bonjour"))).encode()
    response = await harness.post_raw(body, signature=signature)
    await harness.settle()
    assert response.status_code == status
    assert amina.received == []
    assert await stored_count(harness) == 0


async def test_a_signature_with_another_secret_is_refused(harness: Harness) -> None:
    amina = harness.person()
    body = json.dumps(amina.webhook(payloads.text("bonjour"))).encode()
    response = await harness.post_raw(body, signature=signature_of(body, "another-secret"))
    await harness.settle()
    assert response.status_code == 403
    assert amina.received == []


async def test_the_signature_covers_the_raw_bytes(harness: Harness) -> None:
    """Re-serialising the JSON (spaces, key order) would break Meta's signature."""
    amina = harness.person()
    harness.fake.person_wrote(amina.wa_id, amina.bsuid, at=harness.clock())
    body = json.dumps(amina.webhook(payloads.text("bonjour")), indent=2).encode()
    signature = signature_of(body, SECRET)
    tampered = body.replace(b"bonjour", b"bonsoir")
    assert (await harness.post_raw(tampered, signature=signature)).status_code == 403
    assert (await harness.post_raw(body, signature=signature)).status_code == 200
    await harness.settle()
    assert amina.received


# -- malformed and oversized bodies -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\x00", b"[1, 2, 3]", b'"text"', b"", b"[" * 30000 + b"]" * 30000],
)
async def test_malformed_json_is_a_400(harness: Harness, body: bytes) -> None:
    response = await harness.post_raw(body, signature=signature_of(body, SECRET))
    assert response.status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account", "entry": "nope"},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": 3}]}]},
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"id": 1}]}}]}],
        },
    ],
)
async def test_unexpected_shapes_are_acknowledged_and_ignored(
    harness: Harness, payload: dict[str, object]
) -> None:
    response = await harness.post(payload)
    assert response.status_code == 200
    assert harness.fake.sent == []


async def test_an_oversized_body_is_a_413(harness: Harness) -> None:
    amina = harness.person()
    webhook = amina.webhook(payloads.text("x" * (70 * 1024)))
    body = json.dumps(webhook).encode()
    response = await harness.post_raw(body, signature=signature_of(body, SECRET))
    await harness.settle()
    assert response.status_code == 413
    assert amina.received == []


async def test_an_oversized_body_without_a_length_is_a_413(harness: Harness) -> None:
    """Chunked: no Content-Length to trust, the read itself stops at the limit."""
    body = b'{"object": "whatsapp_business_account", "padding": "' + b"x" * (70 * 1024) + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = await harness.http.post(
        WEBHOOK_PATH,
        content=chunks(),
        headers={"X-Hub-Signature-256": signature_of(body, SECRET)},
    )
    assert response.status_code == 413


def test_the_default_body_limit_is_one_mebibyte() -> None:
    from bot.settings import Settings

    assert Settings(_env_file=None).whatsapp_max_body_bytes == 1024 * 1024


# -- duplicates, statuses, other numbers ----------------------------------------------------------


async def test_a_message_delivered_twice_has_one_effect(harness: Harness) -> None:
    amina = harness.person()
    await amina.says("bonjour")
    mid = payloads.message_id()
    first = await amina.send(payloads.list_reply("lang:fr", "Français"), mid=mid)
    assert "Menu principal" in first
    again = await amina.send(payloads.list_reply("lang:fr", "Français"), mid=mid)
    assert again == ""
    assert (
        sum(
            "Menu principal" in m.body.get("interactive", {}).get("body", {}).get("text", "")
            for m in amina.received
        )
        == 1
    )


async def test_a_message_delivered_twice_at_once_has_one_effect(harness: Harness) -> None:
    amina = harness.person()
    await amina.says("bonjour")
    harness.fake.person_wrote(amina.wa_id, amina.bsuid, at=harness.clock())
    webhook = amina.webhook(payloads.list_reply("lang:fr", "Français"))
    body = json.dumps(webhook).encode()
    signature = signature_of(body, SECRET)
    before = len(amina.received)
    responses = await asyncio.gather(
        *(harness.post_raw(body, signature=signature) for _ in range(4))
    )
    await harness.settle()
    assert [r.status_code for r in responses] == [200] * 4
    menus = [m for m in amina.received[before:] if "Menu principal" in str(m.body)]
    assert len(menus) == 1
    assert await stored_count(harness) == 0


async def test_a_status_callback_is_counted_not_answered(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="passerelle.whatsapp")
    response = await harness.post(
        payloads.status(
            "delivered", wamid="wamid.out.1", recipient_id="33612345678", at=harness.clock()
        )
    )
    await harness.post(
        payloads.status("read", wamid="wamid.out.1", recipient_id="33612345678", at=harness.clock())
    )
    assert response.status_code == 200
    assert harness.channel.statuses == {"delivered": 1, "read": 1}
    assert harness.fake.sent == []
    assert await stored_count(harness) == 0
    assert "delivered=1" in caplog.text


async def test_a_message_for_another_business_number_is_ignored(harness: Harness) -> None:
    webhook = payloads.inbound(
        payloads.text("bonjour"),
        wa_id="33612345678",
        bsuid=None,
        at=harness.clock(),
        phone_number_id="999999999",
    )
    response = await harness.post(webhook)
    assert response.status_code == 200
    assert harness.fake.sent == []


async def test_serve_builds_the_whatsapp_channel_from_settings(harness: Harness) -> None:
    channels = build_channels(harness.app, webhook=True)
    try:
        assert [type(channel) for channel in channels] == [WhatsAppChannel]
        assert [route.path for route in channels[0].routes()] == [WEBHOOK_PATH]  # type: ignore[attr-defined]
    finally:
        for channel in channels:
            await channel.stop()
