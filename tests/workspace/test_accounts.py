"""Accounts and the rules around them, without a browser: the CLI, sign-in links, lock-outs,
CSRF, roles on every page, cookies, and linked chat identities."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.app import App, build_app
from bot.cli import cli
from bot.settings import Settings
from bot.storage import PersonRow
from bot.web import build_web_app
from bot.workspace import accounts
from bot.workspace.accounts import LOCK, MAX_ADDRESS_FAILURES, SignIn, WorkspaceRole
from bot.workspace.session import COOKIE, IDLE
from tests.conftest import Chat

PASSWORD = "a long enough passphrase"
LINK = re.compile(r"https?://\S+/admin/welcome/(\S+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli_database(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from bot.settings import get_settings

    monkeypatch.setenv("PASSERELLE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PASSERELLE_PUBLIC_URL", "https://passerelle.example.org")
    get_settings.cache_clear()
    yield settings.database_url
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["agents", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_cli_adds_resets_links_lists_and_removes_web_accounts(
    cli_database: str, settings: Settings
) -> None:
    added = run("add", "--channel", "web", "--id", "Editor@Example.org", "--role", "editor")
    first = LINK.search(added)
    assert first and added.count("https://passerelle.example.org/admin/welcome/") == 1
    assert "editor@example.org\teditor" in run("list").replace("web\t", "")
    again = CliRunner().invoke(
        cli, ["agents", "add", "--channel", "web", "--id", "editor@example.org"]
    )
    assert again.exit_code == 1 and "already has an account" in again.output
    reset = LINK.search(run("reset", "--id", "editor@example.org"))
    assert reset and reset.group(1) != first.group(1)
    linked = run("link", "--id", "editor@example.org", "--channel", "telegram", "--chat-id", "555")
    assert "telegram 555 is linked to editor@example.org" in linked
    listing = run("list")
    assert "telegram\t555\tagent" in listing  # an editor runs bookings in chat as an agent
    run("remove", "--channel", "web", "--id", "editor@example.org")
    listing = run("list")
    assert "editor@example.org" not in listing and "telegram\t555" not in listing
    wrong = CliRunner().invoke(
        cli, ["agents", "add", "--channel", "telegram", "--id", "1", "--role", "editor"]
    )
    assert wrong.exit_code == 2 and "workspace role" in wrong.output


def test_a_bad_email_is_refused_with_a_reason(cli_database: str) -> None:
    result = CliRunner().invoke(cli, ["agents", "add", "--channel", "web", "--id", "not-an-email"])
    assert result.exit_code == 1 and "is not an email address" in result.output


# -- the rules, through the web app ------------------------------------------------------------


class Browser:
    """An HTTP client keeping its cookies, from one client address."""

    def __init__(self, app: App, address: str = "203.0.113.7") -> None:
        self.web = build_web_app(app, [])
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.web, client=(address, 4000)),
            base_url="http://workspace.test",
        )

    async def csrf(self, path: str) -> str:
        page = await self.client.get(path, follow_redirects=True)
        found = CSRF.search(page.text)
        assert found, page.text
        return found.group(1)

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        token = await self.csrf("/admin/sign-in")
        return await self.client.post(
            "/admin/sign-in", data={"csrf": token, "email": email, "password": password}
        )


async def account_with_password(app: App, email: str, role: WorkspaceRole) -> None:
    _account, token = await accounts.add_account(app.database.write_sessions, email, role, now())
    assert await accounts.redeem_token(app.database.write_sessions, token, PASSWORD, now())


@pytest.fixture
async def web(app: App) -> AsyncIterator[Browser]:
    browser = Browser(app)
    try:
        yield browser
    finally:
        await browser.client.aclose()


async def test_the_link_is_valid_24_hours_and_once(app: App) -> None:
    _account, token = await accounts.add_account(
        app.database.write_sessions, "a@example.org", WorkspaceRole.AGENT, now()
    )
    later = now() + dt.timedelta(hours=24, seconds=1)
    assert await accounts.account_for_token(app.database.sessions, token, later) is None
    with pytest.raises(accounts.AccountError):
        await accounts.redeem_token(app.database.write_sessions, token, "short", now())
    assert await accounts.redeem_token(app.database.write_sessions, token, PASSWORD, now())
    assert await accounts.redeem_token(app.database.write_sessions, token, PASSWORD, now()) is None


async def test_five_wrong_passwords_lock_the_account_for_15_minutes(app: App) -> None:
    await account_with_password(app, "b@example.org", WorkspaceRole.AGENT)
    sessions = app.database.write_sessions
    start = now()
    for attempt in range(4):
        wrong = await accounts.sign_in(
            sessions, "b@example.org", "nope", f"10.0.0.{attempt}", start
        )
        assert wrong.outcome is SignIn.WRONG
    fifth = await accounts.sign_in(sessions, "b@example.org", "nope", "10.0.0.9", start)
    assert fifth.outcome is SignIn.LOCKED
    right = await accounts.sign_in(sessions, "b@example.org", PASSWORD, "10.0.0.8", start)
    assert right.outcome is SignIn.LOCKED
    after = start + LOCK + dt.timedelta(seconds=1)
    assert (
        await accounts.sign_in(sessions, "b@example.org", PASSWORD, "10.0.0.8", after)
    ).outcome is SignIn.OK


async def test_wrong_passwords_are_counted_per_address_too(app: App) -> None:
    await account_with_password(app, "c@example.org", WorkspaceRole.AGENT)
    sessions = app.database.write_sessions
    start = now()
    for attempt in range(MAX_ADDRESS_FAILURES):
        # Different (unknown) accounts each time: only the address adds up.
        await accounts.sign_in(sessions, f"x{attempt}@example.org", "nope", "198.51.100.1", start)
    blocked = await accounts.sign_in(sessions, "c@example.org", PASSWORD, "198.51.100.1", start)
    assert blocked.outcome is SignIn.LOCKED
    elsewhere = await accounts.sign_in(sessions, "c@example.org", PASSWORD, "198.51.100.2", start)
    assert elsewhere.outcome is SignIn.OK


async def test_every_changing_form_needs_its_csrf_token(app: App, web: Browser) -> None:
    await account_with_password(app, "d@example.org", WorkspaceRole.ADMIN)
    assert (await web.sign_in("d@example.org")).status_code == 303
    for path, data in (
        ("/admin/duty", {"on_duty": "0"}),
        ("/admin/accounts", {"email": "e@example.org", "role": "admin"}),
        ("/admin/sign-out", {}),
        ("/admin/tickets/1/close", {}),
    ):
        refused = await web.client.post(path, data=data)
        assert refused.status_code == 403, path
        forged = await web.client.post(path, data={**data, "csrf": "forged"})
        assert forged.status_code == 403, path
    listed = await accounts.list_accounts(app.database.sessions)
    assert [account.email for account in listed] == ["d@example.org"]
    # The sign-in form itself carries one.
    anonymous = Browser(app)
    refused = await anonymous.client.post(
        "/admin/sign-in", data={"email": "d@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 403
    await anonymous.client.aclose()


async def test_roles_are_checked_on_every_page(app: App, web: Browser) -> None:
    for path in ("/admin/inbox", "/admin/appointments", "/admin/accounts", "/admin/audit"):
        answer = await web.client.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/sign-in"
    await account_with_password(app, "f@example.org", WorkspaceRole.EDITOR)
    await web.sign_in("f@example.org")
    for path in ("/admin/inbox", "/admin/appointments"):
        assert (await web.client.get(path)).status_code == 200
    for path in ("/admin/accounts", "/admin/audit"):
        assert (await web.client.get(path)).status_code == 403
    token = await web.csrf("/admin/inbox")
    posted = await web.client.post(
        "/admin/accounts", data={"csrf": token, "email": "g@example.org", "role": "admin"}
    )
    assert posted.status_code == 403
    assert len(await accounts.list_accounts(app.database.sessions)) == 1


async def test_a_new_role_or_a_reset_ends_the_sessions(app: App, web: Browser) -> None:
    await account_with_password(app, "h@example.org", WorkspaceRole.ADMIN)
    await web.sign_in("h@example.org")
    assert (await web.client.get("/admin/audit")).status_code == 200
    await accounts.set_role(app.database.write_sessions, "h@example.org", WorkspaceRole.AGENT)
    answer = await web.client.get("/admin/audit")
    assert answer.status_code == 303


async def test_the_cookie_is_signed_httponly_lax_and_secure_behind_https(
    settings: Settings,
) -> None:
    secure = settings.model_copy(update={"public_url": "https://passerelle.example.org"})
    app = await build_app(secure)
    try:
        browser = Browser(app)
        answer = await browser.client.get("/admin/sign-in")
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        for part in ("HttpOnly", "SameSite=lax", "Secure", "Path=/admin", f"Max-Age={IDLE}"):
            assert part.lower() in cookie.lower(), part
        # A cookie changed by hand is a new, anonymous visit.
        await account_with_password(app, "i@example.org", WorkspaceRole.AGENT)
        await browser.sign_in("i@example.org")
        value = browser.client.cookies[COOKIE]
        browser.client.cookies.set(COOKIE, value[:-2] + "xx", path="/admin")
        assert (await browser.client.get("/admin/inbox")).status_code == 303
        await browser.client.aclose()
    finally:
        await app.close()


async def test_a_session_ends_after_12_idle_hours(
    app: App, web: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itsdangerous.timed

    await account_with_password(app, "j@example.org", WorkspaceRole.AGENT)
    await web.sign_in("j@example.org")
    assert (await web.client.get("/admin/inbox")).status_code == 200
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) + IDLE - 60
    )
    # Still within 12 hours: the visit renews the cookie...
    assert (await web.client.get("/admin/inbox")).status_code == 200
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) + 2 * IDLE
    )
    # ...and 12 hours after that visit, it is over.
    assert (await web.client.get("/admin/inbox")).status_code == 303


async def test_a_linked_chat_identity_runs_the_chat_commands(app: App) -> None:
    await account_with_password(app, "k@example.org", WorkspaceRole.AGENT)
    person = Chat(app, user="agent-phone")
    await person.say("/start")
    await person.choose("lang:fr")
    assert "Je ne connais pas cette commande" in await person.say("/today")
    await accounts.link_identity(
        app.database.write_sessions, "k@example.org", "console", "agent-phone"
    )
    assert "Je ne connais pas cette commande" not in await person.say("/today")
    await accounts.remove_account(app.database.write_sessions, "k@example.org")
    async with app.database.sessions() as session:
        role = await session.scalar(
            select(PersonRow.role).where(PersonRow.platform_id == "agent-phone")
        )
    assert role == "person"


async def test_signing_in_and_out_is_in_the_audit_log(app: App, web: Browser) -> None:
    await account_with_password(app, "l@example.org", WorkspaceRole.ADMIN)
    await web.sign_in("l@example.org")
    token = await web.csrf("/admin/inbox")
    await web.client.post("/admin/sign-out", data={"csrf": token})
    await web.sign_in("l@example.org")
    page = await web.client.get("/admin/audit")
    assert page.text.count("sign_in") >= 2 and "sign_out" in page.text
    assert (await web.sign_in("l@example.org", "wrong")).status_code == 401


def test_serve_prints_the_admin_url(settings: Settings) -> None:
    import os
    import subprocess
    import sys

    from tests.workspace.live import free_port

    port = free_port()
    env = {**os.environ, "PASSERELLE_DATABASE_URL": settings.database_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert first.strip() == f"Agents' workspace: http://127.0.0.1:{port}/admin/"
