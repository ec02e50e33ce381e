"""The agents' workspace under /admin: server-rendered pages (Jinja2), usable without
JavaScript, every role checked on the server, every changing form carrying its CSRF token."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from babel.dates import format_datetime, format_timedelta
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import App
from bot.workspace import accounts
from bot.workspace.accounts import WorkspaceRole
from bot.workspace.courier import Courier, language_name
from bot.workspace.session import Cookies, Visit
from dialogs.i18n import PARIS, Catalogs, Translator

log = logging.getLogger("passerelle.workspace")

HERE = Path(__file__).resolve().parent
TRANSLATIONS = HERE / "translations"
UI_LOCALES = ("fr", "en")
MAX_FIELDS = 60
MAX_PART = 16_384

Handler = Callable[[Request, Visit, FormData | None], Awaitable[Response]]


def L_(message: str) -> str:
    """Mark a workspace interface string; translated where it is shown."""
    return message


STATUS_LABELS = {
    "open": L_("waiting for an agent"),
    "answered": L_("waiting for the person"),
    "closed": L_("closed"),
}
KIND_LABELS = {
    "question": L_("question"),
    "person": L_("asked for a person"),
    "crisis": L_("crisis"),
    "booking": L_("booking note"),
}
BOOKING_LABELS = {
    "requested": L_("requested"),
    "confirmed": L_("confirmed"),
    "declined": L_("declined"),
    "cancelled": L_("cancelled"),
    "attended": L_("attended"),
    "no_show": L_("no-show"),
}
ROLE_LABELS = (L_("agent"), L_("editor"), L_("admin"))
WEEKDAYS = (
    ("mo", L_("Monday")),
    ("tu", L_("Tuesday")),
    ("we", L_("Wednesday")),
    ("th", L_("Thursday")),
    ("fr", L_("Friday")),
    ("sa", L_("Saturday")),
    ("su", L_("Sunday")),
)

REFUSALS: Mapping[str, str] = {
    "csrf": L_("This form has expired. Go back, reload the page and try again."),
    "role": L_("Your role does not give access to this page."),
    "unknown": L_("This page does not exist."),
}


class Workspace:
    def __init__(self, app: App, courier: Courier) -> None:
        self.app = app
        self.courier = courier
        self.clock = app.engine.clock
        self.sessions = app.database.sessions
        self.write_sessions = app.database.write_sessions
        self.catalogs = Catalogs(TRANSLATIONS)
        default = app.settings.default_locale
        self.default_locale = default if default in UI_LOCALES else "en"
        self.env = Environment(
            loader=PackageLoader("bot.workspace", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._cookies: Cookies | None = None

    async def cookies(self) -> Cookies:
        if self._cookies is None:
            secret = await accounts.secret_key(self.write_sessions)
            secure = (self.app.settings.public_url or "").startswith("https://")
            self._cookies = Cookies(secret, secure, self.default_locale)
        return self._cookies

    # -- routes ------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        agent, admin = WorkspaceRole.AGENT, WorkspaceRole.ADMIN
        from bot.workspace import pages

        p = pages.Pages(self)
        routes: list[BaseRoute] = [
            Route("/", self.page(p.home, None), methods=["GET"]),
            Route("/sign-in", self.page(p.sign_in, None), methods=["GET", "POST"]),
            Route("/welcome/{token}", self.page(p.welcome, None), methods=["GET", "POST"]),
            Route("/sign-out", self.page(p.sign_out, None), methods=["POST"]),
            Route("/language", self.page(p.language, None), methods=["POST"]),
            Route("/inbox", self.page(p.inbox, agent), methods=["GET"]),
            Route("/duty", self.page(p.duty, agent), methods=["POST"]),
            Route("/tickets/{number:int}", self.page(p.ticket, agent), methods=["GET"]),
            Route(
                "/tickets/{number:int}/{action}",
                self.page(p.ticket_action, agent),
                methods=["POST"],
            ),
            Route("/appointments", self.page(p.appointments, agent), methods=["GET"]),
            Route(
                "/appointments/{reference}/{action}",
                self.page(p.booking_action, agent),
                methods=["POST"],
            ),
            Route("/slots", self.page(p.add_slots, agent), methods=["POST"]),
            Route("/slots/{slot:int}/cancel", self.page(p.cancel_slot, agent), methods=["POST"]),
            Route("/accounts", self.page(p.accounts, admin), methods=["GET", "POST"]),
            Route(
                "/accounts/{account:int}/{action}",
                self.page(p.account_action, admin),
                methods=["POST"],
            ),
            Route("/audit", self.page(p.audit, admin), methods=["GET"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        return [Mount("/admin", routes=routes)]

    def page(
        self, handler: Handler, role: WorkspaceRole | None
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            cookies = await self.cookies()
            visit = cookies.read(request)
            if visit.account_id is not None:
                found = await accounts.account(self.sessions, visit.account_id)
                # A reset, a new role or a removal ends every session of the account.
                if found is None or found.epoch != visit.epoch:
                    Cookies.signed_out(visit)
                else:
                    visit.account = found
            form: FormData | None = None
            if request.method == "POST":
                try:
                    form = await request.form(
                        max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_PART
                    )
                except Exception:
                    return self.refuse(visit, 400, "csrf", cookies)
                token = form.get("csrf")
                if not isinstance(token, str) or not hmac.compare_digest(token, visit.csrf):
                    log.info("workspace.csrf_refused")
                    return self.refuse(visit, 403, "csrf", cookies)
            if role is not None:
                if visit.account is None:
                    response: Response = RedirectResponse("/admin/sign-in", status_code=303)
                    cookies.write(response, visit)
                    return response
                if not visit.account.role.allows(role):
                    log.info("workspace.role_refused")
                    return self.refuse(visit, 403, "role", cookies)
            response = await handler(request, visit, form)
            cookies.write(response, visit)
            return response

        return endpoint

    # -- rendering ---------------------------------------------------------------------------

    def translator(self, visit: Visit) -> Translator:
        code = visit.locale if visit.locale in UI_LOCALES else self.default_locale
        return self.catalogs.translator(code)

    def render(
        self, visit: Visit, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        t = self.translator(visit)
        now = self.clock()

        def when(value: dt.datetime | None) -> str:
            if value is None:
                return ""
            aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            return format_datetime(aware, "short", tzinfo=PARIS, locale=t.babel_locale)

        def ago(value: dt.datetime) -> str:
            aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            return format_timedelta(now - aware, locale=t.babel_locale)

        def duration(value: dt.timedelta | None) -> str:
            return format_timedelta(value, locale=t.babel_locale) if value is not None else "—"

        html = self.env.get_template(template).render(
            _=t,
            t=t,
            lang=t.code,
            visit=visit,
            me=visit.account,
            csrf=visit.csrf,
            ui_locales=UI_LOCALES,
            when=when,
            ago=ago,
            duration=duration,
            language=lambda code: language_name(code, t.code),
            is_admin=visit.account is not None and visit.account.role is WorkspaceRole.ADMIN,
            status_labels=STATUS_LABELS,
            kind_labels=KIND_LABELS,
            booking_labels=BOOKING_LABELS,
            weekdays=WEEKDAYS,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        self.harden(response)
        return response

    @staticmethod
    def harden(response: Response) -> None:
        # The welcome link carries its token: never sent on as a referrer, never cached.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )

    def refuse(self, visit: Visit, status: int, reason: str, cookies: Cookies) -> Response:
        response = self.render(
            visit, "error.html", status=status, reason=REFUSALS.get(reason, REFUSALS["unknown"])
        )
        cookies.write(response, visit)
        return response

    @staticmethod
    def see(url: str) -> Response:
        """After a changing form: back to a page (so a reload does not post again)."""
        return RedirectResponse(url, status_code=303)


def build_workspace(app: App, courier: Courier) -> list[BaseRoute]:
    return Workspace(app, courier).routes()


__all__ = ["Workspace", "build_workspace"]
