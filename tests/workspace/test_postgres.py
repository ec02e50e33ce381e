"""The inbox on PostgreSQL: the same rules as on SQLite, through asyncpg."""

from __future__ import annotations

import datetime as dt

from bot.app import build_app
from bot.settings import Settings
from bot.workspace import accounts, inbox
from bot.workspace.accounts import SignIn, WorkspaceRole
from bot.workspace.courier import Courier
from bot.workspace.inbox import Filters
from tests.conftest import Chat
from tests.telegram.transcript import clean
from tests.workspace.test_inbox import ask_a_person, received


async def test_the_inbox_on_postgresql(postgres_url: str) -> None:
    app = await build_app(Settings(database_url=postgres_url, _env_file=None))
    try:
        now = dt.datetime.now(dt.UTC)
        me, token = await accounts.add_account(
            app.database.write_sessions, "pg@example.org", WorkspaceRole.AGENT, now
        )
        assert await accounts.redeem_token(app.database.write_sessions, token, "x" * 12, now)
        signed = await accounts.sign_in(
            app.database.write_sessions, "pg@example.org", "x" * 12, "127.0.0.1", now
        )
        assert signed.outcome is SignIn.OK
        courier = Courier(app)
        chat = Chat(app, "pg-person")
        number = await ask_a_person(chat, "ar", "سؤال عن السكن")
        async with app.engine.store.unit() as unit:
            person = await unit.person("console", "pg-crisis")
            crisis = await unit.open_ticket(person, "ti", "ሓገዝ", "crisis", 100)
        listed = await inbox.list_tickets(app.database.sessions, Filters(), me)
        assert [line.id for line in listed] == [crisis, number]
        await inbox.assign(app.database.write_sessions, number, me)
        await inbox.take_over(app.database.write_sessions, courier, number, me, now)
        assert "يرد عليك الآن" in await received(chat, app)
        await chat.say("أنا أنام في الشارع")
        await inbox.reply(
            app.database.write_sessions,
            courier,
            number,
            me,
            "اتصل بالرقم 115",
            ["housing-115"],
            now,
        )
        assert "اتصل بالرقم 115" in clean(await received(chat, app))
        await inbox.hand_back(app.database.write_sessions, courier, number, me, now)
        detail = await inbox.ticket_detail(app.database.sessions, number)
        assert detail is not None
        assert [m.author for m in detail.messages] == ["person", "agent"]
        figures = await inbox.figures(app.database.sessions, now + dt.timedelta(minutes=1))
        assert figures.answered_per_language == {"ar": 1}
        await courier.run_once(now)
        lines = await inbox.audit_lines(app.database.write_sessions, now)
        assert {line.action for line in lines} >= {"ticket.reply", "ticket.take_over"}
    finally:
        await app.close()
