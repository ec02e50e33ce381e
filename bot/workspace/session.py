"""The workspace's session: a signed cookie (HttpOnly, SameSite=Lax, Secure behind https)
that expires after 12 hours without a visit, with the CSRF token of its forms."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from bot.workspace.accounts import Account

COOKIE = "passerelle_workspace"
IDLE = 12 * 3600
PATH = "/admin"


@dataclass
class Visit:
    """Who is on this request: the CSRF token, the account once signed in, the language."""

    csrf: str
    locale: str
    account: Account | None = None
    account_id: int | None = None
    epoch: int = 0


class Cookies:
    def __init__(self, secret: str, secure: bool, default_locale: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="passerelle-workspace-session")
        self.secure = secure
        self.default_locale = default_locale

    def read(self, request: Request) -> Visit:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self.serializer.loads(raw, max_age=IDLE)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                account_id = data.get("a")
                epoch = data.get("e")
                locale = data.get("l")
                return Visit(
                    csrf=data["c"],
                    locale=locale if isinstance(locale, str) else self.default_locale,
                    account_id=account_id if isinstance(account_id, int) else None,
                    epoch=epoch if isinstance(epoch, int) else 0,
                )
        return Visit(csrf=secrets.token_urlsafe(32), locale=self.default_locale)

    def write(self, response: Response, visit: Visit) -> None:
        """Re-issued with every answer: the 12 idle hours count from the last visit."""
        value = self.serializer.dumps(
            {"c": visit.csrf, "a": visit.account_id, "e": visit.epoch, "l": visit.locale}
        )
        response.set_cookie(
            COOKIE,
            value,
            max_age=IDLE,
            path=PATH,
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    @staticmethod
    def signed_in(visit: Visit, account: Account) -> None:
        """A new CSRF token with every sign-in (no token from before it stays valid)."""
        visit.csrf = secrets.token_urlsafe(32)
        visit.account = account
        visit.account_id = account.id
        visit.epoch = account.epoch

    @staticmethod
    def signed_out(visit: Visit) -> None:
        visit.csrf = secrets.token_urlsafe(32)
        visit.account = None
        visit.account_id = None
        visit.epoch = 0
