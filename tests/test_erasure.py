""" "Forget me" erases a person from every table, in a process that never loaded a channel.

The person used Telegram and WhatsApp (two people to Passerelle: one per channel) and
booked an appointment on each. After each is forgotten, no row of any table of the one
metadata carries their id, their platform ids, their phone number or what they wrote;
only their `people` row stays, emptied (the key their chat goes on with).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import asyncio, datetime as dt, sys, uuid
from sqlalchemy import select

from bookings.slots import SlotPlan
from bookings.views import Contact
from bookings.views import PARIS
from bot.app import build_app
from bot.settings import Settings
from bot.storage import Base, PersonRow
from bot.storage.whatsapp import WhatsAppAlias, WhatsAppContact, WhatsAppNotification
from dialogs.replies import Text

TELEGRAM, BSUID, PHONE = "777000123", "FR.5550001112", "33655500011"
SECRETS = (
    TELEGRAM, BSUID, PHONE, "+33612345678", "my secret question", "my secret reply",
    "my secret follow-up",
)


async def main(url: str) -> None:
    app = await build_app(Settings(database_url=url, _env_file=None))
    now = dt.datetime(2031, 3, 3, 8, 0, tzinfo=PARIS).astimezone(dt.UTC)
    desk = app.bookings
    ids = {}
    for channel, platform_id in (("telegram", TELEGRAM), ("whatsapp", BSUID)):
        async with app.engine.store.unit() as units:
            assert await units.claim_update(channel, uuid.uuid4().hex)
            person = await units.person(channel, platform_id)
            person.locale = "en"
            person.situation = "asylum"
            person.consents["remember_situation"] = True
            await units.save_person(person)
            await units.queue(person, [Text("my secret reply")])
            number = await units.open_ticket(person, "en", "my secret question")
            # Their words in the ticket's thread, as the agents' workspace keeps them.
            assert await app.engine.services.tickets.add_from_person(
                units, person, number, "my secret follow-up"
            )
            ids[channel] = person.id
    start = dt.datetime(2031, 3, 10, 9, 0, tzinfo=PARIS)
    plans = [
        SlotPlan("mental-health", "centre-primo-levi", start + dt.timedelta(hours=hour),
                 start + dt.timedelta(hours=hour, minutes=30), 1)
        for hour in (0, 1)
    ]
    async with desk.unit() as unit:
        slots = list((await unit.add_slots(plans, by="test", now=now)).created)
    for (channel, person_id), slot in zip(ids.items(), slots, strict=True):
        async with desk.unit() as unit:
            await unit.request(
                person_id=person_id, locale="en", service_id="mental-health",
                request_key="k", now=now, slot_id=slot.id, contact=Contact(phone="+33612345678"),
            )
    async with app.database.write_sessions() as session, session.begin():
        session.add(WhatsAppContact(platform_id=BSUID, last_inbound_at=now, updated_at=now))
        session.add(WhatsAppAlias(alias=BSUID, platform_id=BSUID))
        session.add(WhatsAppAlias(alias=PHONE, platform_id=BSUID))
        session.add(WhatsAppNotification(
            message_id="wamid.1", batch="b", platform_id=BSUID, kind="reminder", locale="en",
            params='{"phone": "+33612345678"}', created_at=now,
        ))

    found_before = await theirs(app, ids)
    assert found_before, "the set-up left nothing to erase"
    for channel, platform_id in (("telegram", TELEGRAM), ("whatsapp", BSUID)):
        async with app.engine.store.unit() as units:
            await units.forget_person(await units.person(channel, platform_id))
    left = await theirs(app, ids)
    async with app.database.sessions() as session:
        for person_id in ids.values():
            row = await session.get(PersonRow, person_id)
            assert row is not None
            assert (row.locale, row.consents, row.situation) == (None, {}, None), row
    await app.close()
    loaded = sorted(name for name in sys.modules if name.startswith("bot.channels"))
    print("TABLES", len(Base.metadata.tables))
    print("BEFORE", sorted(found_before))
    print("LEFT", left)
    print("CHANNELS", loaded)


async def theirs(app, ids):
    """Tables with a row of theirs: their person id in a person column, or a text of theirs
    anywhere (their own people row aside)."""
    found = {}
    async with app.database.sessions() as session:
        for table in Base.metadata.sorted_tables:
            person_columns = [
                column.name for column in table.columns
                if column.name == "person_id"
                or any(key.column.table.name == "people" for key in column.foreign_keys)
            ]
            for row in (await session.execute(select(table))).mappings():
                if table.name == "people" and row["id"] in ids.values():
                    continue
                text = " ".join(str(value) for value in row.values())
                if any(row[name] in ids.values() for name in person_columns) or any(
                    secret in text for secret in SECRETS
                ):
                    found.setdefault(table.name, 0)
                    found[table.name] += 1
    return found


asyncio.run(main(sys.argv[1]))
'''


def test_forget_me_leaves_no_row_of_theirs_in_any_table(settings: Settings) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, settings.database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    before = lines["BEFORE"]
    for table in (
        "outbox",
        "tickets",
        "ticket_messages",
        "bookings",
        "booking_contacts",
        "whatsapp_aliases",
    ):
        assert table in before, f"the set-up wrote nothing of theirs in {table}"
    assert lines["LEFT"] == "{}"
    assert lines["CHANNELS"] == "[]", "the process loaded a channel module"
