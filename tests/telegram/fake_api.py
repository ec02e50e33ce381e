"""A fake Telegram Bot API server on 127.0.0.1: what the tests and the benchmark talk to.

It keeps chats and messages, hands out updates by long polling or pushes them
to a webhook, and refuses what Telegram refuses (texts over 4,096 characters,
callback data over 64 bytes, malformed or unsupported HTML, an edit to
identical content, an unknown callback query), answering 429 on demand.
Everything it refused is kept in `errors`, so a test can assert there was none.

People are played from the test side: `send_text`, `press`, `send_location`,
`send_media` queue updates as Telegram would build them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
BOT_USER = {"id": 1000, "is_bot": True, "first_name": "Passerelle", "username": "passerelle_bot"}

#: Tags Telegram's HTML parse mode accepts, and the one attribute some of them need.
ALLOWED_TAGS = {
    "b": None,
    "strong": None,
    "i": None,
    "em": None,
    "u": None,
    "ins": None,
    "s": None,
    "strike": None,
    "del": None,
    "tg-spoiler": None,
    "span": "class",
    "a": "href",
    "code": None,
    "pre": None,
    "blockquote": None,
    "tg-emoji": "emoji-id",
}
#: The entity type Telegram reports for each tag.
ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(HTMLParser):
    """Telegram's HTML: a few tags, properly nested; the visible text comes out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int]] = []
        self.text: list[str] = []
        #: (tag, offset, length), offsets and lengths in UTF-16 code units as Telegram counts.
        self.entities: list[tuple[str, int, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        needed = ALLOWED_TAGS[tag]
        if needed is not None and needed not in dict(attrs):
            raise ApiError(400, f'Bad Request: can\'t parse entities: tag "{tag}" needs {needed}')
        self.stack.append((tag, utf16_length("".join(self.text))))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')
        _, offset = self.stack.pop()
        self.entities.append((tag, offset, utf16_length("".join(self.text)) - offset))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(source: str) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """The visible text and its formatting, or the 400 Telegram would answer."""
    for index, char in enumerate(source):
        if char == "&" and not ENTITY.match(source, index):
            raise ApiError(400, "Bad Request: can't parse entities: Unsupported HTML entity")
    for match in re.finditer(r"<", source):
        if not re.match(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>", source[match.start() :]):
            raise ApiError(
                400, "Bad Request: can't parse entities: Unexpected character '<' in text"
            )
    parser = _TelegramHtml()
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{parser.stack[-1][0]}"',
        )
    return "".join(parser.text), tuple(sorted(parser.entities, key=lambda e: e[1]))


@dataclass
class Button:
    text: str
    data: str


@dataclass
class FakeMessage:
    """A message in a chat, as the fake keeps it (`text` is what the reader sees)."""

    message_id: int
    chat_id: int
    from_bot: bool
    kind: str = "text"
    text: str = ""
    entities: tuple[tuple[str, int, int], ...] = ()
    keyboard: list[list[Button]] = field(default_factory=list)
    filename: str | None = None
    location: tuple[float, float] | None = None
    date: int = field(default_factory=lambda: int(time.time()))
    edits: int = 0

    def labels(self) -> list[str]:
        return [button.text for row in self.keyboard for button in row]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Person"},
        }
        if self.from_bot:
            data["from"] = BOT_USER
        else:
            data["from"] = {"id": self.chat_id, "is_bot": False, "first_name": "Person"}
        if self.kind == "text":
            data["text"] = self.text
            if self.entities:
                data["entities"] = self._entities_json()
        elif self.kind == "location" and self.location is not None:
            data["location"] = {"latitude": self.location[0], "longitude": self.location[1]}
        else:
            data["document"] = {"file_id": f"f{self.message_id}", "file_unique_id": "u"}
            if self.text:
                data["caption"] = self.text
                if self.entities:
                    data["caption_entities"] = self._entities_json()
        if self.keyboard:
            data["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": b.text, "callback_data": b.data} for b in row]
                    for row in self.keyboard
                ]
            }
        if self.edits:
            data["edit_date"] = self.date
        return data

    def _entities_json(self) -> list[dict[str, Any]]:
        return [
            {"type": ENTITY_TYPES[tag], "offset": offset, "length": length}
            for tag, offset, length in self.entities
        ]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Refusal:
    method: str
    code: int
    description: str


_OBJECT_FIELDS = {"reply_markup", "allowed_updates", "commands", "link_preview_options"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout"}
_FLOAT_FIELDS = {"latitude", "longitude"}


class FakeBotApi:
    """The server's state and its HTTP face; `start()` serves it on 127.0.0.1."""

    def __init__(self, token: str = "123:abc") -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.confirmed_below = 0
        self.chats: dict[int, list[FakeMessage]] = {}
        self.calls: list[Call] = []
        self.errors: list[Refusal] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_statuses: list[int] = []
        self.open_callbacks: set[str] = set()
        self.answered_callbacks: list[str] = []
        self._floods: dict[str, list[int]] = {}
        #: Faults of the next calls of a method, in order (see `fail`, `slow`).
        self._faults: dict[str, list[tuple[str, float]]] = {}
        #: Chats whose first sendMessage is answered with this error code (then forgotten).
        self.first_send_fails: dict[int, int] = {}
        self._first_send_code: int | None = None
        self._site: web.TCPSite | None = None
        self._port = 0
        #: sendMessage calls answered; past `_pause_after`, they wait for `resume()`.
        self.sends_answered = 0
        self.sends_waiting = 0
        #: The chats with a sendMessage held unanswered.
        self.chats_waiting: set[object] = set()
        self._pause_after: int | None = None
        self._resumed = asyncio.Event()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._called: dict[str, asyncio.Event] = {}
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._push_client: ClientSession | None = None
        self.url = ""

    # -- serving ------------------------------------------------------------------------------

    def web_app(self) -> web.Application:
        application = web.Application(client_max_size=20 * 1024 * 1024)
        application.router.add_route("*", "/bot{token}/{method}", self._endpoint)
        return application

    async def start(self, port: int = 0) -> str:
        self._runner = web.AppRunner(
            self.web_app(), access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._site = site
        self._port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self._port}"
        return self.url

    async def refuse_connections(self, seconds: float) -> None:
        """Stop listening (connections are refused) for `seconds`, then listen again on
        the same port."""
        assert self._site is not None and self._runner is not None
        await self._site.stop()
        await asyncio.sleep(seconds)
        site = web.TCPSite(self._runner, "127.0.0.1", self._port, reuse_address=True)
        await site.start()
        self._site = site

    async def stop(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._push_client is not None:
            await self._push_client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _endpoint(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params: dict[str, Any] = {}
        try:
            params = await self._params(request)
            self.calls.append(Call(method, params, time.monotonic()))
            self._called.setdefault(method, asyncio.Event()).set()
            flood = self._floods.get(method)
            if flood:
                retry_after = flood.pop(0)
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
            fault = self._faults[method].pop(0) if self._faults.get(method) else None
            if method == "sendMessage" and self._first_send_code is not None:
                chat = params.get("chat_id")
                if isinstance(chat, int) and chat not in self.first_send_fails:
                    self.first_send_fails[chat] = self._first_send_code
                    raise ApiError(self._first_send_code, "Internal Server Error: injected")
            if method == "sendMessage" and self._pause_after is not None:
                if self.sends_answered >= self._pause_after and not self._resumed.is_set():
                    # Held unanswered, nothing sent: a kill now catches sends in flight.
                    self.sends_waiting += 1
                    self.chats_waiting.add(params.get("chat_id"))
                    try:
                        await self._resumed.wait()
                    finally:
                        self.sends_waiting -= 1
                        self.chats_waiting.discard(params.get("chat_id"))
            if fault is not None and fault[0] == "error":
                raise ApiError(int(fault[1]), "Internal Server Error: injected")
            if fault is not None and fault[0] == "slow-lost":
                # The answer never comes in time, and nothing was sent.
                await asyncio.sleep(fault[1])
                raise ApiError(502, "Bad Gateway: injected")
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
            if method == "sendMessage":
                self.sends_answered += 1
            if fault is not None and fault[0] == "slow-delivered":
                # Sent, but the answer comes after the client stopped waiting.
                await asyncio.sleep(fault[1])
        except ApiError as error:
            self.errors.append(Refusal(method, error.code, error.description))
            self.observed(method, params, error)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.code,
                "description": error.description,
            }
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.code)
        self.observed(method, params, None)
        return web.json_response({"ok": True, "result": result})

    def observed(self, method: str, params: dict[str, Any], error: ApiError | None) -> None:
        """Called after every call of the bot; drivers (the benchmark) override it."""

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw: Mapping[str, Any]
        if request.content_type == "application/json":
            raw = await request.json()
        elif request.method == "POST" and request.can_read_body:
            raw = await request.post()
        else:
            raw = request.query
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):
                params[key] = {"filename": value.filename, "size": len(value.file.read())}
                continue
            if isinstance(value, str):
                try:
                    if key in _OBJECT_FIELDS:
                        value = json.loads(value)
                    elif key in _INT_FIELDS:
                        value = int(value)
                    elif key in _FLOAT_FIELDS:
                        value = float(value)
                except ValueError:
                    raise ApiError(400, f"Bad Request: field {key} is malformed") from None
            params[key] = value
        return params

    # -- what the test controls ---------------------------------------------------------------

    def flood(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and this `retry_after`."""
        self._floods.setdefault(method, []).extend([retry_after] * times)

    def fail(self, method: str, code: int = 500, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with this HTTP error."""
        self._faults.setdefault(method, []).extend([("error", float(code))] * times)

    def slow(self, method: str, seconds: float, *, delivered: bool, times: int = 1) -> None:
        """Answer the next `times` calls of `method` after `seconds` (past the client's
        read timeout): `delivered`, the message was sent all the same; else it was not."""
        kind = "slow-delivered" if delivered else "slow-lost"
        self._faults.setdefault(method, []).extend([(kind, seconds)] * times)

    def pause_sends_after(self, count: int) -> None:
        """Answer `count` more sendMessage calls, then hold the next ones unanswered (and
        unsent) until `resume()`; a client that goes away meanwhile sent nothing."""
        self._pause_after = self.sends_answered + count
        self._resumed.clear()

    def resume(self) -> None:
        self._resumed.set()
        self._pause_after = None

    def fail_first_send_per_chat(self, code: int = 500) -> None:
        """From now on, each chat's first sendMessage is answered with this error."""
        self._first_send_code = code

    async def called(self, method: str) -> None:
        """Until the bot has called `method` at least once."""
        await self._called.setdefault(method, asyncio.Event()).wait()

    def messages(self, chat_id: int) -> list[FakeMessage]:
        return self.chats.setdefault(chat_id, [])

    def last_keyboard(self, chat_id: int) -> FakeMessage | None:
        for message in reversed(self.messages(chat_id)):
            if message.from_bot and message.keyboard:
                return message
        return None

    def restart_update_ids(self) -> None:
        """Number the next updates from 1 again (Telegram does after a week of silence)."""
        self._update_ids = itertools.count(1)
        self.confirmed_below = 0

    async def _queue(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update_id

    async def send_text(self, chat_id: int, text: str, language_code: str | None = "en") -> int:
        message = self._user_message(chat_id)
        message.text = text
        data = message.to_json()
        if language_code:
            data["from"]["language_code"] = language_code
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._queue({"message": data})

    async def send_location(self, chat_id: int, latitude: float, longitude: float) -> int:
        message = self._user_message(chat_id)
        message.kind = "location"
        message.location = (latitude, longitude)
        return await self._queue({"message": message.to_json()})

    async def send_media(self, chat_id: int, kind: str) -> int:
        """A voice note, photo, sticker, document or video from the person."""
        message = self._user_message(chat_id)
        data = message.to_json()
        data.pop("text", None)
        file = {"file_id": f"file-{message.message_id}", "file_unique_id": f"u{message.message_id}"}
        if kind == "voice":
            data["voice"] = {**file, "duration": 3}
        elif kind == "photo":
            data["photo"] = [{**file, "width": 90, "height": 90}]
        elif kind == "sticker":
            data["sticker"] = {
                **file,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        elif kind == "video":
            data["video"] = {**file, "width": 90, "height": 90, "duration": 3}
        else:
            data["document"] = file
        return await self._queue({"message": data})

    async def press(
        self, chat_id: int, message: FakeMessage, data: str, language_code: str | None = "en"
    ) -> int:
        """The person presses a button (any data: Telegram passes it through)."""
        callback_id = str(next(self._callback_ids))
        self.open_callbacks.add(callback_id)
        sender: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Person"}
        if language_code:
            sender["language_code"] = language_code
        return await self._queue(
            {
                "callback_query": {
                    "id": callback_id,
                    "from": sender,
                    "message": message.to_json(),
                    "chat_instance": str(chat_id),
                    "data": data,
                }
            }
        )

    async def queue_raw(self, update: dict[str, Any]) -> int:
        """An update of any shape (an edited message, a channel post...)."""
        return await self._queue(update)

    async def confirmed(self, update_id: int, within: float = 10.0) -> None:
        """Until the bot confirmed the update (polling offset past it, or webhook 200)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: self.confirmed_below > update_id)

    def _user_message(self, chat_id: int) -> FakeMessage:
        message = FakeMessage(next(self._message_ids), chat_id, from_bot=False)
        self.messages(chat_id).append(message)
        return message

    # -- the Bot API --------------------------------------------------------------------------

    async def api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def api_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if offset > self.confirmed_below:
                    self.confirmed_below = offset
                    self._changed.notify_all()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(
                        lambda: any(u["update_id"] >= offset for u in self.updates)
                    )
            return [u for u in self.updates if u["update_id"] >= offset][:limit]

    async def api_setWebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: invalid URL")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook_url = url
        self.webhook_secret = secret
        if self._pusher is None:
            self._pusher = asyncio.create_task(self._push())
        return True

    async def api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = ""
        self.webhook_secret = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return True

    async def api_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands are malformed")
        for command in commands:
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description.strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[language] = commands
        return True

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _keyboard(self, params: dict[str, Any]) -> list[list[Button]]:
        markup = params.get("reply_markup")
        if markup is None:
            return []
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        keyboard: list[list[Button]] = []
        total = 0
        for row in rows:
            if not isinstance(row, list) or not row or len(row) > 8:
                raise ApiError(400, "Bad Request: REPLY_MARKUP_INVALID")
            buttons: list[Button] = []
            for button in row:
                text = str(button.get("text", ""))
                data = button.get("callback_data")
                if not text.strip():
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                buttons.append(Button(text, data))
            total += len(buttons)
            keyboard.append(buttons)
        if total > 100:
            raise ApiError(400, "Bad Request: reply markup is too long")
        return keyboard

    def _text(self, params: dict[str, Any], key: str, limit: int) -> tuple[str, tuple[Any, ...]]:
        source = str(params.get(key) or "")
        if str(params.get("parse_mode") or "") == "HTML":
            text, entities = parse_html(source)
        else:
            text, entities = source, ()
        if key == "text" and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > limit:
            kind = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {kind}")
        return text, entities

    def _bot_message(self, chat_id: int, kind: str) -> FakeMessage:
        message = FakeMessage(next(self._message_ids), chat_id, from_bot=True, kind=kind)
        self.messages(chat_id).append(message)
        return message

    async def api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params)
        text, entities = self._text(params, "text", TEXT_LIMIT)
        keyboard = self._keyboard(params)
        message = self._bot_message(chat_id, "text")
        message.text, message.entities, message.keyboard = text, entities, keyboard
        return message.to_json()

    def _find(self, params: dict[str, Any]) -> FakeMessage:
        chat_id = self._chat(params)
        message_id = params.get("message_id")
        for message in self.messages(chat_id):
            if message.message_id == message_id:
                if not message.from_bot:
                    raise ApiError(400, "Bad Request: message can't be edited")
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    async def api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._text(params, "text", TEXT_LIMIT)
        keyboard = self._keyboard(params)
        if (text, entities, keyboard) == (message.text, message.entities, message.keyboard):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.text, message.entities, message.keyboard = text, entities, keyboard
        message.edits += 1
        return message.to_json()

    async def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        keyboard = self._keyboard(params)
        if keyboard == message.keyboard:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message.keyboard = keyboard
        message.edits += 1
        return message.to_json()

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        callback_id = str(params.get("callback_query_id") or "")
        if callback_id not in self.open_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.open_callbacks.discard(callback_id)
        self.answered_callbacks.append(callback_id)
        return True

    async def _send_file(self, params: dict[str, Any], field_name: str, kind: str) -> Any:
        chat_id = self._chat(params)
        upload = params.get(field_name)
        if not isinstance(upload, dict) or not upload.get("size"):
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        caption, entities = self._text(params, "caption", CAPTION_LIMIT)
        message = self._bot_message(chat_id, kind)
        message.text, message.entities = caption, entities
        message.filename = upload.get("filename")
        message.keyboard = self._keyboard(params)
        return message.to_json()

    async def api_sendDocument(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "document", "document")

    async def api_sendPhoto(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "photo", "photo")

    async def api_sendVoice(self, params: dict[str, Any]) -> Any:
        return await self._send_file(params, "voice", "voice")

    async def api_sendLocation(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params)
        latitude, longitude = params.get("latitude"), params.get("longitude")
        if not isinstance(latitude, float) or not isinstance(longitude, float):
            raise ApiError(400, "Bad Request: wrong latitude or longitude")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ApiError(400, "Bad Request: wrong latitude or longitude")
        message = self._bot_message(chat_id, "location")
        message.location = (latitude, longitude)
        return message.to_json()

    # -- webhook delivery ---------------------------------------------------------------------

    async def _push(self) -> None:
        """Deliver queued updates to the webhook, one at a time, again until a 2xx."""
        self._push_client = ClientSession(timeout=ClientTimeout(total=30))
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self.webhook_url and self.updates))
                update = self.updates[0]
                url, secret = self.webhook_url, self.webhook_secret
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            try:
                async with self._push_client.post(url, json=update, headers=headers) as response:
                    status = response.status
            except Exception:
                status = 0
            self.webhook_statuses.append(status)
            if 200 <= status < 300:
                async with self._changed:
                    self.updates.remove(update)
                    self.confirmed_below = max(self.confirmed_below, update["update_id"] + 1)
                    self._changed.notify_all()
            else:
                await asyncio.sleep(0.05)
