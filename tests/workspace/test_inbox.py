"""The inbox's rules, read as transcripts of a person in the terminal and an agent's actions."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from bot.app import App
from bot.storage import PersonRow
from bot.workspace import accounts, inbox
from bot.workspace.accounts import Account, WorkspaceRole
from bot.workspace.courier import ConsoleMailbox, Courier
from bot.workspace.inbox import Filters, InboxError
from bot.workspace.tables import PendingKeywordRow, TicketMessageRow
from dialogs.incoming import Incoming, Pressed
from dialogs.replies import Reply, text_of
from tests.conftest import Chat


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def agent(app: App, email: str = "agent@example.org") -> Account:
    made, _token = await accounts.add_account(
        app.database.write_sessions, email, WorkspaceRole.AGENT, now()
    )
    return made


async def ask_a_person(chat: Chat, locale: str, text: str) -> int:
    await chat.say("/start")
    await chat.choose(f"lang:{locale}")
    await chat.choose("menu:person")
    await chat.say(text)
    done = await chat.choose("tp-send:send")
    found = re.search(r"\d+", done)
    assert found, done
    return int(found.group(0))


async def received(chat: Chat, app: App) -> str:
    out = chat.out
    start = out.tell()
    await ConsoleMailbox(app, chat.channel).run_once(now() + dt.timedelta(seconds=5))
    out.seek(start)
    text = out.read()
    out.seek(0, io.SEEK_END)
    return text


async def test_a_ticket_keeps_only_what_the_person_typed_and_their_language(app: App) -> None:
    chat = Chat(app, "amina")
    number = await ask_a_person(chat, "en", "I need help with my residence permit")
    detail = await inbox.ticket_detail(app.database.sessions, number)
    assert detail is not None
    assert detail.line.question == "I need help with my residence permit"
    assert (detail.line.locale, detail.line.channel, detail.line.kind) == (
        "en",
        "console",
        "person",
    )
    assert detail.situation is None and detail.messages == ()


async def test_the_situation_shows_only_with_consent(app: App) -> None:
    chat = Chat(app, "badr")
    number = await ask_a_person(chat, "fr", "Une question sur mes droits")
    async with app.database.write_sessions() as session, session.begin():
        row = await session.scalar(select(PersonRow).where(PersonRow.platform_id == "badr"))
        assert row is not None
        row.situation = "asylum-seeker"
        row.consents = {}
    detail = await inbox.ticket_detail(app.database.sessions, number)
    assert detail is not None and detail.situation is None
    async with app.database.write_sessions() as session, session.begin():
        row = await session.scalar(select(PersonRow).where(PersonRow.platform_id == "badr"))
        assert row is not None
        row.consents = {"remember_situation": True}
    detail = await inbox.ticket_detail(app.database.sessions, number)
    assert detail is not None and detail.situation == "asylum-seeker"


async def test_replies_answers_and_myquestions(app: App) -> None:
    me = await agent(app)
    courier = Courier(app)
    chat = Chat(app, "chen")
    number = await ask_a_person(chat, "zh", "我需要法律帮助")
    assert "您没有未处理的问题" not in await chat.say("/myquestions")
    await inbox.reply(
        app.database.write_sessions, courier, number, me, "请看这张卡片。", ["legal-aid"], now()
    )
    got = await received(chat, app)
    assert f"一位工作人员回复了您的问题 {number}" in got and "请看这张卡片。" in got
    entry = await app.engine.services.library.entry("legal-aid", "zh")
    assert entry is not None and entry.title in got
    # The card's button opens the entry in the person's language, days later too.
    opened = await chat.choose("card:r-legal-aid")
    assert entry.title in opened
    listed = await chat.say("/myquestions")
    assert f"问题 {number}（已回复）" in listed and "请看这张卡片。" in listed
    await chat.choose(f"tkt:answer-{number}")
    await chat.say("谢谢！什么时候开门？")
    detail = await inbox.ticket_detail(app.database.sessions, number)
    assert detail is not None
    assert detail.line.status == "open" and detail.line.new_reply
    assert [m.author for m in detail.messages] == ["agent", "person"]
    await inbox.close(app.database.write_sessions, courier, number, me, now())
    assert "您没有未处理的问题" in await chat.say("/myquestions")
    # The old "Answer" button of a closed question: told so, and back to the menu.
    await app.engine.handle(
        Incoming("console", "chen", uuid.uuid4().hex, Pressed(f"tkt:answer-{number}"))
    )
    refused = await chat.say("还有一个问题")
    assert "此问题已关闭" in refused


async def test_an_empty_reply_or_one_to_a_closed_ticket_is_refused(app: App) -> None:
    me = await agent(app)
    courier = Courier(app)
    number = await ask_a_person(Chat(app, "dara"), "fa", "سؤال")
    for text in ("", "   "):
        try:
            await inbox.reply(app.database.write_sessions, courier, number, me, text, [], now())
        except InboxError as error:
            assert str(error) == "empty"
        else:
            raise AssertionError("an empty reply was accepted")
    await inbox.close(app.database.write_sessions, courier, number, me, now())
    try:
        await inbox.reply(app.database.write_sessions, courier, number, me, "late", [], now())
    except InboxError as error:
        assert str(error) == "closed"
    else:
        raise AssertionError("a reply to a closed ticket was accepted")
    await inbox.reopen(app.database.write_sessions, number, me, now())
    await inbox.reply(app.database.write_sessions, courier, number, me, "بفرمایید", [], now())


async def test_filters_order_and_counts(app: App) -> None:
    me = await agent(app)
    courier = Courier(app)
    first = await ask_a_person(Chat(app, "p1"), "ar", "سؤال أول")
    second = await ask_a_person(Chat(app, "p2"), "fa", "سؤال دوم")
    async with app.engine.store.unit() as unit:
        person = await unit.person("console", "p3")
        crisis = await unit.open_ticket(person, "uk", "Допоможіть", "crisis", 100)
    mine = await inbox.list_tickets(app.database.sessions, Filters(), me)
    assert [line.id for line in mine] == [crisis, first, second]
    await inbox.assign(app.database.write_sessions, second, me)
    assigned = await inbox.list_tickets(app.database.sessions, Filters(mine=True), me)
    assert [line.id for line in assigned] == [second]
    persian = await inbox.list_tickets(app.database.sessions, Filters(locale="fa"), me)
    assert [line.id for line in persian] == [second]
    urgent = await inbox.list_tickets(app.database.sessions, Filters(urgent=True), me)
    assert [line.id for line in urgent] == [crisis]
    assert await inbox.counts_per_language(app.database.sessions) == {"ar": 1, "fa": 1, "uk": 1}
    await inbox.reply(app.database.write_sessions, courier, first, me, "جواب", [], now())
    waiting = await inbox.list_tickets(app.database.sessions, Filters(status="answered"), me)
    assert [line.id for line in waiting] == [first]
    figures = await inbox.figures(app.database.sessions, now())
    assert figures.open == 2 and figures.answered_per_language == {"ar": 1}
    assert figures.median_first_answer is not None


async def test_teaching_the_bot_leaves_a_pending_keyword(app: App) -> None:
    me = await agent(app)
    courier = Courier(app)
    number = await ask_a_person(Chat(app, "ro1"), "ro", "ajutor pentru cardul de sănătate")
    try:
        await inbox.teach(app.database.write_sessions, number, me, "health-ame", "card", now())
    except InboxError as error:
        assert str(error) == "not_attached"
    await inbox.reply(app.database.write_sessions, courier, number, me, "", ["health-ame"], now())
    await inbox.teach(
        app.database.write_sessions, number, me, "health-ame", " cardul de  sănătate ", now()
    )
    async with app.database.sessions() as session:
        row = await session.scalar(select(PendingKeywordRow))
    assert row is not None
    assert (row.slug, row.locale, row.words, row.status) == (
        "health-ame",
        "ro",
        "cardul de sănătate",
        "pending",
    )


class Phone:
    """An agent's linked chat, as a channel of the process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[tuple[str, str]] = []

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        self.sent.extend((platform_id, text_of(reply)) for reply in replies)


async def test_on_duty_agents_get_a_crisis_notice_without_personal_content(app: App) -> None:
    me = await agent(app)
    await accounts.link_identity(app.database.write_sessions, me.email, "telegram", "900")
    other = await agent(app, "off@example.org")
    await accounts.link_identity(app.database.write_sessions, other.email, "telegram", "901")
    await accounts.set_on_duty(app.database.write_sessions, other.id, False)
    async with app.engine.store.unit() as unit:
        person = await unit.person("console", "in-danger")
        number = await unit.open_ticket(person, "ps", "زه په خطر کې یم", "crisis", 100)
    phone = Phone("telegram")
    courier = Courier(app, [phone])
    # Another process runs its own courier at the same moment: the agents are told once.
    elsewhere = Phone("telegram")
    await asyncio.gather(courier.run_once(now()), Courier(app, [elsewhere]).run_once(now()))
    phone.sent.extend(elsewhere.sent)
    crisis = [text for who, text in phone.sent if "🆘" in text]
    assert [who for who, text in phone.sent if "🆘" in text] == ["900"]
    assert f"/admin/tickets/{number}" in crisis[0] and "خطر" not in crisis[0]
    digest = [text for _who, text in phone.sent if "📬" in text]
    assert digest and "خطر" not in digest[0]
    phone.sent.clear()
    await courier.run_once(now())
    assert phone.sent == []  # told once; the next digest waits its turn


async def test_forgetting_a_person_erases_their_threads(app: App) -> None:
    me = await agent(app)
    chat = Chat(app, "forget-me")
    number = await ask_a_person(chat, "en", "my question")
    await inbox.reply(app.database.write_sessions, Courier(app), number, me, "answer", [], now())
    await chat.say("/menu")
    await chat.choose("menu:settings")
    await chat.choose("settings:forget")
    await chat.choose("forget:yes")
    assert await inbox.ticket_detail(app.database.sessions, number) is None
    async with app.database.sessions() as session:
        assert await session.scalar(select(TicketMessageRow)) is None


async def test_a_person_is_one_tap_away_from_the_help(app: App) -> None:
    chat = Chat(app, "helped")
    await chat.say("/start")
    await chat.choose("lang:en")
    await chat.say("/help")
    prompt = await chat.press("Talk to a person")
    assert "Write in a few words what you need" in prompt
