"""A fake WhatsApp Cloud API on 127.0.0.1 that refuses what the real one refuses.

It enforces the message limits (text 4,096; ≤3 reply buttons of ≤20 characters; lists of
≤10 rows with a ≤20 button label, ≤24 row titles, ≤72 descriptions; bodies ≤1,024...), the
templates it knows, and the 24-hour rule: the tests tell it when each person last wrote (as
WhatsApp knows it), and free-form messages outside that window fail with 131047.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

WINDOW = dt.timedelta(hours=24)
DOCUMENT_TYPES = {
    "text/plain",
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
MEDIA_TYPES = DOCUMENT_TYPES | {
    "image/jpeg",
    "image/png",
    "audio/aac",
    "audio/amr",
    "audio/mpeg",
    "audio/mp4",
    "audio/ogg",
}


class Refused(Exception):
    def __init__(self, code: int, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Sent:
    """A message the fake accepted: who it was addressed to, and the request body."""

    to: str
    body: dict[str, Any]
    message_id: str

    @property
    def kind(self) -> str:
        return str(self.body.get("type"))


@dataclass
class FakeGraph:
    phone_number_id: str
    token: str
    clock: Callable[[], dt.datetime]
    #: Template name -> (number of body parameters, number of quick-reply buttons).
    templates: dict[str, tuple[int, int]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    uploads: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    #: When each person (by phone number and by BSUID) last wrote, as WhatsApp knows it.
    last_inbound: dict[str, dt.datetime] = field(default_factory=dict)
    #: Refusals to give to the next sends, in order: (HTTP status, error code).
    failures: list[tuple[int, int | None]] = field(default_factory=list)
    #: Seconds given in a Retry-After header with the injected refusals (None: no header).
    retry_after: float | None = None
    #: Faults of the next sends, in order: "slow-delivered" (the message is sent, the answer
    #: comes after `slow` seconds), "slow-lost" (nothing sent, the answer as late).
    slow_sends: list[str] = field(default_factory=list)
    slow: float = 0.0
    #: Like the real API, accept out-of-window messages and report 131047 in a status later.
    window_refusal_later: bool = False
    late_refusals: list[Sent] = field(default_factory=list)
    #: The codes a test expects to be refused with; anything else fails the test.
    expected_refusals: set[int] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    # -- what tests tell it and ask it ----------------------------------------------------

    def person_wrote(self, *ids: str | None, at: dt.datetime) -> None:
        for key in ids:
            if key:
                self.last_inbound[key] = at

    def to(self, *ids: str | None) -> list[Sent]:
        keys = {key for key in ids if key}
        return [sent for sent in self.sent if sent.to in keys]

    def unexpected_refusals(self) -> list[tuple[int, str]]:
        return [
            (code, reason) for code, reason in self.refused if code not in self.expected_refusals
        ]

    # -- serving --------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=120 * 1024 * 1024)
        app.router.add_post("/v21.0/{phone}/messages", self._messages)
        app.router.add_post("/v21.0/{phone}/media", self._media)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/v21.0"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _refusal(self, error: Refused) -> web.Response:
        self.refused.append((error.code, error.reason))
        injected = error.reason == "injected failure" and self.retry_after is not None
        headers = {"Retry-After": str(self.retry_after)} if injected else {}
        return web.json_response(
            headers=headers,
            data={
                "error": {
                    "message": f"(#{error.code}) {error.reason}",
                    "type": "OAuthException",
                    "code": error.code,
                    "error_data": {"messaging_product": "whatsapp", "details": error.reason},
                    "fbtrace_id": "AbCdEf",
                }
            },
            status=error.status,
        )

    def _authorise(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise Refused(190, "Invalid OAuth access token", status=401)
        if request.match_info["phone"] != self.phone_number_id:
            raise Refused(100, "Unknown phone number id")

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            self._authorise(request)
            if self.failures:
                status, code = self.failures.pop(0)
                raise Refused(code or 0, "injected failure", status=status)
            fault = self.slow_sends.pop(0) if self.slow_sends else None
            if fault == "slow-lost":
                await asyncio.sleep(self.slow)
                raise Refused(131000, "injected timeout")
            body = await request.json()
            if not isinstance(body, dict):
                raise Refused(100, "body is not an object")
            to = check_message(body, self.templates)
            late = False
            if body.get("type") != "template" and not self._in_window(to):
                if not self.window_refusal_later:
                    raise Refused(131047, "Re-engagement message")
                late = True
        except Refused as error:
            return self._refusal(error)
        sent = Sent(to=to, body=body, message_id=f"wamid.out.{next(self._ids)}")
        if late:
            self.late_refusals.append(sent)
        else:
            self.sent.append(sent)
        if fault == "slow-delivered":
            await asyncio.sleep(self.slow)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": sent.message_id}],
            }
        )

    def _in_window(self, to: str) -> bool:
        last = self.last_inbound.get(to)
        return last is not None and self.clock() - last < WINDOW

    async def _media(self, request: web.Request) -> web.Response:
        try:
            self._authorise(request)
            form = await request.post()
            if form.get("messaging_product") != "whatsapp":
                raise Refused(100, "messaging_product must be whatsapp")
            mime = str(form.get("type", ""))
            upload = form.get("file")
            if not isinstance(upload, web.FileField):
                raise Refused(100, "file is required")
            if mime not in MEDIA_TYPES:
                raise Refused(131053, f"unsupported media type {mime}")
            content = upload.file.read()
            if not content:
                raise Refused(131053, "empty media")
        except Refused as error:
            return self._refusal(error)
        media_id = f"media.{next(self._ids)}"
        self.uploads[media_id] = (mime, upload.filename, content)
        return web.json_response({"id": media_id})


# -- the rules ------------------------------------------------------------------------------------


def _require(condition: bool, reason: str, code: int = 131009) -> None:
    if not condition:
        raise Refused(code, reason)


def _string(value: object, name: str, limit: int, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    _require(isinstance(value, str), f"{name} must be a string", 100)
    assert isinstance(value, str)
    _require(not required or value.strip() != "", f"{name} is empty")
    _require(len(value) <= limit, f"{name} is longer than {limit} characters ({len(value)})")
    return value


def check_message(body: dict[str, Any], templates: dict[str, tuple[int, int]]) -> str:
    """Refuse a message as the Cloud API would; the recipient it is addressed to."""
    _require(body.get("messaging_product") == "whatsapp", "messaging_product", 100)
    to = body.get("recipient") or body.get("to")
    _require(isinstance(to, str) and to != "", "to or recipient is required", 100)
    assert isinstance(to, str)
    kind = body.get("type", "text")
    content = body.get(kind)
    _require(isinstance(content, dict), f"{kind} object is required", 100)
    assert isinstance(content, dict)
    if kind == "text":
        _string(content.get("body"), "text.body", 4096)
    elif kind == "interactive":
        check_interactive(content)
    elif kind == "template":
        check_template(content, templates)
    elif kind in ("document", "image", "audio"):
        _require(bool(content.get("id") or content.get("link")), f"{kind} id or link", 100)
        if kind == "audio":
            _require("caption" not in content, "audio has no caption", 100)
        else:
            _string(content.get("caption"), f"{kind}.caption", 1024, required=False)
    elif kind == "location":
        _require(isinstance(content.get("latitude"), int | float), "latitude", 100)
        _require(isinstance(content.get("longitude"), int | float), "longitude", 100)
    else:
        raise Refused(131051, f"unsupported message type {kind}")
    return to


def check_interactive(interactive: dict[str, Any]) -> None:
    body = interactive.get("body")
    _require(isinstance(body, dict), "interactive.body is required", 100)
    assert isinstance(body, dict)
    _string(body.get("text"), "interactive.body.text", 1024)
    header = interactive.get("header")
    if header is not None:
        _string(header.get("text"), "header.text", 60)
    footer = interactive.get("footer")
    if footer is not None:
        _string(footer.get("text"), "footer.text", 60)
    action = interactive.get("action")
    _require(isinstance(action, dict), "interactive.action is required", 100)
    assert isinstance(action, dict)
    if interactive.get("type") == "button":
        buttons = action.get("buttons")
        _require(isinstance(buttons, list) and 1 <= len(buttons) <= 3, "1 to 3 buttons")
        assert isinstance(buttons, list)
        ids: set[str] = set()
        titles: set[str] = set()
        for button in buttons:
            _require(button.get("type") == "reply", "button type must be reply", 100)
            reply = button.get("reply") or {}
            ids.add(_string(reply.get("id"), "button id", 256))
            titles.add(_string(reply.get("title"), "button title", 20))
        _require(len(ids) == len(buttons), "button ids must be unique")
        _require(len(titles) == len(buttons), "button titles must be unique")
    elif interactive.get("type") == "list":
        _string(action.get("button"), "list button", 20)
        sections = action.get("sections")
        _require(isinstance(sections, list) and 1 <= len(sections) <= 10, "1 to 10 sections")
        assert isinstance(sections, list)
        row_ids: list[str] = []
        for section in sections:
            _string(section.get("title"), "section title", 24, required=len(sections) > 1)
            rows = section.get("rows")
            _require(isinstance(rows, list) and len(rows) >= 1, "a section needs rows")
            for row in rows:
                row_ids.append(_string(row.get("id"), "row id", 200))
                _string(row.get("title"), "row title", 24)
                _string(row.get("description"), "row description", 72, required=False)
        _require(len(row_ids) <= 10, f"at most 10 rows ({len(row_ids)})")
        _require(len(set(row_ids)) == len(row_ids), "row ids must be unique")
    else:
        raise Refused(100, f"unknown interactive type {interactive.get('type')}")


def check_template(template: dict[str, Any], templates: dict[str, tuple[int, int]]) -> None:
    name = template.get("name")
    _require(isinstance(name, str) and name in templates, f"template {name} does not exist", 132001)
    assert isinstance(name, str)
    language = template.get("language") or {}
    _require(bool(language.get("code")), "template language code", 100)
    params, buttons = templates[name]
    body_params: list[dict[str, Any]] = []
    button_count = 0
    for component in template.get("components", []):
        if component.get("type") == "body":
            body_params = component.get("parameters", [])
        elif component.get("type") == "button":
            button_count += 1
            _require(component.get("sub_type") == "quick_reply", "button sub_type", 100)
            payload = component["parameters"][0].get("payload")
            _string(payload, "quick reply payload", 256)
    _require(len(body_params) == params, f"expected {params} parameters", 132000)
    _require(button_count <= buttons, "too many buttons", 132000)
    for parameter in body_params:
        value = _string(parameter.get("text"), "template parameter", 1024)
        _require(
            "\n" not in value and "\t" not in value and "    " not in value,
            "parameter with new lines, tabs or 4 spaces",
            132018,
        )
