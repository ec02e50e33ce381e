"""Sending: rate limits retried with backoff, failures left to the outbox, media uploaded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.channels.base import OutboxRetrier
from bot.storage import OutboxRow
from dialogs.replies import Card, Media, MediaKind, Text
from tests.whatsapp.harness import Harness, WhatsAppPerson


async def outbox_rows(harness: Harness) -> list[OutboxRow]:
    async with harness.app.database.sessions() as session:
        return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def in_french(person: WhatsAppPerson) -> None:
    await person.says("bonjour")
    await person.presses("Français")


async def test_replies_sent_are_marked_sent(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    rows = await outbox_rows(harness)
    assert rows and all(row.sent_at is not None for row in rows)


async def test_rate_limits_are_retried_with_backoff(harness: Harness) -> None:
    amina = harness.person()
    harness.fake.expected_refusals |= {0, 130429}
    harness.fake.failures = [(429, None), (400, 130429), (429, None)]
    answer = await amina.says("bonjour")
    assert "Choisissez votre langue" in answer
    assert [code for code, _ in harness.fake.refused] == [0, 130429, 0]


async def test_when_rate_limits_last_the_reply_is_held_then_sent_once(
    harness: Harness,
) -> None:
    # Past the Graph client's own retries the person's reply is held (claimed by this
    # process) for Meta's Retry-After, then sent: once, and before anything later.
    amina = harness.person()
    harness.fake.expected_refusals |= {130429}
    harness.fake.retry_after = 0.2
    harness.fake.failures = [(400, 130429)] * 4
    assert "Choisissez votre langue" in await amina.says("bonjour")
    rows = await outbox_rows(harness)
    assert rows and all(row.sent_at is not None and row.attempts == 0 for row in rows)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    assert await OutboxRetrier(harness.app.outbox, harness.channel).run_once(later) == 0
    assert len(amina.received) == len(rows)


async def test_other_passing_errors_are_tried_again_in_order(harness: Harness) -> None:
    amina = harness.person()
    harness.fake.expected_refusals |= {131000}
    harness.fake.failures = [(500, 131000)]
    assert "Choisissez votre langue" in await amina.says("bonjour")
    assert len(harness.fake.refused) == 1
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    assert await OutboxRetrier(harness.app.outbox, harness.channel).run_once(later) == 0


async def test_a_refusal_for_good_is_left_to_the_outbox(harness: Harness) -> None:
    amina = harness.person()
    await amina.says("bonjour")
    harness.fake.expected_refusals |= {131026}
    harness.fake.failures = [(400, 131026)]
    assert await amina.presses("Français") == ""
    assert len(harness.fake.refused) == 1, "not retried at once"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert await OutboxRetrier(harness.app.outbox, harness.channel).run_once(later) >= 1
    assert amina.received


async def test_a_calendar_file_is_uploaded_then_sent(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    media = Media(
        MediaKind.DOCUMENT,
        caption="Votre rendez-vous",
        filename="rendez-vous.ics",
        content=ics,
        mime_type="text/calendar",
    )
    await harness.channel.deliver(amina.bsuid or "", [media])
    last = amina.received[-1]
    assert last.kind == "document"
    document = last.body["document"]
    assert document["filename"] == "rendez-vous.ics"
    assert document["caption"] == "Votre rendez-vous"
    assert harness.fake.uploads[document["id"]] == ("text/plain", "rendez-vous.ics", ics)


async def test_cards_and_long_texts_are_delivered(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    before = len(amina.received)
    card = Card(title="AME", body="Les *soins* gratuits.\n\n" * 400, footer="Vérifié le 27/11/2026")
    await harness.channel.deliver(amina.bsuid or "", [card, Text("Fin.")])
    sent = amina.received[before:]
    assert len(sent) >= 4
    assert sent[0].body["text"]["body"].startswith("*AME*")
    assert sent[-2].body["text"]["body"].endswith("_Vérifié le 27/11/2026_")
    assert all(len(s.body["text"]["body"]) <= 4096 for s in sent)
