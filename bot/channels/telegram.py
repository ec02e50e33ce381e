"""Telegram, through python-telegram-bot: updates in (long polling or webhook), replies out.

The only module that imports `telegram`. The way of one update:

1. *Reading*: the update's JSON becomes an `Incoming` (text and commands, a
   button id, a location, a voice note or photo); anything else is ignored.
2. *Handling*, in the chat's inbound lane: the engine dedupes, runs the step
   and commits the replies to the outbox. Once this is done the update is
   safe: the polling offset moves past it, the webhook answers 200.
3. *Sending*, in the chat's outbound lane: the callback query is answered,
   the replies are grouped into as few messages as keep their meaning (notes
   with the menu after them, a card with its buttons under it), rendered
   (HTML, inline keyboards, pages, 4,096-character chunks) and sent, each
   outbox id marked sent; a failure marks the rest failed and `OutboxRetrier`
   sends them later. A press on a menu redraws it in place; a card is never
   redrawn.

One lane per chat keeps a person's updates in order; different people run
side by side. Conversation state lives in the database, never in PTB.

The request backend is `AiohttpRequest`, a PTB `BaseRequest` on aiohttp: it
costs a fraction of the CPU of PTB's default httpx backend per call (see
`benchmarks/telegram_bench.py`). Flood control is `FloodControl`, a PTB
`BaseRateLimiter`: about 30 messages a second overall, one a second per chat
after a short burst, and Telegram's 429 `retry_after` honoured.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hmac
import html
import itertools
import logging
import secrets
import unicodedata
import warnings
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import aiohttp
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import BotCommand, InputFile
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import BaseRateLimiter, ExtBot
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from bot.app import App
from bot.channels.base import DeliveryError
from bot.storage import Outbox
from dialogs.framework import NAV_BACK, NAV_MENU
from dialogs.i18n import N_
from dialogs.incoming import (
    Incoming,
    MediaType,
    Payload,
    Pressed,
    SentMedia,
    SharedLocation,
    parse_text,
)
from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Reply, Text

log = logging.getLogger("passerelle.telegram")

CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")

#: Telegram's limits, counted in UTF-16 code units after HTML parsing.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
#: Keyboard layout: labels up to this display width go two to a row.
SHORT_LABEL = 16
#: Rows of options on one page of a long list (the pager and Back / Menu come below).
PAGE_ROWS = 8
#: A press on a menu this recent may edit it in place when this process has not seen the chat.
EDIT_WINDOW = dt.timedelta(minutes=15)
POLL_TIMEOUT = 25.0
MAX_WEBHOOK_BODY = 1 << 20
#: Chats whose latest keyboard this process remembers.
REMEMBERED_CHATS = 50_000
#: Updates handled by the engine at once. SQLite takes one writer at a time: more only
#: wait on its lock, at a CPU cost (-17% per update with one, in the benchmark).
SQLITE_HANDLING = 1
SERVER_DB_HANDLING = 16

#: Callback data this module resolves itself start with "~" (no step code does).
OWN_PREFIX = "~"
#: An option id no step knows: the engine answers "this button has expired" and shows the menu.
EXPIRED_OPTION = "~:expired"

#: The command list shown by Telegram clients, in each language.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("menu", N_("Open the main menu")),
    ("back", N_("Go back one step")),
    ("language", N_("Change the language")),
    ("help", N_("How to use Passerelle")),
)

K = TypeVar("K")
V = TypeVar("V")
J = TypeVar("J")


# -- request backend --------------------------------------------------------------------------


_JSON_HEADERS = {"Content-Type": "application/json"}
HTML = "HTML"
_FILE_METHODS = {
    MediaKind.DOCUMENT: ("sendDocument", "document"),
    MediaKind.PHOTO: ("sendPhoto", "photo"),
    MediaKind.VOICE: ("sendVoice", "voice"),
}

# The hot path calls `do_api_request` on purpose (see `TelegramChannel._api`).
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.\w+' instead of", category=PTBUserWarning
)


class AiohttpRequest(BaseRequest):
    """PTB's transport on an aiohttp session: one keep-alive pool per request object."""

    def __init__(
        self,
        pool_size: int = 64,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """The Bot API's answer, read with orjson; never logged (it may quote a message)."""
        try:
            parsed = orjson.loads(payload)
        except orjson.JSONDecodeError:
            try:
                parsed = orjson.loads(payload.decode("utf-8", "replace"))
            except orjson.JSONDecodeError:
                raise TelegramError("Invalid server response") from None
        if not isinstance(parsed, dict):
            raise TelegramError("Invalid server response")
        return parsed

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = (
            self._connect_timeout
            if connect_timeout is BaseRequest.DEFAULT_NONE
            else connect_timeout
        )
        pool = self._pool_timeout if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None else connect + (pool or 0.0),
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                body = form
            else:
                # A JSON body: one encoding pass, where a form costs aiohttp a multipart writer.
                body = orjson.dumps(request_data.parameters)
                headers = _JSON_HEADERS
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut() from error
        except aiohttp.ClientError as error:
            # The class name only: aiohttp's messages carry the URL, and the URL the token.
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error


# -- flood control ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FloodLimits:
    """How fast the bot may write (Telegram: ~30 messages/s overall, ~1/s in one chat)."""

    overall_per_second: float = 30.0
    overall_burst: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 3
    #: Retries of one call after a 429, each after Telegram's `retry_after`.
    max_retries: int = 2


class FloodControl(BaseRateLimiter[int]):
    """Paces every call that writes into a chat; a 429 pauses all calls for its `retry_after`.

    Pacing is a generic cell rate algorithm: each call reserves the earliest
    slot its chat and the whole bot allow, then sleeps until then.
    """

    def __init__(self, limits: FloodLimits | None = None) -> None:
        self.limits = limits or FloodLimits()
        self._chat_slots: dict[object, float] = {}
        self._overall_slot = 0.0
        self._paused_until = 0.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = self.limits.max_retries if rate_limit_args is None else rate_limit_args
        chat = data.get("chat_id")
        for attempt in itertools.count():
            if chat is not None:
                # Every call that writes into a chat: its own pace first, then the bot's.
                await _sleep(self.chat_delay(chat))
                await _sleep(self.overall_delay())
            else:
                await _sleep(self._paused_until - asyncio.get_running_loop().time())
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = retry_seconds(error)
                loop_time = asyncio.get_running_loop().time()
                self._paused_until = max(self._paused_until, loop_time + wait)
                log.warning("telegram.flood_wait endpoint=%s seconds=%.1f", endpoint, wait)
                if attempt >= retries:
                    raise
        raise AssertionError("unreachable")

    def chat_delay(self, chat: object) -> float:
        """Reserve the chat's next slot; seconds to wait for it."""
        now = asyncio.get_running_loop().time()
        at = max(now, self._paused_until)
        rate, burst = self.limits.chat_per_second, self.limits.chat_burst
        if rate > 0:
            interval = 1.0 / rate
            slot = self._chat_slots.get(chat, at)
            at = max(at, slot - (burst - 1) * interval)
            self._chat_slots[chat] = max(slot, at) + interval
            if len(self._chat_slots) > 20_000:
                self._chat_slots = {k: v for k, v in self._chat_slots.items() if v > now}
        return at - now

    def overall_delay(self) -> float:
        """Reserve the bot's next slot, now; seconds to wait for it."""
        now = asyncio.get_running_loop().time()
        at = max(now, self._paused_until)
        rate, burst = self.limits.overall_per_second, self.limits.overall_burst
        if rate > 0:
            interval = 1.0 / rate
            slot = max(self._overall_slot, at)
            at = max(at, slot - (burst - 1) * interval)
            self._overall_slot = max(slot, at) + interval
        return at - now


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


# -- reading updates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnPage:
    """The pager of a long list: show page `page` of the options kept under `ref`."""

    ref: str
    page: int


@dataclass(frozen=True)
class PressKept:
    """A button whose option id was too long for Telegram: option `index` of `ref`."""

    ref: str
    index: int


@dataclass(frozen=True)
class Noop:
    """The page counter of a pager: nothing to do but answer the press."""


Action = Payload | TurnPage | PressKept | Noop


@dataclass(frozen=True)
class PressedMessage:
    message_id: int
    #: When it was sent; None when Telegram no longer shows it to the bot.
    date: dt.datetime | None
    #: It shows a card (content to keep): a press on its buttons never redraws it.
    shows_card: bool = False


@dataclass(frozen=True)
class Received:
    """An update, read: who, what, and what to answer on Telegram's side."""

    update_id: int
    chat_id: int
    action: Action
    locale_hint: str | None = None
    callback_id: str | None = None
    pressed: PressedMessage | None = None


def read_callback_data(data: str) -> Action:
    if not data.startswith(OWN_PREFIX):
        return Pressed(data)
    kind, _, rest = data[len(OWN_PREFIX) :].partition(":")
    ref, _, number = rest.partition(":")
    if kind == "n":
        return Noop()
    if ref and number.isdigit():
        if kind == "p":
            return TurnPage(ref, int(number))
        if kind == "o":
            return PressKept(ref, int(number))
    return Pressed(EXPIRED_OPTION)


JsonObject = dict[str, Any]

#: Message fields that carry a file, in the order they are checked.
_MEDIA_FIELDS = (
    ("voice", MediaType.VOICE),
    ("audio", MediaType.AUDIO),
    ("photo", MediaType.PHOTO),
    ("sticker", MediaType.STICKER),
    ("video", MediaType.VIDEO),
    ("video_note", MediaType.VIDEO),
    ("animation", MediaType.VIDEO),
    ("document", MediaType.DOCUMENT),
)
#: Things people send that Passerelle cannot read but should answer.
_OTHER_FIELDS = ("contact", "poll", "dice", "game", "story", "paid_media", "checklist")


def _object(value: object) -> JsonObject | None:
    return value if isinstance(value, dict) else None


def _private_chat(message: JsonObject) -> int | None:
    chat = _object(message.get("chat"))
    if chat is None or chat.get("type") != "private":
        return None
    chat_id = chat.get("id")
    return chat_id if isinstance(chat_id, int) else None


def _language(sender: JsonObject | None) -> str | None:
    code = sender.get("language_code") if sender is not None else None
    return code if isinstance(code, str) else None


def _message_action(message: JsonObject) -> Action | None:
    text = message.get("text")
    if isinstance(text, str):
        return parse_text(text)
    location = _object(message.get("location"))
    if location is not None:
        latitude, longitude = location.get("latitude"), location.get("longitude")
        if isinstance(latitude, int | float) and isinstance(longitude, int | float):
            return SharedLocation(float(latitude), float(longitude))
    for name, kind in _MEDIA_FIELDS:
        item = message.get(name)
        if isinstance(item, list):
            item = item[-1] if item else None
        if isinstance(item, dict):
            return SentMedia(kind, ref=str(item.get("file_unique_id", "")))
    if any(name in message for name in _OTHER_FIELDS):
        return SentMedia(MediaType.OTHER)
    return None


def _shows_card(message: JsonObject) -> bool:
    # Only a card is drawn with bold (its title, see `blocks_of`): read from the message
    # itself, this holds after a restart and in every process.
    entities = message.get("entities")
    return isinstance(entities, list) and any(
        isinstance(entity, dict) and entity.get("type") == "bold" for entity in entities
    )


def read_update(update: JsonObject) -> Received | None:
    """What a person did, or None for what Passerelle ignores (groups, edits, other kinds).

    Reads the Bot API's JSON directly: every field is checked, so a malformed
    update is ignored, never an error.
    """
    update_id = update.get("update_id")
    if not isinstance(update_id, int):
        return None
    message = _object(update.get("message"))
    if message is not None:
        chat_id = _private_chat(message)
        action = _message_action(message) if chat_id is not None else None
        if chat_id is None or action is None:
            return None
        return Received(update_id, chat_id, action, _language(_object(message.get("from"))))
    query = _object(update.get("callback_query"))
    if query is None or not isinstance(query.get("id"), str):
        return None
    sender = _object(query.get("from"))
    chat_id = sender.get("id") if sender is not None else None
    pressed: PressedMessage | None = None
    shown = _object(query.get("message"))
    if shown is not None:
        chat_id = _private_chat(shown)
        message_id, date = shown.get("message_id"), shown.get("date")
        if isinstance(message_id, int):
            # Telegram gives date 0 for a message it no longer shows to the bot.
            when = dt.datetime.fromtimestamp(date, dt.UTC) if isinstance(date, int) else None
            pressed = PressedMessage(message_id, when if date else None, _shows_card(shown))
    if not isinstance(chat_id, int):
        return None
    data = query.get("data")
    action = read_callback_data(data) if isinstance(data, str) else Noop()
    return Received(
        update_id, chat_id, action, _language(sender), callback_id=query["id"], pressed=pressed
    )


# -- rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    label: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class SendText:
    html: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True)
class SendFile:
    media: MediaKind
    content: bytes
    filename: str
    caption_html: str | None = None


@dataclass(frozen=True)
class SendLocation:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class DropKeyboard:
    """Take the keyboard off the chat's latest keyboard message."""


Operation = SendText | SendFile | SendLocation | DropKeyboard


@dataclass(frozen=True)
class Block:
    """A paragraph, maybe bold or italic; texts are split between blocks first."""

    text: str
    style: str | None = None


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def visible_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _paragraphs(text: str, style: str | None = None) -> list[Block]:
    return [Block(part, style) for part in text.split("\n\n") if part.strip()]


def blocks_of(reply: Text | Card | Options) -> list[Block]:
    match reply:
        case Text(text=text):
            return _paragraphs(text)
        case Options(text=text):
            return _paragraphs(text)
        case Card(title=title, body=body, footer=footer, badges=badges):
            blocks = [Block("\n".join(f"⚠️ {badge}" for badge in badges), "i")] if badges else []
            blocks.append(Block(title, "b"))
            blocks.extend(_paragraphs(body))
            if footer:
                blocks.append(Block(footer, "i"))
            return blocks
    raise TypeError(f"no text blocks in {reply!r}")


def _cut(text: str, limit: int) -> list[str]:
    """Cut one paragraph into pieces of at most `limit`: at lines, then words, then anywhere."""
    if visible_length(text) <= limit:
        return [text]
    for separator in ("\n", " "):
        parts = text.split(separator)
        if len(parts) > 1:
            pieces: list[str] = []
            current = ""
            for part in parts:
                candidate = f"{current}{separator}{part}" if current else part
                if visible_length(candidate) <= limit:
                    current = candidate
                    continue
                if current:
                    pieces.append(current)
                current = part
            if current:
                pieces.append(current)
            return [cut for piece in pieces for cut in _cut(piece, limit)]
    pieces = []
    start, size = 0, 0
    for position, char in enumerate(text):
        units = 2 if ord(char) > 0xFFFF else 1
        if size + units > limit:
            pieces.append(text[start:position])
            start, size = position, 0
        size += units
    pieces.append(text[start:])
    return pieces


def _block_html(block: Block) -> str:
    escaped = escape(block.text)
    return f"<{block.style}>{escaped}</{block.style}>" if block.style else escaped


def chunk_blocks(blocks: Sequence[Block], limit: int = TEXT_LIMIT) -> list[str]:
    """HTML messages of at most `limit` visible characters, split at paragraph boundaries."""
    pieces = [
        Block(piece, block.style) for block in blocks for piece in _cut(block.text, limit) if piece
    ]
    chunks: list[str] = []
    current: list[Block] = []
    size = 0
    for piece in pieces:
        length = visible_length(piece.text)
        if current and size + 2 + length > limit:
            chunks.append("\n\n".join(_block_html(block) for block in current))
            current, size = [], 0
        size = size + 2 + length if current else length
        current.append(piece)
    if current:
        chunks.append("\n\n".join(_block_html(block) for block in current))
    return chunks


@functools.lru_cache(maxsize=4096)
def label_width(label: str) -> int:
    """Display width of a button label: wide (CJK, emoji) characters count two."""
    width = 0
    for char in label:
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        wide = unicodedata.east_asian_width(char) in ("W", "F") or ord(char) >= 0x1F000
        width += 2 if wide else 1
    return width


def _is_nav(option: Option) -> bool:
    return option.id in (NAV_BACK, NAV_MENU)


def layout(labels: Sequence[str]) -> list[list[int]]:
    """Rows of sensible width, as indexes: short labels two to a row, long ones alone."""
    rows: list[list[int]] = []
    pair: list[int] = []
    for index, label in enumerate(labels):
        if label_width(label) > SHORT_LABEL:
            if pair:
                rows.append(pair)
                pair = []
            rows.append([index])
            continue
        pair.append(index)
        if len(pair) == 2:
            rows.append(pair)
            pair = []
    if pair:
        rows.append(pair)
    return rows


def callback_data(option: Option, ref: str, index: int) -> str:
    """The option id itself, or a reference resolved here when Telegram would refuse it."""
    if (
        len(option.id.encode("utf-8")) <= CALLBACK_DATA_LIMIT
        and option.id
        and not option.id.startswith(OWN_PREFIX)
    ):
        return option.id
    return f"{OWN_PREFIX}o:{ref}:{index}"


def keyboard_of(options: Options, ref: str, page: int = 0) -> Keyboard:
    """The inline keyboard for one page of the options; Back / Menu stay on every page."""
    flat = options.all_options()
    body = [index for index, item in enumerate(flat) if not _is_nav(item)]
    nav = [index for index, item in enumerate(flat) if _is_nav(item)]
    rows = [[body[i] for i in row] for row in layout([flat[i].label for i in body])]
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(max(page, 0), pages - 1)

    def button(index: int) -> Button:
        label = flat[index].label.strip() or "•"
        return Button(label, callback_data(flat[index], ref, index))

    keyboard = [
        tuple(button(index) for index in row)
        for row in rows[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    ]
    if pages > 1:
        pager: list[Button] = []
        if page > 0:
            pager.append(Button("◀️", f"{OWN_PREFIX}p:{ref}:{page - 1}"))
        pager.append(Button(f"{page + 1}/{pages}", f"{OWN_PREFIX}n"))
        if page < pages - 1:
            pager.append(Button("▶️", f"{OWN_PREFIX}p:{ref}:{page + 1}"))
        keyboard.append(tuple(pager))
    if nav:
        keyboard.append(tuple(button(index) for index in nav))
    return tuple(keyboard)


_MEDIA_FILENAMES = {
    MediaKind.DOCUMENT: "document",
    MediaKind.PHOTO: "photo.jpg",
    MediaKind.VOICE: "voice.ogg",
}


def render(reply: Reply, ref: str) -> list[Operation]:
    """What one neutral reply becomes on Telegram; `ref` finds its options again later."""
    match reply:
        case Text():
            return [SendText(chunk) for chunk in chunk_blocks(blocks_of(reply))]
        case Card():
            return [SendText(chunk) for chunk in chunk_blocks(blocks_of(reply))]
        case Options():
            chunks = chunk_blocks(blocks_of(reply)) or ["👇"]
            keyboard = keyboard_of(reply, ref)
            return [*(SendText(chunk) for chunk in chunks[:-1]), SendText(chunks[-1], keyboard)]
        case Media(media=MediaKind.LOCATION, latitude=latitude, longitude=longitude):
            operations: list[Operation] = []
            if latitude is not None and longitude is not None:
                operations.append(SendLocation(latitude, longitude))
            caption = chunk_blocks(_paragraphs(reply.caption))
            return [*operations, *(SendText(chunk) for chunk in caption)]
        case Media(media=media, content=content, caption=caption, filename=filename):
            captions = chunk_blocks(_paragraphs(caption))
            if not content:
                return [SendText(chunk) for chunk in captions]
            name = filename or _MEDIA_FILENAMES.get(media, "file")
            if len(captions) == 1 and visible_length(caption) <= CAPTION_LIMIT:
                return [SendFile(media, content, name, captions[0])]
            return [SendFile(media, content, name), *(SendText(chunk) for chunk in captions)]
        case RemoveOptions():
            return [DropKeyboard()]
    raise TypeError(f"Telegram cannot render {reply!r}")


def render_card_with_options(card: Card, options: Options, ref: str) -> list[Operation]:
    """A card and the options that follow it: the buttons under the card itself.

    One message where two would do, for people who pay for every message; the
    card stays as it was when its buttons are pressed (`PressedMessage.shows_card`).
    """
    chunks = chunk_blocks([*blocks_of(card), *blocks_of(options)])
    keyboard = keyboard_of(options, ref)
    return [*(SendText(chunk) for chunk in chunks[:-1]), SendText(chunks[-1], keyboard)]


def message_groups(replies: Sequence[Reply]) -> list[int]:
    """How many replies each message carries, in order: fewer messages, same content.

    Notes ending in a menu that fit one message go together, as a press would redraw
    them; a card takes the options after it under itself; anything else goes alone.
    """
    groups: list[int] = []
    position = 0
    while position < len(replies):
        reply = replies[position]
        count = 1
        if isinstance(reply, Card):
            if position + 1 < len(replies) and isinstance(replies[position + 1], Options):
                count = 2
        elif isinstance(reply, Text):
            end = position
            while end < len(replies) and isinstance(replies[end], Text):
                end += 1
            if end < len(replies) and menu_edit(replies[position : end + 1]) is not None:
                count = end + 1 - position
        groups.append(count)
        position += count
    return groups


def render_group(group: Sequence[Reply], ref: str) -> list[Operation]:
    """One group of `message_groups`; `ref` finds its last reply's options again."""
    match group:
        case [Card() as card, Options() as options]:
            return render_card_with_options(card, options, ref)
        case [reply]:
            return render(reply, ref)
    found = menu_edit(group)
    if found is None:
        raise ValueError("not a group of notes and a menu")
    text, options = found
    return [SendText(text, keyboard_of(options, ref))]


def menu_edit(replies: Sequence[Reply]) -> tuple[str, Options] | None:
    """Replies a pressed menu can become in place: notes, then one menu, fitting one message."""
    if not replies:
        return None
    last = replies[-1]
    notes = [note for note in replies[:-1] if isinstance(note, Text)]
    if not isinstance(last, Options) or not last.replaceable or len(notes) < len(replies) - 1:
        return None
    shown: list[Text | Options] = [*notes, last]
    chunks = chunk_blocks([block for reply in shown for block in blocks_of(reply)])
    if len(chunks) != 1:
        return None
    return chunks[0], last


def markup_json(keyboard: Keyboard) -> dict[str, Any]:
    """An InlineKeyboardMarkup, as the Bot API reads it."""
    return {
        "inline_keyboard": [
            [{"text": button.label, "callback_data": button.data} for button in row]
            for row in keyboard
        ]
    }


# -- small machinery ---------------------------------------------------------------------------


class Recent(Generic[K, V]):
    """A bounded mapping that forgets the least recently written keys."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)


class Lanes(Generic[J]):
    """Jobs of one key run one after another; jobs of different keys run side by side."""

    def __init__(self, run: Callable[[J], Awaitable[None]]) -> None:
        self._run = run
        self._queues: dict[int, deque[J]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def push(self, key: int, job: J) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(job)
            return
        self._queues[key] = deque([job])
        task = asyncio.create_task(self._drain(key))
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)

    async def _drain(self, key: int) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue[0]
                try:
                    await self._run(job)
                except Exception as error:
                    log.error("telegram.lane.job_failed error=%s", type(error).__name__)
                queue.popleft()
        finally:
            del self._queues[key]

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def idle(self) -> None:
        await self._idle.wait()

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task


class SentMarks:
    """Marks outbox ids sent, many at once: one transaction for all that piled up meanwhile.

    The first mark waits `gather` seconds for others: under load one write then serves
    dozens of messages. A crash inside that moment only means those few replies are sent
    again at restart (the outbox retrier), never that one is lost.
    """

    def __init__(self, outbox: Outbox, gather: float = 0.2) -> None:
        self.outbox = outbox
        self.gather = gather
        self._ids: list[int] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, ids: Iterable[int]) -> None:
        self._ids.extend(ids)
        if self._ids and self._task is None:
            self._task = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        failures = 0
        try:
            await asyncio.sleep(self.gather)
            while self._ids:
                batch, self._ids = self._ids, []
                try:
                    await self.outbox.mark_sent(batch)
                    failures = 0
                except Exception as error:
                    failures += 1
                    log.error(
                        "telegram.outbox.mark_sent_failed count=%d error=%s",
                        len(batch),
                        type(error).__name__,
                    )
                    self._ids[:0] = batch
                    await asyncio.sleep(min(2.0**failures, 30.0))
        finally:
            self._task = None

    async def drain(self) -> None:
        while self._task is not None:
            await asyncio.shield(self._task)


class _WithheldArguments(logging.Filter):
    """PTB logs request parameters and results at DEBUG: keep the event, drop the data."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = f"{record.msg} (arguments withheld)"
            record.args = None
        return True


def _guard_ptb_logs() -> None:
    for name in ("telegram.Bot", "telegram.ext.ExtBot", "telegram.request.BaseRequest"):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _WithheldArguments) for existing in logger.filters):
            logger.addFilter(_WithheldArguments())


# -- the channel -------------------------------------------------------------------------------


@dataclass
class _Inbound:
    received: Received
    handled: asyncio.Future[None]


@dataclass(frozen=True)
class _PageTurn:
    options: Options
    ref: str
    page: int


@dataclass(frozen=True)
class _Outbound:
    """Replies of one handled update, to send in the chat's order."""

    received: Received
    replies: tuple[Reply, ...] = ()
    outbox_ids: tuple[int, ...] = ()
    page_turn: _PageTurn | None = None


@dataclass
class _Redelivery:
    """Replies the outbox retrier sends again, in the chat's order."""

    chat_id: int
    replies: tuple[Reply, ...]
    done: asyncio.Future[None] = field(repr=False)


class TelegramChannel:
    """Passerelle on Telegram: long polling (`passerelle run`) or webhook (`passerelle serve`)."""

    name = CHANNEL

    def __init__(
        self,
        app: App,
        webhook: bool,
        *,
        limits: FloodLimits | None = None,
        poll_timeout: float = POLL_TIMEOUT,
        handling: int | None = None,
    ) -> None:
        settings = app.settings
        if not settings.telegram_token:
            raise ValueError("PASSERELLE_TELEGRAM_TOKEN is not set")
        _guard_ptb_logs()
        self.app = app
        self.webhook = webhook
        self.poll_timeout = poll_timeout
        root = settings.telegram_api_url.rstrip("/")
        self.bot: ExtBot[int] = ExtBot(
            settings.telegram_token,
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=AiohttpRequest(pool_size=64),
            get_updates_request=AiohttpRequest(pool_size=2),
            rate_limiter=FloodControl(limits),
        )
        self._secret = (settings.telegram_webhook_secret or "").encode()
        self._inbound: Lanes[_Inbound] = Lanes(self._take)
        self._outbound: Lanes[_Outbound | _Redelivery] = Lanes(self._send)
        self._marks = SentMarks(app.outbox)
        #: The message holding each chat's latest keyboard (the menu a press may edit).
        self._keyboards: Recent[int, int] = Recent(REMEMBERED_CHATS)
        #: Options sent without an outbox id, for their pager and long ids.
        self._kept: Recent[str, Options] = Recent(REMEMBERED_CHATS)
        self._poller: asyncio.Task[None] | None = None
        self._closed: asyncio.Future[None] | None = None
        self._accepting = False
        self._background: set[asyncio.Task[None]] = set()
        if handling is None:
            on_sqlite = app.database.url.startswith("sqlite")
            handling = SQLITE_HANDLING if on_sqlite else SERVER_DB_HANDLING
        self._handling = asyncio.Semaphore(handling)

    # -- the Channel protocol -------------------------------------------------------------------

    def routes(self) -> Sequence[BaseRoute]:
        if not self.webhook:
            return []
        return [Route(WEBHOOK_PATH, self._webhook, methods=["POST"])]

    async def start(self) -> None:
        settings = self.app.settings
        if self.webhook and not (settings.public_url and settings.telegram_webhook_secret):
            raise RuntimeError(
                "Telegram webhooks need PASSERELLE_PUBLIC_URL and "
                "PASSERELLE_TELEGRAM_WEBHOOK_SECRET"
            )
        self._closed = asyncio.get_running_loop().create_future()
        await self.bot.initialize()
        await self._set_commands()
        self._accepting = True
        if self.webhook:
            assert settings.public_url is not None
            await self.bot.set_webhook(
                url=settings.public_url + WEBHOOK_PATH,
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            log.info("telegram.started mode=webhook")
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._poller = asyncio.create_task(self._poll())
            log.info("telegram.started mode=polling")

    async def wait_closed(self) -> None:
        """Until `stop`, or until polling gives up (a rejected token): then it raises."""
        if self._closed is None:
            raise RuntimeError("the Telegram channel was not started")
        await asyncio.shield(self._closed)

    async def stop(self) -> None:
        self._accepting = False
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        try:
            await asyncio.wait_for(self.drain(), timeout=10.0)
        except TimeoutError:
            log.warning("telegram.stop.unfinished")
            await self._inbound.cancel()
            await self._outbound.cancel()
        await self._marks.drain()
        await self.bot.shutdown()
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)
        log.info("telegram.stopped")

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        """Send replies again (for the outbox retrier), after what the chat is being sent."""
        if not platform_id.lstrip("-").isdigit():
            raise DeliveryError("not a Telegram chat", permanent=True)
        chat_id = int(platform_id)
        done = asyncio.get_running_loop().create_future()
        self._outbound.push(chat_id, _Redelivery(chat_id, tuple(replies), done))
        await done

    async def drain(self) -> None:
        """Until every update received so far is handled and its replies sent and marked."""
        while self._inbound.busy or self._outbound.busy:
            await self._inbound.idle()
            await self._outbound.idle()
        await self._marks.drain()

    # -- receiving ------------------------------------------------------------------------------

    def receive(self, update: JsonObject) -> asyncio.Future[None]:
        """Queue an update (Bot API JSON); the future is done once the engine has handled it."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        query = _object(update.get("callback_query"))
        if query is not None and isinstance(query.get("id"), str):
            # Answered at once, whatever comes of it, so that no button keeps spinning.
            self._answer_soon(query["id"])
        received = read_update(update)
        if received is None:
            log.info("telegram.update.ignored update_id=%s", update.get("update_id"))
            done.set_result(None)
            return done
        self._inbound.push(received.chat_id, _Inbound(received, done))
        return done

    async def _poll(self) -> None:
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self._fetch(offset)
            except InvalidToken as error:
                log.error("telegram.poll.token_rejected")
                if self._closed is not None and not self._closed.done():
                    self._closed.set_exception(error)
                return
            except Exception as error:
                wait = retry_seconds(error) if isinstance(error, RetryAfter) else backoff
                log.warning("telegram.poll.failed error=%s", type(error).__name__)
                await asyncio.sleep(wait)
                backoff = min(backoff * 2, 30.0)
                continue
            if not updates:
                continue
            results = await asyncio.gather(
                *(self.receive(update) for update in updates), return_exceptions=True
            )
            failed = [
                update["update_id"]
                for update, result in zip(updates, results, strict=True)
                if isinstance(result, BaseException)
            ]
            if failed:
                # Not confirmed: Telegram gives them again, the engine drops what was done.
                log.warning("telegram.poll.retry count=%d", len(failed))
                offset = min(failed)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
            else:
                offset = max(update["update_id"] for update in updates) + 1
                backoff = 1.0

    async def _fetch(self, offset: int | None) -> list[JsonObject]:
        """The next updates, as JSON (PTB's `Update` objects cost more than handling them)."""
        try:
            raw = await self.bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "timeout": int(self.poll_timeout),
                    "allowed_updates": list(ALLOWED_UPDATES),
                },
                read_timeout=self.poll_timeout + 10.0,
            )
        except TimedOut:
            return []
        updates = [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
        return [item for item in updates if isinstance(item.get("update_id"), int)]

    async def _webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER)
        if (
            not self._secret
            or given is None
            or not hmac.compare_digest(given.encode("latin-1", "replace"), self._secret)
        ):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BODY:
            return Response(status_code=413)
        try:
            update = orjson.loads(body)
        except orjson.JSONDecodeError:
            update = None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return JSONResponse({"ok": False, "description": "malformed update"}, 400)
        if not self._accepting:
            return Response(status_code=503)
        try:
            await self.receive(update)
        except Exception:
            # Telegram delivers it again later; the engine drops what was already done.
            return Response(status_code=500)
        return Response(status_code=200)

    # -- handling (inbound lane) -------------------------------------------------------------------

    async def _take(self, job: _Inbound) -> None:
        received = job.received
        try:
            outbound = await self._handle(received)
        except Exception as error:
            # The type only: a database error's message may quote what the person wrote.
            log.error(
                "telegram.update.failed update_id=%d error=%s",
                received.update_id,
                type(error).__name__,
            )
            if not job.handled.done():
                job.handled.set_exception(error)
            return
        if outbound is not None:
            self._outbound.push(received.chat_id, outbound)
        if not job.handled.done():
            job.handled.set_result(None)

    async def _handle(self, received: Received) -> _Outbound | None:
        action = received.action
        payload: Payload
        match action:
            case Noop():
                return None
            case TurnPage(ref=ref, page=page):
                options = await self._options(ref, received.chat_id)
                if options is not None and received.pressed is not None:
                    return _Outbound(received, page_turn=_PageTurn(options, ref, page))
                payload = Pressed(EXPIRED_OPTION)
            case PressKept(ref=ref, index=index):
                options = await self._options(ref, received.chat_id)
                flat = options.all_options() if options is not None else []
                payload = Pressed(flat[index].id if index < len(flat) else EXPIRED_OPTION)
            case _:
                payload = action
        incoming = Incoming(
            CHANNEL, str(received.chat_id), str(received.update_id), payload, received.locale_hint
        )
        async with self._handling:
            handled = await self.app.engine.handle(incoming)
        return _Outbound(
            received,
            replies=tuple(handled.replies),
            outbox_ids=tuple(handled.outbox_ids),
        )

    async def _options(self, ref: str, chat_id: int) -> Options | None:
        """The options a keyboard was drawn from: in the outbox, or kept in this process."""
        if not ref.isdigit():
            return self._kept.get(ref)
        if len(ref) > 18:
            return None
        reply = await self.app.outbox.reply(int(ref), CHANNEL, str(chat_id))
        return reply if isinstance(reply, Options) else None

    # -- sending (outbound lane) ---------------------------------------------------------------------

    async def _send(self, job: _Outbound | _Redelivery) -> None:
        if isinstance(job, _Redelivery):
            try:
                for reply in job.replies:
                    await self._perform(job.chat_id, render(reply, self._keep(reply)))
            except DeliveryError as error:
                job.done.set_exception(error)
            except Exception as error:
                job.done.set_exception(DeliveryError(type(error).__name__))
            else:
                job.done.set_result(None)
            return
        received = job.received
        if job.page_turn is not None:
            await self._turn_page(received, job.page_turn)
            return
        await self._send_replies(received, job.replies, job.outbox_ids)

    async def _send_replies(
        self, received: Received, replies: Sequence[Reply], outbox_ids: Sequence[int]
    ) -> None:
        chat_id = received.chat_id
        ids: list[int | None] = (
            list(outbox_ids) if len(outbox_ids) == len(replies) else [None] * len(replies)
        )
        start = 0
        if received.pressed is not None and self._may_edit(chat_id, received.pressed):
            try:
                start = await self._edit_menu(chat_id, received.pressed, replies, ids)
            except DeliveryError as error:
                await self._failed(ids, error)
                return
        position = start
        for count in message_groups(replies[start:]):
            group = replies[position : position + count]
            last = position + count - 1
            operations = render_group(group, self._ref(replies[last], ids[last]))
            try:
                await self._perform(chat_id, operations)
            except DeliveryError as error:
                await self._failed(ids[position:], error)
                return
            self._marks.add(i for i in ids[position : last + 1] if i is not None)
            position += count

    def _may_edit(self, chat_id: int, pressed: PressedMessage) -> bool:
        if pressed.shows_card:
            return False
        latest = self._keyboards.get(chat_id)
        if latest is not None:
            return latest == pressed.message_id
        if pressed.date is None:
            return False
        return dt.datetime.now(dt.UTC) - pressed.date <= EDIT_WINDOW

    async def _edit_menu(
        self,
        chat_id: int,
        pressed: PressedMessage,
        replies: Sequence[Reply],
        ids: Sequence[int | None],
    ) -> int:
        """Redraw the pressed menu with the replies when they are notes and a menu; how many."""
        found = menu_edit(replies)
        if found is None:
            return 0
        text, options = found
        ref = self._ref(options, ids[-1])
        payload = {
            "chat_id": chat_id,
            "message_id": pressed.message_id,
            "text": text,
            "parse_mode": HTML,
            "reply_markup": markup_json(keyboard_of(options, ref)),
        }
        try:
            await self._api("editMessageText", payload)
        except DeliveryError as error:
            if not _not_modified(error):
                if error.permanent:
                    # Too old or gone: the same replies come as new messages instead.
                    return 0
                raise
        self._keyboards.put(chat_id, pressed.message_id)
        self._marks.add(outbox_id for outbox_id in ids if outbox_id is not None)
        return len(replies)

    async def _turn_page(self, received: Received, turn: _PageTurn) -> None:
        assert received.pressed is not None
        payload = {
            "chat_id": received.chat_id,
            "message_id": received.pressed.message_id,
            "reply_markup": markup_json(keyboard_of(turn.options, turn.ref, turn.page)),
        }
        try:
            await self._api("editMessageReplyMarkup", payload)
        except DeliveryError as error:
            if not _not_modified(error):
                log.warning("telegram.page_turn.failed reason=%s", error)

    async def _perform(self, chat_id: int, operations: Sequence[Operation]) -> None:
        for operation in operations:
            match operation:
                case SendText(html=text, keyboard=keyboard):
                    payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": HTML}
                    if keyboard is not None:
                        payload["reply_markup"] = markup_json(keyboard)
                    sent = await self._api("sendMessage", payload)
                    if keyboard is not None and isinstance(sent, dict):
                        self._keyboards.put(chat_id, int(sent["message_id"]))
                case SendFile(
                    media=media, content=content, filename=filename, caption_html=caption
                ):
                    method, field_name = _FILE_METHODS[media]
                    payload = {
                        "chat_id": chat_id,
                        field_name: InputFile(content, filename=filename),
                    }
                    if caption:
                        payload.update(caption=caption, parse_mode=HTML)
                    await self._api(method, payload)
                case SendLocation(latitude=latitude, longitude=longitude):
                    payload = {"chat_id": chat_id, "latitude": latitude, "longitude": longitude}
                    await self._api("sendLocation", payload)
                case DropKeyboard():
                    message_id = self._keyboards.pop(chat_id)
                    if message_id is None:
                        continue
                    try:
                        payload = {"chat_id": chat_id, "message_id": message_id}
                        await self._api("editMessageReplyMarkup", payload)
                    except DeliveryError as error:
                        if not error.permanent:
                            raise
                case _:
                    raise TypeError(f"unknown operation {operation!r}")

    async def _api(self, method: str, payload: dict[str, Any]) -> Any:
        """One Bot API call on the hot path; what Telegram refuses becomes a DeliveryError.

        Through PTB's `do_api_request` with plain dicts: the same request backend,
        flood control and error mapping as the typed methods, without building a
        keyboard object per message and a `Message` object per answer, which
        cost more CPU than the HTTP call itself.
        """
        try:
            return await self.bot.do_api_request(method, api_kwargs=payload)
        except RetryAfter as error:
            raise DeliveryError("flood", retry_after=retry_seconds(error)) from error
        except (Forbidden, InvalidToken) as error:
            raise DeliveryError(type(error).__name__, permanent=True) from error
        except BadRequest as error:
            raise DeliveryError(_bad_request_reason(error), permanent=True) from error
        except TelegramError as error:
            raise DeliveryError(type(error).__name__) from error

    async def _answer(self, callback_id: str) -> None:
        try:
            await self._api("answerCallbackQuery", {"callback_query_id": callback_id})
        except DeliveryError as error:
            log.info("telegram.callback.answer_failed reason=%s", error)

    def _answer_soon(self, callback_id: str) -> None:
        task = asyncio.create_task(self._answer(callback_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _failed(self, ids: Sequence[int | None], error: DeliveryError) -> None:
        pending = [outbox_id for outbox_id in ids if outbox_id is not None]
        log.warning(
            "telegram.delivery.failed reason=%s permanent=%s count=%d",
            error,
            error.permanent,
            len(pending),
        )
        delay = error.retry_after or (3600.0 if error.permanent else 30.0)
        retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        try:
            await self.app.outbox.mark_failed(pending, retry_at)
        except Exception as failure:
            log.error(
                "telegram.outbox.mark_failed_failed count=%d error=%s",
                len(pending),
                type(failure).__name__,
            )

    def _ref(self, reply: Reply, outbox_id: int | None) -> str:
        """Where a keyboard's options are found again: their outbox row, or kept here."""
        return str(outbox_id) if outbox_id is not None else self._keep(reply)

    def _keep(self, reply: Reply) -> str:
        """A reference to options sent without an outbox id (kept in this process only)."""
        if not isinstance(reply, Options):
            return "t"
        token = "t" + secrets.token_urlsafe(6)
        self._kept.put(token, reply)
        return token

    # -- commands ---------------------------------------------------------------------------------

    async def _set_commands(self) -> None:
        catalogs = self.app.catalogs
        default = self.app.settings.default_locale
        languages: list[str | None] = [None, *catalogs.locales]
        for code in languages:
            t = catalogs.translator(code or default)
            commands = [BotCommand(name, t(description)) for name, description in COMMANDS]
            try:
                await self.bot.set_my_commands(commands, language_code=code)
            except TelegramError as error:
                log.warning(
                    "telegram.commands.failed language=%s error=%s", code, type(error).__name__
                )


_REASONS = (
    "message is not modified",
    "message to edit not found",
    "message can't be edited",
    "can't parse entities",
    "message is too long",
    "chat not found",
    "button_data_invalid",
)


def _bad_request_reason(error: BadRequest) -> str:
    """A short, content-free reason for logs and the not-modified check."""
    message = str(error).lower()
    for reason in _REASONS:
        if reason in message:
            return reason
    return "bad request"


def _not_modified(error: DeliveryError) -> bool:
    return str(error) == "message is not modified"
