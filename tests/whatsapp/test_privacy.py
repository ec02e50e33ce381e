"""No message text, phone number or WhatsApp id reaches the logs."""

from __future__ import annotations

import logging

import pytest

from dialogs.replies import Text
from tests.whatsapp import payloads
from tests.whatsapp.harness import Harness

PHONE = "33698765432"
BSUID = "FR.4242424242424242"
SECRET_WORDS = "Je m'appelle Mariam Diallo, né le 02/03/1990"


async def test_a_whole_conversation_leaves_no_personal_data_in_the_logs(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # Everything at INFO (httpx, uvicorn, sqlalchemy...), Passerelle's own loggers at DEBUG.
    # (aiosqlite's DEBUG records show SQL parameters: a deployment never runs it at DEBUG.)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="passerelle")
    mariam = harness.person(wa_id=PHONE, bsuid=BSUID)
    await mariam.says(f"e-health-ame {SECRET_WORDS}")
    await mariam.presses("Français")
    await mariam.says(SECRET_WORDS)
    await mariam.send(payloads.location(48.8566, 2.3522))
    await mariam.send(payloads.audio())
    harness.clock.advance(hours=30)
    await harness.channel.notify(
        BSUID, "booking_reminder", "fr", {"service": "Mariam Diallo", "when": "demain"}, [Text("x")]
    )
    await harness.post(
        payloads.status(
            "failed", wamid="wamid.out.1", recipient_id=PHONE, at=harness.clock(), error_code=131026
        )
    )
    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    )
    assert caplog.records, "the test did log something"
    for personal in (PHONE, BSUID, "Mariam", "Diallo", "1990", "4242"):
        assert personal not in logged, personal
