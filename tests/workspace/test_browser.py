"""The workspace in Chromium, end to end: sign-in, refusals, answering a person on the
terminal and on Telegram (fake Bot API), take-over, crisis first, confirming a booking."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bookings.slots import SlotPlan
from bookings.views import Contact
from bot.app import App
from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.jobs import job_runner
from bot.settings import Settings
from bot.storage import PersonRow
from bot.workspace.accounts import WorkspaceRole
from bot.workspace.courier import ConsoleMailbox
from dialogs.replies import Media, Reply, text_of
from tests.conftest import Chat, sqlite_url
from tests.telegram.conftest import TEST_LIMITS
from tests.telegram.fake_api import FakeBotApi
from tests.telegram.transcript import TelegramPerson, clean
from tests.workspace.live import Live, free_port

# The Telegram adapter calls `do_api_request` on purpose (see tests/telegram/conftest.py).
pytestmark = pytest.mark.filterwarnings(r"ignore:Please use 'Bot\.\w+' instead of")

PASSWORD = "a long enough passphrase"
ADMIN = "admin@example.org"
AGENT = "agent@example.org"


@pytest.fixture(scope="module")
def fake_bot() -> FakeBotApi:
    return FakeBotApi()


@pytest.fixture(scope="module")
def live(module_database: Path, fake_bot: FakeBotApi, browser: Any) -> Iterator[Live]:
    port = free_port()

    async def channels(app: App) -> Sequence[Channel]:
        await fake_bot.start(port)
        return [TelegramChannel(app, webhook=False, limits=TEST_LIMITS, poll_timeout=1)]

    settings = Settings(
        database_url=sqlite_url(module_database),
        telegram_token="123:abc",
        telegram_api_url=f"http://127.0.0.1:{port}",
        _env_file=None,
    )
    served = Live(settings, channels)
    served.on_stop.append(fake_bot.stop)
    served.start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def accounts_ready(live: Live, browser: Any) -> dict[str, str]:
    """An admin and an agent, each having set a password through their link."""
    links = {
        ADMIN: live.add_account(ADMIN, WorkspaceRole.ADMIN),
        AGENT: live.add_account(AGENT, WorkspaceRole.AGENT),
    }
    for link in links.values():
        context = browser.new_context()
        page = context.new_page()
        page.goto(link)
        page.fill("#password", PASSWORD)
        page.fill("#again", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/admin/inbox")
        context.close()
    return links


def signed_in(browser: Any, live: Live, email: str) -> Any:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.url}/admin/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/inbox")
    return page


def test_sign_in_link_sets_a_password_once(live: Live, browser: Any) -> None:
    link = live.add_account("new@example.org", WorkspaceRole.AGENT)
    context = browser.new_context()
    page = context.new_page()
    page.goto(link)
    assert "new@example.org" in page.inner_text("main")
    page.fill("#password", PASSWORD)
    page.fill("#again", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/inbox")
    assert page.locator("h1").inner_text() == "Boîte de réception"
    cookie = next(c for c in context.cookies() if c["name"] == "passerelle_workspace")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/admin"
    # Used once: the same link now refuses.
    answer = page.goto(link)
    assert answer is not None and answer.status == 404
    page.click("header button[type=submit]")  # sign out
    page.wait_for_url("**/admin/sign-in")
    assert page.goto(f"{live.url}/admin/inbox") is not None
    assert page.url.endswith("/admin/sign-in")
    context.close()


def test_wrong_passwords_lock_the_account(live: Live, browser: Any) -> None:
    live.add_account("locked@example.org", WorkspaceRole.AGENT)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.url}/admin/sign-in")
    for attempt in range(5):
        page.fill("#email", "locked@example.org")
        page.fill("#password", f"wrong password {attempt}")
        page.click("main button[type=submit]")
        alert = page.inner_text("[role=alert]")
        if attempt < 4:
            assert alert == "E-mail ou mot de passe erroné."
    assert "bloquée pendant 15 minutes" in alert
    context.close()


def test_a_form_without_its_csrf_token_is_refused(
    live: Live, browser: Any, accounts_ready: dict[str, str]
) -> None:
    page = signed_in(browser, live, AGENT)
    page.evaluate(
        "document.querySelector('form[action=\"/admin/duty\"] input[name=csrf]').remove()"
    )
    with page.expect_navigation() as navigation:
        page.click("form[action='/admin/duty'] button")
    assert navigation.value is not None and navigation.value.status == 403
    assert "Ce formulaire a expiré" in page.inner_text("main")
    page.context.close()


def test_an_agent_is_refused_the_admin_pages(
    live: Live, browser: Any, accounts_ready: dict[str, str]
) -> None:
    page = signed_in(browser, live, AGENT)
    assert page.locator("a[href='/admin/accounts']").count() == 0
    for path in ("/admin/accounts", "/admin/audit"):
        answer = page.goto(f"{live.url}{path}")
        assert answer is not None and answer.status == 403
        assert "Votre rôle ne donne pas accès à cette page." in page.inner_text("main")
    page.context.close()
    admin = signed_in(browser, live, ADMIN)
    answer = admin.goto(f"{live.url}/admin/audit")
    assert answer is not None and answer.status == 200
    assert "sign_in" in admin.inner_text("table")
    admin.context.close()


class Terminal:
    """A person in the terminal channel of the served app, and the workspace's mailbox."""

    def __init__(self, live: Live, user: str) -> None:
        assert live.app is not None
        self.live = live
        self.chat = Chat(live.app, user=user)
        self.mailbox = ConsoleMailbox(live.app, self.chat.channel)

    def say(self, text: str) -> str:
        return self.live.call(self.chat.say(text))

    def choose(self, option_id: str) -> str:
        return self.live.call(self.chat.choose(option_id))

    def received(self) -> str:
        """What the workspace sent since the last look (printed as the terminal prints)."""
        out = self.chat.out
        start = out.tell()
        self.live.call(self.mailbox.run_once(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)))
        out.seek(start)
        text = out.read()
        out.seek(0, io.SEEK_END)
        return clean(text)

    def ask_a_person(self, locale: str, text: str) -> int:
        self.say("/start")
        self.choose(f"lang:{locale}")
        self.choose("menu:person")
        self.say(text)
        done = self.choose("tp-send:send")
        found = re.search(r"\d+", clean(done).split("\n")[0].replace("\u2066", ""))
        assert found, done
        return int(found.group(0))


def open_ticket_page(page: Any, live: Live, number: int) -> None:
    page.goto(f"{live.url}/admin/inbox")
    page.click(f"a[href='/admin/tickets/{number}']")
    page.wait_for_url(f"**/admin/tickets/{number}")


def entry_title(live: Live, slug: str, locale: str) -> str:
    assert live.app is not None
    entry = live.call(live.app.engine.services.library.entry(slug, locale))
    assert entry is not None
    return entry.title


def test_a_terminal_question_answered_from_the_browser_arrives_in_arabic(
    live: Live, browser: Any, accounts_ready: dict[str, str]
) -> None:
    person = Terminal(live, "terminal-ar")
    number = person.ask_a_person("ar", "أين أجد مساعدة في التأمين الصحي؟")
    page = signed_in(browser, live, AGENT)
    page.goto(f"{live.url}/admin/inbox?locale=ar")
    assert page.locator(f"a[href='/admin/tickets/{number}']").count() == 1
    open_ticket_page(page, live, number)
    assert "أين أجد مساعدة في التأمين الصحي؟" in page.inner_text(".thread")
    page.fill("#reply-text", "Voici la fiche sur l'AME.")
    page.select_option("#reply-entries", ["health-ame"])
    page.click("form[action$='/reply'] button")
    page.wait_for_url("**notice=sent")
    received = person.received()
    assert f"رد موظف من الفريق على سؤالك {number}" in received
    assert "Voici la fiche sur l'AME." in received
    assert entry_title(live, "health-ame", "ar") in received
    # The person answers back from chat: it joins the thread, the ticket shows a new reply.
    person.say(str(next(k for k, v in person.chat.channel.numbers.items() if v.startswith("tkt:"))))
    person.say("شكرا، وأين المكتب؟")
    page.reload()
    assert "شكرا، وأين المكتب؟" in page.inner_text(".thread")
    assert "Nouvelle réponse" in page.inner_text("#status")
    page.context.close()


def test_a_telegram_question_answered_from_the_browser_in_persian(
    live: Live, fake_bot: FakeBotApi, browser: Any, accounts_ready: dict[str, str]
) -> None:
    channel = live.channels[0]
    assert isinstance(channel, TelegramChannel)
    person = TelegramPerson(fake_bot, channel, chat_id=7777, language_code="fa")
    live.call(person.send("/start"))
    live.call(person.press("فارسی"))
    live.call(person.press("🙋"))
    live.call(person.send("برای اقامت به کمک نیاز دارم"))
    sent = live.call(person.press("📨"))
    number = int(re.findall(r"\d+", clean(sent.text))[0])
    page = signed_in(browser, live, AGENT)
    open_ticket_page(page, live, number)
    page.fill("#reply-text", "Bonjour, voici l'information.")
    page.select_option("#reply-entries", ["health-ame"])
    page.click("form[action$='/reply'] button")
    page.wait_for_url("**notice=sent")
    texts = clean("\n".join(m.text for m in fake_bot.messages(7777) if m.from_bot))
    assert f"یک کارمند به سؤال {number} شما پاسخ داد" in texts
    assert "Bonjour, voici l'information." in texts
    assert entry_title(live, "health-ame", "fa") in texts
    page.context.close()


def test_take_over_and_hand_back(live: Live, browser: Any, accounts_ready: dict[str, str]) -> None:
    person = Terminal(live, "terminal-fr")
    number = person.ask_a_person("fr", "J'ai besoin de parler à quelqu'un de mon hébergement")
    page = signed_in(browser, live, AGENT)
    open_ticket_page(page, live, number)
    page.click("form[action$='/assign'] button")
    page.click("form[action$='/take-over'] button")
    page.wait_for_url("**notice=done")
    assert "Pris en main" in page.inner_text("#status")
    assert "vous répond maintenant pour la question" in person.received()
    # Free text goes to the agent, not to the search.
    answer = person.say("Je dors dehors depuis hier")
    assert "Envoyé à la personne de l'équipe" in clean(answer)
    page.reload()
    assert "Je dors dehors depuis hier" in page.inner_text(".thread")
    page.click("form[action$='/hand-back'] button")
    page.wait_for_url("**notice=done")
    assert "Le bot vous répond de nouveau" in person.received()
    answer = person.say("aide médicale")
    assert "Envoyé à la personne de l'équipe" not in clean(answer)
    page.context.close()


def test_a_crisis_ticket_comes_first_and_marked(
    live: Live, browser: Any, accounts_ready: dict[str, str]
) -> None:
    assert live.app is not None
    app = live.app

    async def crisis() -> int:
        person = Chat(app, user="terminal-crisis")
        await person.say("/start")
        await person.choose("lang:uk")
        async with app.engine.store.unit() as unit:
            found = await unit.person("console", "terminal-crisis")
            return await unit.open_ticket(found, "uk", "Мені потрібна допомога", "crisis", 100)

    number = live.call(crisis())
    page = signed_in(browser, live, AGENT)
    first = page.locator("ol.tickets > li").first
    assert first.get_attribute("data-ticket") == str(number)
    assert "crisis" in (first.get_attribute("class") or "")
    assert first.locator(".crisis-badge").inner_text() == "Crise"
    page.context.close()


class Recorder:
    name = "console"

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        self.sent.extend(replies)


def test_confirming_a_booking_with_its_place_fills_the_calendar_location(
    live: Live, browser: Any, accounts_ready: dict[str, str]
) -> None:
    assert live.app is not None
    app = live.app
    desk = app.bookings
    assert desk is not None
    now = dt.datetime.now(dt.UTC)
    starts = (now + dt.timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)

    async def book() -> str:
        async with app.database.write_sessions() as session, session.begin():
            row = PersonRow(channel="console", platform_id="booker", consents={}, locale="en")
            session.add(row)
            await session.flush()
            person_id = row.id
        async with desk.unit() as unit:
            added = await unit.add_slots(
                [
                    SlotPlan(
                        "mental-health",
                        "centre-primo-levi",
                        starts,
                        starts + dt.timedelta(minutes=45),
                        1,
                    ),
                    SlotPlan(
                        "mental-health",
                        "centre-francoise-minkowska",
                        starts + dt.timedelta(days=1),
                        starts + dt.timedelta(days=1, minutes=45),
                        1,
                    ),
                ],
                by="test",
                now=now,
            )
            booked = await unit.request(
                person_id=person_id,
                locale="en",
                service_id="mental-health",
                request_key="browser-test",
                now=now,
                slot_id=added.created[0].id,
                contact=Contact(phone="0100000000"),
            )
        return booked.booking.reference

    reference = live.call(book())
    page = signed_in(browser, live, AGENT)
    page.goto(f"{live.url}/admin/appointments")
    booking = page.locator(f"#w-{reference}")
    assert "requested" in booking.inner_text() or "demandé" in booking.inner_text()
    booking.locator("form[action$='/confirm'] button").click()
    page.wait_for_url("**notice=done**")
    assert page.locator(f"#w-{reference}").count() == 0
    assert "confirmé" in page.locator(f"#u-{reference}, #d-{reference}").inner_text()
    recorder = Recorder()
    runner = job_runner(app, [recorder])
    live.call(runner.run_once(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)))
    files = [reply for reply in recorder.sent if isinstance(reply, Media) and reply.content]
    assert files, [text_of(reply) for reply in recorder.sent]
    content = files[0].content
    assert content is not None
    calendar = content.decode()
    location = next(line for line in calendar.splitlines() if line.startswith("LOCATION:"))
    assert "Primo Levi" in location.replace("\\", "")
    # Moved to the other place's slot, from the same page.
    page.goto(f"{live.url}/admin/appointments")
    moving = page.locator(f"#u-{reference}, #d-{reference}")
    moving.locator("form[action$='/move'] button").click()
    page.wait_for_url("**notice=done**")

    async def place() -> str | None:
        async with desk.unit() as unit:
            found = await unit.booking(reference)
            return found.place_id if found else None

    assert live.call(place()) == "centre-francoise-minkowska"
    page.context.close()
