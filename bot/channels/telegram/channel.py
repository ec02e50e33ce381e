"""Telegram, through python-telegram-bot: updates in (long polling or webhook), replies out.

The only package that imports `telegram`. The way of one update:

1. *Reading*: the update's JSON becomes an `Incoming` (text and commands, a
   button id, a location, a voice note or photo); anything else is ignored.
2. *Handling*, in the chat's inbound lane: the engine dedupes, runs the step
   and commits the replies to the outbox. Once this is done the update is
   safe: the polling offset moves past it, the webhook answers 200.
3. *Sending*, in the chat's outbound lane: the callback query is answered,
   the replies are grouped into as few messages as keep their meaning (notes
   with the menu after them, a card with its buttons under it), rendered
   (HTML, inline keyboards, pages, 4,096-character chunks) and sent, each
   outbox id marked sent before the next message goes (the replies were claimed
   for this process as the engine queued them). A passing failure (a 429, a 500,
   a timeout) holds the chat's lane and is tried again after a wait: the person's
   later replies stay behind it, other chats go on; what Telegram refuses for good
   is left in the outbox for `OutboxRetrier`. A press on a menu redraws it in place; a card is never
   redrawn.

One lane per chat keeps a person's updates in order; different people run
side by side. Conversation state lives in the database, never in PTB. Replies
queued behind older unsent ones of another process (or of a killed one) are
not sent here: the outbox retrier sends them in order.

Polling is supervised: an update that cannot be read is logged (its id only) and
skipped, one the engine keeps failing on is recorded as rejected after a few
tries; a poller that dies is started again, and `healthy` is False meanwhile.

The request backend is `AiohttpRequest`, a PTB `BaseRequest` on aiohttp: it
costs a fraction of the CPU of PTB's default httpx backend per call (see
`benchmarks/telegram_bench.py`). Flood control is `FloodControl`, a PTB
`BaseRateLimiter`: about 30 messages a second overall, one a second per chat
after a short burst, and Telegram's 429 `retry_after` honoured."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import BotCommand, InputFile
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.app import App
from bot.channels.base import DeliveryError
from bot.channels.shared import Lanes, Recent, SentMarks
from bot.channels.telegram.flood import FloodControl, FloodLimits, retry_seconds
from bot.channels.telegram.rendering import (
    DropKeyboard,
    Operation,
    SendFile,
    SendLocation,
    SendText,
    keyboard_of,
    markup_json,
    menu_edit,
    message_groups,
    render,
    render_group,
)
from bot.channels.telegram.request import AiohttpRequest, lenient_json
from bot.channels.telegram.updates import (
    EXPIRED_OPTION,
    JsonObject,
    Noop,
    PressedMessage,
    PressKept,
    Received,
    TurnPage,
    _object,
    read_update,
)
from dialogs.i18n import N_
from dialogs.incoming import (
    Incoming,
    Payload,
    Pressed,
)
from dialogs.replies import MediaKind, Options, Reply

__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "COMMANDS",
    "EDIT_WINDOW",
    "HTML",
    "MAX_WEBHOOK_BODY",
    "POLL_TIMEOUT",
    "REMEMBERED_CHATS",
    "SECRET_HEADER",
    "SERVER_DB_HANDLING",
    "SQLITE_HANDLING",
    "WEBHOOK_PATH",
    "TelegramChannel",
]

log = logging.getLogger("passerelle.telegram")

T = TypeVar("T")


CHANNEL = "telegram"


WEBHOOK_PATH = "/telegram/webhook"


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


ALLOWED_UPDATES = ("message", "callback_query")


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


#: Waits between tries of a send that failed for a passing reason (Telegram's
#: `retry_after` comes first when it gives one); the last one repeats.
HOLD_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


#: Tries of one update the engine fails on (a database refusing it) before it is
#: recorded as rejected and polling moves past it.
MAX_UPDATE_TRIES = 5


#: The command list shown by Telegram clients, in each language.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("menu", N_("Open the main menu")),
    ("back", N_("Go back one step")),
    ("language", N_("Change the language")),
    ("help", N_("How to use Passerelle")),
)


HTML = "HTML"


_FILE_METHODS = {
    MediaKind.DOCUMENT: ("sendDocument", "document"),
    MediaKind.PHOTO: ("sendPhoto", "photo"),
    MediaKind.VOICE: ("sendVoice", "voice"),
}


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


@dataclass
class _Claimed:
    """Replies the outbox retrier claimed, sent in the chat's order like the live ones."""

    chat_id: int
    replies: tuple[Reply, ...]
    outbox_ids: tuple[int, ...]
    done: asyncio.Future[int] = field(repr=False)


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
        hold_delays: Sequence[float] = HOLD_DELAYS,
    ) -> None:
        settings = app.settings
        if not settings.telegram_token:
            raise ValueError("PASSERELLE_TELEGRAM_TOKEN is not set")
        _guard_ptb_logs()
        self.app = app
        self.webhook = webhook
        self.poll_timeout = poll_timeout
        self.hold_delays = tuple(hold_delays) or HOLD_DELAYS
        #: The bot's id (the token's first part): update ids are only unique per bot.
        self.bot_id = settings.telegram_token.partition(":")[0]
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
        self._inbound: Lanes[_Inbound] = Lanes(self._take, CHANNEL)
        self._outbound: Lanes[_Outbound | _Redelivery | _Claimed] = Lanes(self._send, CHANNEL)
        self._marks = SentMarks(app.outbox, CHANNEL)
        #: Each chat's latest marks on their way: awaited before its next message.
        self._marking: dict[int, asyncio.Future[None]] = {}
        #: The message holding each chat's latest keyboard (the menu a press may edit).
        self._keyboards: Recent[int, int] = Recent(REMEMBERED_CHATS)
        #: Options sent without an outbox id, for their pager and long ids.
        self._kept: Recent[str, Options] = Recent(REMEMBERED_CHATS)
        self._poller: asyncio.Task[None] | None = None
        #: Loop time of the last answer to getUpdates (for `healthy`).
        self._polled_at = 0.0
        self._poll_down = False
        self._tries: dict[int, int] = {}
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
            self._polled_at = asyncio.get_running_loop().time()
            self._poller = asyncio.create_task(self._supervise())
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

    @property
    def healthy(self) -> bool:
        """False while polling is down: its task ended, or no answer for two long polls."""
        if self.webhook or not self._accepting:
            return True
        if self._poller is None or self._poller.done() or self._poll_down:
            return False
        silence = asyncio.get_running_loop().time() - self._polled_at
        return silence <= 2 * (self.poll_timeout + 10.0)

    async def send_claimed(self, platform_id: str, items: Sequence[tuple[int, Reply]]) -> int:
        """Send replies the outbox retrier claimed, in the chat's lane, as the live path
        does (grouped, each group marked sent before the next, passing failures held);
        how many were sent."""
        if not platform_id.lstrip("-").isdigit():
            retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
            await self.app.outbox.mark_failed([i for i, _ in items], retry_at, permanent=True)
            return 0
        chat_id = int(platform_id)
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        job = _Claimed(chat_id, tuple(r for _, r in items), tuple(i for i, _ in items), done)
        self._outbound.push(chat_id, job)
        return await done

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
        try:
            received = read_update(update)
        except Exception as error:
            # Never its content in the logs; the update is skipped, not retried forever.
            log.warning(
                "telegram.update.unreadable update_id=%s error=%s",
                update.get("update_id"),
                type(error).__name__,
            )
            received = None
        if received is None:
            log.info("telegram.update.ignored update_id=%s", update.get("update_id"))
            done.set_result(None)
            return done
        self._inbound.push(received.chat_id, _Inbound(received, done))
        return done

    async def _supervise(self) -> None:
        """Polling, started again whenever it dies of something unexpected."""
        while True:
            try:
                await self._poll()
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._poll_down = True
                log.error("telegram.poll.died error=%s", type(error).__name__)
                await asyncio.sleep(1.0)
                self._poll_down = False
                log.info("telegram.poll.restarted")

    async def _poll(self) -> None:
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self._fetch(offset)
                self._polled_at = asyncio.get_running_loop().time()
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
            failed = await self._still_worth_trying(failed)
            if failed:
                # Not confirmed: Telegram gives them again, the engine drops what was done.
                log.warning("telegram.poll.retry count=%d", len(failed))
                offset = min(failed)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
            else:
                offset = max(update["update_id"] for update in updates) + 1
                backoff = 1.0

    async def _still_worth_trying(self, failed: list[int]) -> list[int]:
        """The failed updates to be fetched again; one failed too often is rejected."""
        kept: list[int] = []
        for update_id in failed:
            tries = self._tries.get(update_id, 0) + 1
            if tries < MAX_UPDATE_TRIES:
                self._tries[update_id] = tries
                kept.append(update_id)
                continue
            self._tries.pop(update_id, None)
            log.error("telegram.update.rejected update_id=%d", update_id)
            with contextlib.suppress(Exception):
                await self.app.outbox.reject(CHANNEL, self._scoped(update_id), "handling failed")
        if len(self._tries) > 10_000:
            self._tries.clear()
        return kept

    def _scoped(self, update_id: int) -> str:
        """The update id as the engine keeps it: with the bot's id (a new token, a new
        sequence)."""
        return f"{self.bot_id}:{update_id}"

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
            update = lenient_json(body)
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
            CHANNEL,
            str(received.chat_id),
            self._scoped(received.update_id),
            payload,
            received.locale_hint,
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

    async def _send(self, job: _Outbound | _Redelivery | _Claimed) -> None:
        if isinstance(job, _Claimed):
            try:
                sent = await self._send_to(job.chat_id, None, job.replies, job.outbox_ids)
            except Exception as error:
                await self._failed(job.outbox_ids, DeliveryError(type(error).__name__))
                job.done.set_exception(error)
            else:
                job.done.set_result(sent)
            return
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
        try:
            await self._send_replies(received, job.replies, job.outbox_ids)
        except Exception as error:
            # A fault of ours (a reply that will not render): given back to the outbox,
            # never left claimed by this process until it stops.
            await self._failed(job.outbox_ids, DeliveryError(type(error).__name__))
            raise

    async def _send_replies(
        self, received: Received, replies: Sequence[Reply], outbox_ids: Sequence[int]
    ) -> None:
        if len(outbox_ids) != len(replies):
            # Queued behind older replies another sender holds: the outbox sends them all,
            # in order, once those are sent.
            log.info("telegram.delivery.held count=%d", len(replies))
            return
        await self._send_to(received.chat_id, received.pressed, replies, outbox_ids)

    async def _send_to(
        self,
        chat_id: int,
        pressed: PressedMessage | None,
        replies: Sequence[Reply],
        outbox_ids: Sequence[int],
    ) -> int:
        """Send claimed replies as grouped messages, each group marked sent before the next;
        how many were sent (the rest were given back to the outbox)."""
        ids: list[int | None] = list(outbox_ids)
        start = 0
        await self._marked(chat_id)
        if pressed is not None and self._may_edit(chat_id, pressed):
            try:
                start = await self._edit_menu(chat_id, pressed, replies, ids)
            except DeliveryError as error:
                await self._failed(ids, error)
                return 0
        position = start
        for count in message_groups(replies[start:]):
            group = replies[position : position + count]
            last = position + count - 1
            operations = render_group(group, self._ref(replies[last], ids[last]))
            await self._marked(chat_id)
            try:
                await self._perform(chat_id, operations)
            except DeliveryError as error:
                await self._failed(ids[position:], error)
                return position
            self._marking_now(chat_id, [i for i in ids[position : last + 1] if i is not None])
            position += count
        return position

    async def _marked(self, chat_id: int) -> None:
        """Until what was last sent to the chat is marked sent."""
        marking = self._marking.get(chat_id)
        if marking is not None:
            await asyncio.shield(marking)

    def _marking_now(self, chat_id: int, ids: list[int]) -> None:
        if not ids:
            return
        marking = self._marks.add(ids)
        self._marking[chat_id] = marking

        def forget(done: asyncio.Future[None]) -> None:
            if self._marking.get(chat_id) is done:
                del self._marking[chat_id]

        marking.add_done_callback(forget)

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
            await self._steadily(lambda: self._api("editMessageText", payload))
        except DeliveryError as error:
            if not _not_modified(error):
                if error.permanent:
                    # Too old or gone: the same replies come as new messages instead.
                    return 0
                raise
        self._keyboards.put(chat_id, pressed.message_id)
        self._marking_now(chat_id, [outbox_id for outbox_id in ids if outbox_id is not None])
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

    async def _steadily(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call` until it succeeds or fails for good: a passing failure (429, 500, a
        timeout, no connection) is tried again after Telegram's `retry_after` or a growing
        wait. The chat's lane waits meanwhile, so its later replies stay behind; the
        claim on the replies is renewed by the outbox retrier, so nobody else sends them."""
        failures = 0
        while True:
            try:
                return await call()
            except DeliveryError as error:
                if error.permanent:
                    raise
                delay = self.hold_delays[min(failures, len(self.hold_delays) - 1)]
                wait = error.retry_after if error.retry_after is not None else delay
                failures += 1
                log.warning(
                    "telegram.delivery.held_back reason=%s tries=%d wait=%.1f",
                    error,
                    failures,
                    wait,
                )
                await asyncio.sleep(wait)

    async def _perform(self, chat_id: int, operations: Sequence[Operation]) -> None:
        """Each operation in turn, each held until it succeeds or fails for good."""
        for operation in operations:
            await self._steadily(functools.partial(self._operate, chat_id, operation))

    async def _operate(self, chat_id: int, operation: Operation) -> None:
        match operation:
            case SendText(html=text, keyboard=keyboard):
                payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": HTML}
                if keyboard is not None:
                    payload["reply_markup"] = markup_json(keyboard)
                sent = await self._api("sendMessage", payload)
                if keyboard is not None and isinstance(sent, dict):
                    self._keyboards.put(chat_id, int(sent["message_id"]))
            case SendFile(media=media, content=content, filename=filename, caption_html=caption):
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
                    return
                try:
                    payload = {"chat_id": chat_id, "message_id": message_id}
                    await self._api("editMessageReplyMarkup", payload)
                except DeliveryError as error:
                    if not error.permanent:
                        # Tried again: the keyboard is still there to drop.
                        self._keyboards.put(chat_id, message_id)
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
            await self.app.outbox.mark_failed(pending, retry_at, permanent=error.permanent)
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


def build(app: App, *, webhook: bool) -> TelegramChannel:
    """The channel as `bot.channels.registry` makes it."""
    return TelegramChannel(app, webhook=webhook)
