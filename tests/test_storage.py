"""The conversation store, on SQLite (statements straight on the driver) and on PostgreSQL
(SQLAlchemy): the same rows, one transaction per unit, shared with the ORM session."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.db import Database, open_database
from bot.storage import (
    ConversationRow,
    Outbox,
    OutboxRow,
    PersonRow,
    ProcessedUpdate,
    SqlConversationStore,
    TicketRow,
    UnansweredCount,
)
from dialogs.codec import decode_reply, encode_reply
from dialogs.ports import StaleState
from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Reply, Text
from dialogs.state import ConversationState
from tests.conftest import fresh_postgres, sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = sqlite_url(tmp_path / "store.db")
        else:
            url = await stack.enter_async_context(fresh_postgres())
        opened = await open_database(url)
        try:
            yield opened
        finally:
            await opened.close()


def test_every_kind_of_reply_comes_back_from_the_outbox_as_it_went_in() -> None:
    replies: list[Reply] = [
        Text('Élève ✓ مرحبا \u2068x\u2069 "quoted" \\ {}'),
        Options(
            "Menu",
            ((Option("menu:x", "X", "une description"), Option("menu:y", "Y")),),
            replaceable=False,
        ),
        Card("Titre", "Corps\n\nparagraphe", "Vérifié le 1er mars", badges=("🤖 machine",)),
        Media(MediaKind.DOCUMENT, "Fiche", "fiche.ics", bytes(range(256)), "text/calendar"),
        Media(MediaKind.LOCATION, "Ici", latitude=48.8566, longitude=2.3522),
        RemoveOptions(),
    ]
    for reply in replies:
        assert decode_reply(encode_reply(reply)) == reply


async def count(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_unit_keeps_what_it_wrote_and_the_orm_reads_it_back(database: Database) -> None:
    store = SqlConversationStore(database)
    replies: list[Reply] = [
        Text("Élève ✓ مرحبا"),
        Options("Menu", ((Option("menu:x", "X"),),)),
        Card("T", "B"),
    ]
    async with store.unit() as conversations:
        assert await conversations.claim_update("telegram", "u1")
        person = await conversations.person("telegram", "42")
        assert person.locale is None
        state = await conversations.state(person)
        state.step = "settings"
        state.data["ask"] = {"question": "où ?", "n": 2}
        state.back_stack.append("menu")
        person.locale = "fr"
        person.consents["remember_situation"] = True
        person.situation = "asylum"
        await conversations.save_state(person, state)
        await conversations.save_person(person)
        ids = await conversations.queue(person, replies)
    assert ids == sorted(ids) and len(ids) == 3
    assert await count(database, PersonRow) == 1  # made by the unit

    async with database.sessions() as session:
        row = await session.scalar(select(PersonRow).where(PersonRow.platform_id == "42"))
        assert row is not None
        assert (row.locale, row.consents, row.situation) == (
            "fr",
            {"remember_situation": True},
            "asylum",
        )
        assert isinstance(row.last_seen_at, dt.datetime) and isinstance(row.created_at, dt.datetime)
        conversation = await session.get(ConversationRow, row.id)
        assert conversation is not None
        assert conversation.data == {"ask": {"question": "où ?", "n": 2}}
        assert (conversation.step, conversation.back_stack, conversation.version) == (
            "settings",
            ["menu"],
            1,
        )
        stored = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
        assert [decode_reply(item.reply) for item in stored] == replies
        assert all(item.sent_at is None and item.attempts == 0 for item in stored)

    async with store.unit() as conversations:
        assert not await conversations.claim_update("telegram", "u1")
        again = await conversations.person("telegram", "42")
        assert again.id == person.id and again.locale == "fr" and again.situation == "asylum"
        loaded = await conversations.state(again)
        assert loaded.data == {"ask": {"question": "où ?", "n": 2}} and loaded.version == 1
    assert await count(database, PersonRow) == 1  # found again, not made twice


async def test_the_orm_session_of_a_step_commits_with_the_unit(database: Database) -> None:
    store = SqlConversationStore(database)
    async with store.unit() as conversations:
        await conversations.claim_update("telegram", "t1")
        person = await conversations.person("telegram", "7")
        state = await conversations.state(person)
        number = await conversations.open_ticket(person, "fr", "Une question")
        await conversations.count_unanswered("fr")
        await conversations.save_state(person, state)
        await conversations.queue(person, [Text(f"n° {number}")])
    assert await count(database, TicketRow) == 1
    assert await count(database, ConversationRow) == 1
    assert await count(database, OutboxRow) == 1
    async with database.sessions() as session:
        assert await session.scalar(select(UnansweredCount.count)) == 1


async def test_a_failing_unit_leaves_nothing_behind(database: Database) -> None:
    store = SqlConversationStore(database)
    with pytest.raises(RuntimeError):
        async with store.unit() as conversations:
            await conversations.claim_update("telegram", "f1")
            person = await conversations.person("telegram", "9")
            await conversations.open_ticket(person, "fr", "Une question")
            await conversations.save_state(person, ConversationState())
            await conversations.queue(person, [Text("x")])
            raise RuntimeError("the step failed")
    for model in (ProcessedUpdate, PersonRow, TicketRow, ConversationRow, OutboxRow):
        assert await count(database, model) == 0
    # The writer is free again: the next unit goes through.
    async with store.unit() as conversations:
        assert await conversations.claim_update("telegram", "f1")


async def test_a_state_saved_meanwhile_makes_the_later_save_stale(database: Database) -> None:
    store = SqlConversationStore(database)
    async with store.unit() as conversations:
        person = await conversations.person("telegram", "5")
        await conversations.save_state(person, await conversations.state(person))
    with pytest.raises(StaleState):
        async with store.unit() as late:
            late_person = await late.person("telegram", "5")
            state = await late.state(late_person)
            # Another process saves this person's state between our load and our save.
            await late.session.execute(
                update(ConversationRow).values(version=ConversationRow.version + 1)
            )
            await late.save_state(late_person, state)


async def test_units_of_many_people_at_once_all_commit(database: Database) -> None:
    store = SqlConversationStore(database)

    async def one(n: int) -> None:
        async with store.unit() as conversations:
            await conversations.claim_update("telegram", f"m{n}")
            person = await conversations.person("telegram", str(n))
            await conversations.save_state(person, await conversations.state(person))
            await conversations.queue(person, [Text("ok")])

    await asyncio.gather(*(one(n) for n in range(40)))
    assert await count(database, ConversationRow) == 40
    assert await count(database, OutboxRow) == 40


async def test_sent_marks_are_kept(database: Database) -> None:
    store = SqlConversationStore(database)
    async with store.unit() as conversations:
        person = await conversations.person("telegram", "3")
        ids = await conversations.queue(person, [Text("a"), Text("b")])
    outbox = Outbox(database)
    # Queued replies are claimed by this process for a lease: due for others only after it.
    now = dt.datetime.now(dt.UTC) + outbox.lease + dt.timedelta(seconds=1)
    assert [item[0] for item in await outbox.pending("telegram", now)] == ids
    await outbox.mark_sent(ids[:1])
    assert [item[0] for item in await outbox.pending("telegram", now)] == ids[1:]
    async with database.sessions() as session:
        sent = await session.get(OutboxRow, ids[0])
        assert sent is not None and isinstance(sent.sent_at, dt.datetime)
