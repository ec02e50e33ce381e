"""The workspace's pages: each reads the visit, does one thing, and renders or redirects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bookings.slots import (
    PlanError,
    check_plan,
    expand,
    paris,
    parse_date,
    parse_time,
    parse_weekdays,
)
from bot.workspace import accounts, appointments, inbox
from bot.workspace.accounts import AccountError, SignIn, WorkspaceRole
from bot.workspace.appointments import DECLINE_REASONS, BookingActionError
from bot.workspace.inbox import KINDS, STATUSES, Filters, InboxError
from bot.workspace.session import Cookies, Visit
from bot.workspace.threads import OPEN

if TYPE_CHECKING:
    from bot.workspace.web import Workspace


def L_(message: str) -> str:
    return message


MESSAGES: dict[str, str] = {
    "wrong": L_("Wrong email or password."),
    "locked": L_("Too many wrong passwords: signing in is locked for 15 minutes."),
    "link": L_("This sign-in link is not valid any more. Ask an administrator for a new one."),
    "short": L_("The password needs at least 10 characters."),
    "long": L_("The password is too long."),
    "differ": L_("The two passwords differ."),
    "empty": L_("Write a reply or attach an entry."),
    "closed": L_("This ticket is closed: reopen it first."),
    "assigned": L_("Another agent has this ticket."),
    "busy": L_("The person is writing at this moment: try again."),
    "not_attached": L_("Teach the bot with an entry you attached to a reply."),
    "unknown": L_("This cannot be done."),
    "not_started": L_("Not before the appointment's start."),
    "transition": L_("This booking cannot change this way now."),
    "unknown_place": L_("This place is not one of the service's."),
    "needs_time": L_("Give this request a date and a time to confirm it."),
    "past": L_("This time is in the past."),
    "sent": L_("Sent."),
    "done": L_("Done."),
    "slots": L_("Slots opened."),
    "plan": L_("These slots cannot be opened: check the service, place, date and times."),
}


def _text(form: FormData | None, name: str, limit: int = 5000) -> str:
    value = form.get(name) if form is not None else None
    return value[:limit] if isinstance(value, str) else ""


class Pages:
    def __init__(self, workspace: Workspace) -> None:
        self.w = workspace

    # -- signing in ---------------------------------------------------------------------------

    async def home(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        return self.w.see("/admin/inbox" if visit.account else "/admin/sign-in")

    async def sign_in(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        if form is None:
            if visit.account is not None:
                return self.w.see("/admin/inbox")
            return self.w.render(visit, "sign_in.html")
        email = _text(form, "email", 254)
        address = request.client.host if request.client else "-"
        result = await accounts.sign_in(
            self.w.write_sessions, email, _text(form, "password", 300), address, self.w.clock()
        )
        if result.outcome is SignIn.OK and result.account is not None:
            Cookies.signed_in(visit, result.account)
            await inbox.audit_now(self.w.write_sessions, result.account, "sign_in")
            return self.w.see("/admin/inbox")
        key = "locked" if result.outcome is SignIn.LOCKED else "wrong"
        return self.w.render(visit, "sign_in.html", status=401, error=MESSAGES[key], email=email)

    async def welcome(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        token = request.path_params["token"]
        now = self.w.clock()
        found = await accounts.account_for_token(self.w.sessions, token, now)
        if found is None:
            return self.w.render(visit, "error.html", status=404, reason=MESSAGES["link"])
        if form is None:
            return self.w.render(visit, "welcome.html", account=found, token=token)
        password = _text(form, "password", 300)
        if password != _text(form, "again", 300):
            error = MESSAGES["differ"]
        else:
            try:
                done = await accounts.redeem_token(self.w.write_sessions, token, password, now)
            except AccountError as problem:
                error = MESSAGES.get(str(problem), MESSAGES["unknown"])
            else:
                if done is None:
                    return self.w.render(visit, "error.html", status=404, reason=MESSAGES["link"])
                Cookies.signed_in(visit, done)
                await inbox.audit_now(self.w.write_sessions, done, "account.password_set")
                return self.w.see("/admin/inbox")
        return self.w.render(
            visit, "welcome.html", status=400, account=found, token=token, error=error
        )

    async def sign_out(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        if visit.account is not None:
            await inbox.audit_now(self.w.write_sessions, visit.account, "sign_out")
        Cookies.signed_out(visit)
        return self.w.see("/admin/sign-in")

    async def language(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        chosen = _text(form, "lang", 8)
        if chosen in self.w.catalogs:
            visit.locale = chosen
        back = _text(form, "back", 300)
        return self.w.see(back if back.startswith("/admin/") else "/admin/")

    # -- the inbox ----------------------------------------------------------------------------

    async def inbox(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        assert visit.account is not None
        query = request.query_params
        status = query.get("status", OPEN)
        filters = Filters(
            status=status if status in STATUSES else OPEN,
            locale=query.get("locale", "")[:16],
            kind=query.get("kind", "") if query.get("kind", "") in KINDS else "",
            urgent=query.get("urgent") == "1",
            mine=query.get("mine") == "1",
        )
        now = self.w.clock()
        return self.w.render(
            visit,
            "inbox.html",
            tickets=await inbox.list_tickets(self.w.sessions, filters, visit.account),
            filters=filters,
            statuses=STATUSES,
            kinds=KINDS,
            counts=await inbox.counts_per_language(self.w.sessions),
            figures=await inbox.figures(self.w.sessions, now),
            locales=self.w.app.catalogs.locales,
        )

    async def duty(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        assert visit.account is not None
        on = _text(form, "on_duty") == "1"
        await accounts.set_on_duty(self.w.write_sessions, visit.account.id, on)
        await inbox.audit_now(
            self.w.write_sessions, visit.account, "account.on_duty" if on else "account.off_duty"
        )
        return self.w.see("/admin/inbox")

    async def ticket(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        number = int(request.path_params["number"])
        detail = await inbox.ticket_detail(self.w.sessions, number)
        if detail is None:
            return self.w.render(visit, "error.html", status=404, reason=MESSAGES["unknown"])
        library = self.w.app.engine.services.library
        # Titles in the agent's language: the person receives each card in their own.
        entries = await library.entries(self.w.translator(visit).code)
        titles = {entry.slug: entry.title for entry in entries}
        attached = sorted({slug for m in detail.messages for slug in m.entries})
        notice = request.query_params.get("notice", "")
        return self.w.render(
            visit,
            "ticket.html",
            ticket=detail,
            entries=sorted(entries, key=lambda entry: entry.title.casefold()),
            titles=titles,
            attached=attached,
            notice=MESSAGES.get(notice, ""),
            problem=MESSAGES.get(request.query_params.get("problem", ""), ""),
        )

    async def ticket_action(
        self, request: Request, visit: Visit, form: FormData | None
    ) -> Response:
        assert visit.account is not None and form is not None
        number = int(request.path_params["number"])
        action = request.path_params["action"]
        sessions, courier, me, now = (
            self.w.write_sessions,
            self.w.courier,
            visit.account,
            self.w.clock(),
        )
        back = f"/admin/tickets/{number}"
        try:
            if action == "assign":
                await inbox.assign(sessions, number, me)
            elif action == "reply":
                slugs = [value for value in form.getlist("entries") if isinstance(value, str)]
                await inbox.reply(sessions, courier, number, me, _text(form, "text"), slugs, now)
                return self.w.see(f"{back}?notice=sent")
            elif action == "take-over":
                await inbox.take_over(sessions, courier, number, me, now)
            elif action == "hand-back":
                await inbox.hand_back(sessions, courier, number, me, now)
            elif action == "close":
                await inbox.close(sessions, courier, number, me, now)
            elif action == "reopen":
                await inbox.reopen(sessions, number, me, now)
            elif action == "teach":
                await inbox.teach(
                    sessions, number, me, _text(form, "slug", 128), _text(form, "words", 200), now
                )
            else:
                return self.w.render(visit, "error.html", status=404, reason=MESSAGES["unknown"])
        except InboxError as problem:
            return self.w.see(f"{back}?problem={problem}")
        return self.w.see(f"{back}?notice=done")

    # -- appointments ---------------------------------------------------------------------------

    async def appointments(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        desk = self.w.app.bookings
        if desk is None:
            return self.w.render(visit, "error.html", status=404, reason=MESSAGES["unknown"])
        now = self.w.clock()
        agenda = await appointments.agenda(desk, now)
        services = {service.id: service for service in desk.catalogue.services}
        return self.w.render(
            visit,
            "appointments.html",
            agenda=agenda,
            now=now,
            services=services,
            places_for=lambda service_id: appointments.places_for(desk, service_id),
            by_request=lambda service_id: appointments.by_request(desk, service_id),
            other_slots=lambda booking: appointments.other_slots(agenda, booking),
            reasons=DECLINE_REASONS,
            notice=MESSAGES.get(request.query_params.get("notice", ""), ""),
            problem=MESSAGES.get(request.query_params.get("problem", ""), ""),
            t_person=self.w.app.catalogs.translator(self.w.translator(visit).code),
        )

    async def booking_action(
        self, request: Request, visit: Visit, form: FormData | None
    ) -> Response:
        assert visit.account is not None
        desk = self.w.app.bookings
        if desk is None:
            return self.w.render(visit, "error.html", status=404, reason=MESSAGES["unknown"])
        reference = str(request.path_params["reference"])[:32]
        action = request.path_params["action"]
        starts_at = None
        try:
            if _text(form, "date", 10) and _text(form, "time", 5):
                starts_at = paris(
                    parse_date(_text(form, "date", 10)), parse_time(_text(form, "time", 5))
                )
        except PlanError:
            return self.w.see("/admin/appointments?problem=plan")
        try:
            status = await appointments.act(
                desk,
                self.w.app.catalogs,
                reference,
                action,
                visit.account.id,
                self.w.clock(),
                place_id=_text(form, "place", 64) or None,
                starts_at=starts_at,
                slot_id=int(_text(form, "slot", 12)) if _text(form, "slot", 12).isdigit() else None,
                reason_code=_text(form, "reason", 32),
                own_words=_text(form, "words", 500),
            )
        except BookingActionError as problem:
            return self.w.see(f"/admin/appointments?problem={problem}")
        await inbox.audit_now(
            self.w.write_sessions, visit.account, f"booking.{action}", f"{reference} {status}"
        )
        return self.w.see("/admin/appointments?notice=done")

    async def add_slots(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        assert visit.account is not None
        desk = self.w.app.bookings
        if desk is None:
            return self.w.render(visit, "error.html", status=404, reason=MESSAGES["unknown"])
        now = self.w.clock()
        try:
            until_text = _text(form, "until", 10)
            days = [
                value
                for value in (form.getlist("weekdays") if form else [])
                if isinstance(value, str)
            ]
            length_text = _text(form, "length", 4)
            plans = expand(
                _text(form, "service", 32),
                _text(form, "place", 64),
                parse_date(_text(form, "date", 10)),
                parse_time(_text(form, "start", 5)),
                parse_time(_text(form, "end", 5)),
                int(_text(form, "capacity", 3) or "1"),
                length=int(length_text) if length_text else None,
                until=parse_date(until_text) if until_text else None,
                weekdays=parse_weekdays("+".join(days)) if until_text and days else None,
            )
            for plan in plans:
                check_plan(desk.catalogue, plan, now)
        except (PlanError, ValueError):
            return self.w.see("/admin/appointments?problem=plan#slots")
        count = await appointments.add_slots(desk, plans, visit.account.id, now)
        await inbox.audit_now(self.w.write_sessions, visit.account, "slots.add", f"{count} slots")
        return self.w.see("/admin/appointments?notice=slots#slots")

    async def cancel_slot(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        assert visit.account is not None
        desk = self.w.app.bookings
        if desk is None:
            return self.w.render(visit, "error.html", status=404, reason=MESSAGES["unknown"])
        slot = int(request.path_params["slot"])
        try:
            told = await appointments.cancel_slot(
                desk, slot, _text(form, "reason", 500), visit.account.id, self.w.clock()
            )
        except BookingActionError as problem:
            return self.w.see(f"/admin/appointments?problem={problem}#slots")
        await inbox.audit_now(
            self.w.write_sessions, visit.account, "slots.cancel", f"slot {slot} ({told} told)"
        )
        return self.w.see("/admin/appointments?notice=done#slots")

    # -- accounts and audit (admins) -------------------------------------------------------------

    async def accounts(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        link = ""
        error = ""
        if form is not None:
            try:
                role = WorkspaceRole(_text(form, "role", 16) or "agent")
                account, token = await accounts.add_account(
                    self.w.write_sessions, _text(form, "email", 254), role, self.w.clock()
                )
            except (AccountError, ValueError) as problem:
                error = str(problem)
            else:
                link = self.welcome_link(token)
                await inbox.audit_now(
                    self.w.write_sessions, visit.account, "account.add", account.email
                )
        return self.w.render(
            visit,
            "accounts.html",
            accounts=await accounts.list_accounts(self.w.sessions),
            roles=[role.value for role in WorkspaceRole],
            link=link,
            error=error,
        )

    def welcome_link(self, token: str) -> str:
        from bot.workspace.courier import admin_base

        return f"{admin_base(self.w.app)}/welcome/{token}"

    async def account_action(
        self, request: Request, visit: Visit, form: FormData | None
    ) -> Response:
        number = int(request.path_params["account"])
        action = request.path_params["action"]
        found = await accounts.account(self.w.sessions, number)
        if found is None:
            return self.w.render(visit, "error.html", status=404, reason=MESSAGES["unknown"])
        link = ""
        error = ""
        try:
            if action == "reset":
                _account, token = await accounts.reset_account(
                    self.w.write_sessions, found.email, self.w.clock()
                )
                link = self.welcome_link(token)
            elif action == "remove":
                await accounts.remove_account(self.w.write_sessions, found.email)
            elif action == "role":
                await accounts.set_role(
                    self.w.write_sessions, found.email, WorkspaceRole(_text(form, "role", 16))
                )
            elif action == "link":
                await accounts.link_identity(
                    self.w.write_sessions,
                    found.email,
                    _text(form, "channel", 16),
                    _text(form, "platform_id", 128).strip(),
                )
            else:
                return self.w.render(visit, "error.html", status=404, reason=MESSAGES["unknown"])
        except (AccountError, ValueError) as problem:
            error = str(problem)
        else:
            await inbox.audit_now(
                self.w.write_sessions, visit.account, f"account.{action}", found.email
            )
        if not link and not error:
            return self.w.see("/admin/accounts")
        return self.w.render(
            visit,
            "accounts.html",
            accounts=await accounts.list_accounts(self.w.sessions),
            roles=[role.value for role in WorkspaceRole],
            link=link,
            error=error,
        )

    async def audit(self, request: Request, visit: Visit, form: FormData | None) -> Response:
        return self.w.render(
            visit,
            "audit.html",
            lines=await inbox.audit_lines(self.w.write_sessions, self.w.clock()),
        )
