"""WhatsApp Business Cloud API: signed webhooks in, interactive messages out, the 24-hour rule.

The only package that knows WhatsApp. It turns webhook payloads into `Incoming`s for the
engine and renders neutral replies as Cloud API messages within the platform's limits.

Why a person's message is never lost nor handled twice:

1. `POST /whatsapp/webhook` checks the size, then the `X-Hub-Signature-256` HMAC of the raw
   body, then parses the JSON. In ONE database transaction it resolves the sender (the
   business-scoped user id, with the phone number as an alias), keeps their last inbound
   time and stores each message in `whatsapp_inbound`, keyed by its WhatsApp id. Only after
   that commit does it answer 200; if the database fails it answers 503 and Meta delivers
   the webhook again (it retries for days).
   A message no database takes (a lone surrogate, a NUL) is recorded as rejected with
   its reason, and the others are stored and acknowledged all the same.
2. A task of this process then takes the person's stored messages one at a time,
   oldest first, each claimed with a lease (a conditional UPDATE only one process wins),
   hands it to the engine — which records the update id, scoped by the phone number id,
   in the same transaction as its effect and drops one it has seen — then deletes it.
   While the person's oldest message is held (by another process, by one killed until
   its lease ends, or after a failure until its retry), their newer ones wait: a
   person's messages are handled in the order they came, across processes.
3. Every process runs a sweeper that takes stored messages nobody handled (a crash
   between the 200 and the engine's commit, an expired lease). A message handled by the
   engine but not yet deleted is a duplicate the second time: no second effect, and the
   replies already queued go out through the outbox. One the engine keeps failing on is
   rejected after `MAX_HANDLING_TRIES`.
4. Replies are sent in order, each marked sent before the next; a passing failure is
   tried again after a wait while the person's later replies stay behind it."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any
from weakref import WeakValueDictionary

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.channels.base import DeliveryError
from bot.channels.whatsapp.constants import (
    CHANNEL,
    MAX_TEMPLATE_PARAM,
    MORE,
    OUTSIDE_WINDOW,
    WEBHOOK_PATH,
    WINDOW,
    WINDOW_MARGIN,
)
from bot.channels.whatsapp.graph import GraphApi, OutsideWindow
from bot.channels.whatsapp.inbound import (
    StatusUpdate,
    parse_webhook,
    recipient,
    signature_of,
    update_id_of,
)
from bot.channels.whatsapp.rendering import (
    KeepPages,
    Labels,
    Send,
    Upload,
    page_count,
    page_of,
    render,
    shorten,
)
from bot.channels.whatsapp.store import QueuedMessage, WhatsAppStore
from bot.settings import WhatsAppTemplate
from bot.storage import utcnow
from dialogs.incoming import (
    Incoming,
    Pressed,
)
from dialogs.replies import Reply

__all__ = [
    "WhatsAppChannel",
]

log = logging.getLogger("passerelle.whatsapp")


class WhatsAppChannel:
    """The WhatsApp Business Cloud API as a Passerelle channel."""

    name = CHANNEL

    def __init__(
        self,
        app: App,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        retry_delays: Sequence[float] = (1.0, 2.0, 4.0, 8.0),
        sweep_interval: float = 5.0,
        sweep_grace: dt.timedelta = dt.timedelta(seconds=15),
        lease: dt.timedelta | None = None,
        hold_delays: Sequence[float] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0),
    ) -> None:
        settings = app.settings
        if not settings.whatsapp_token or not settings.whatsapp_phone_number_id:
            raise ValueError("WhatsApp needs PASSERELLE_WHATSAPP_TOKEN and _PHONE_NUMBER_ID")
        self.app = app
        self.settings = settings
        self.phone_number_id = settings.whatsapp_phone_number_id
        self.clock = clock or app.engine.clock
        self.store = WhatsAppStore(app.database, app.outbox)
        self.api = GraphApi(
            settings.whatsapp_api_url,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_token,
            retry_delays,
        )
        self.sweep_interval = sweep_interval
        self.sweep_grace = sweep_grace
        self.lease = lease or settings.delivery_lease
        self.hold_delays = tuple(hold_delays) or (1.0,)
        #: Delivery statuses seen by this process (sent, delivered, read, failed...).
        self.statuses: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()
        if not settings.whatsapp_app_secret:
            log.error("whatsapp.no_app_secret: every webhook POST will be refused")

    # -- Channel protocol -------------------------------------------------------------------

    def routes(self) -> Sequence[BaseRoute]:
        return [Route(WEBHOOK_PATH, self.webhook, methods=["GET", "POST"])]

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_loop())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            try:
                await self._sweeper
            except asyncio.CancelledError:
                pass
            self._sweeper = None
        # Handling in progress may finish; anything cut short is still stored and swept later.
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=10.0)
            for task in pending:
                task.cancel()
        await self.api.close()

    async def send_claimed(self, platform_id: str, items: Sequence[tuple[int, Reply]]) -> int:
        """Send replies the outbox retrier claimed, as the live path does; how many."""
        lock = self._locks.get(platform_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[platform_id] = lock
        async with lock:
            return await self._send_queued(
                platform_id, [reply for _, reply in items], [i for i, _ in items]
            )

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        labels = await self._labels(platform_id)
        for reply in replies:
            await self._send(platform_id, reply, labels)

    # -- notifications ----------------------------------------------------------------------

    async def notify(
        self,
        platform_id: str,
        kind: str,
        locale: str,
        params: Mapping[str, object],
        replies: Sequence[Reply] = (),
    ) -> None:
        """A message the person did not just ask for (a reminder, a broadcast).

        Within 24 hours of the person's last message, `replies` go out as they are; outside
        it, or when WhatsApp refuses them (131047, at once or in a later status), the
        template configured for `kind` and `locale` goes out with `params` in its order.
        Without `replies`, the template is used. Parameters are shown as text (None as
        "-"). Raises DeliveryError when nothing could go (`permanent` for a notification
        no template can carry).
        """
        texts = {str(name): "" if value is None else str(value) for name, value in params.items()}
        now = self.clock()
        last = await self.store.last_inbound(platform_id)
        if replies and last is not None and now - last < WINDOW - WINDOW_MARGIN:
            labels = Labels.of(self.app.catalogs, locale)
            sent: list[str] = []
            try:
                for reply in replies:
                    sent.extend(await self._send(platform_id, reply, labels))
            except OutsideWindow:
                log.info("whatsapp.notify.outside_window kind=%s", kind)
            else:
                await self.store.remember_notification(sent, platform_id, kind, locale, texts, now)
                return
        await self.send_template(platform_id, kind, locale, texts)

    def template_for(self, kind: str, locale: str) -> tuple[WhatsAppTemplate, str]:
        by_locale = self.settings.whatsapp_templates.get(kind) or {}
        for code in (locale, self.settings.default_locale, "en", *by_locale):
            template = by_locale.get(code)
            if template is not None:
                return template, template.language or code
        raise DeliveryError(f"no WhatsApp template for notification {kind!r}", permanent=True)

    async def send_template(
        self, platform_id: str, kind: str, locale: str, params: Mapping[str, object]
    ) -> str:
        """The template of `kind` in `locale` (else the default locale, else English)."""
        template, language = self.template_for(kind, locale)
        values: list[str] = []
        for name in template.params:
            if name not in params:
                raise DeliveryError(
                    f"notification {kind!r} lacks parameter {name!r}", permanent=True
                )
            values.append(_template_value(params[name]))
        components: list[dict[str, Any]] = []
        if values:
            components.append(
                {"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}
            )
        for index, payload in enumerate(template.buttons):
            components.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": payload}],
                }
            )
        body: dict[str, Any] = {"name": template.name, "language": {"code": language}}
        if components:
            body["components"] = components
        message_id = await self.api.send(
            self._message(platform_id, {"type": "template", "template": body})
        )
        log.info("whatsapp.notify.template kind=%s", kind)
        return message_id

    # -- the webhook ------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            return self._verify(request)
        return await self._receive(request)

    def _verify(self, request: Request) -> Response:
        expected = self.settings.whatsapp_verify_token
        mode = request.query_params.get("hub.mode")
        token = request.query_params.get("hub.verify_token") or ""
        challenge = request.query_params.get("hub.challenge") or ""
        if (
            expected
            and mode == "subscribe"
            and hmac.compare_digest(token.encode(), expected.encode())
            and 0 < len(challenge) <= 256
        ):
            return PlainTextResponse(challenge)
        log.warning("whatsapp.webhook.verification_refused")
        return PlainTextResponse("forbidden", status_code=403)

    async def _receive(self, request: Request) -> Response:
        limit = self.settings.whatsapp_max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return PlainTextResponse("bad length", status_code=400)
            if int(declared) > limit:
                log.warning("whatsapp.webhook.too_large")
                return PlainTextResponse("too large", status_code=413)
        signature = request.headers.get("x-hub-signature-256")
        if not signature:
            log.warning("whatsapp.webhook.unsigned")
            return PlainTextResponse("signature required", status_code=401)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limit:
                    log.warning("whatsapp.webhook.too_large")
                    return PlainTextResponse("too large", status_code=413)
        except ClientDisconnect:
            return PlainTextResponse("disconnected", status_code=400)
        secret = self.settings.whatsapp_app_secret
        if not secret or not hmac.compare_digest(
            signature_of(bytes(body), secret).encode(), signature.strip().encode()
        ):
            log.warning("whatsapp.webhook.bad_signature")
            return PlainTextResponse("bad signature", status_code=403)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            log.warning("whatsapp.webhook.malformed")
            return PlainTextResponse("malformed", status_code=400)
        if not isinstance(data, dict):
            log.warning("whatsapp.webhook.malformed")
            return PlainTextResponse("malformed", status_code=400)
        try:
            webhook = parse_webhook(
                data, self.phone_number_id, self.app.engine.registry.start_payloads.keys()
            )
        except Exception as error:
            # A shape this parser does not survive: not acknowledged, so Meta delivers it
            # again once it is fixed. Only the error's type is logged, never the payload.
            log.error("whatsapp.webhook.unreadable error=%s", type(error).__name__)
            return PlainTextResponse("unreadable", status_code=500)
        if webhook.skipped:
            log.info("whatsapp.webhook.skipped count=%d", webhook.skipped)
        self._count(webhook.statuses)
        stored: list[tuple[str, str]] = []
        if webhook.messages:
            try:
                stored = await self.store.store_inbound(webhook.messages, self.clock())
            except SQLAlchemyError as error:
                # Not acknowledged: Meta delivers the webhook again later.
                log.error("whatsapp.webhook.not_stored error=%s", type(error).__name__)
                return PlainTextResponse("try again", status_code=503)
            log.info(
                "whatsapp.webhook.stored messages=%d duplicates=%d",
                len(stored),
                len(webhook.messages) - len(stored),
            )
        if stored:
            people = list(dict.fromkeys(platform_id for _message, platform_id in stored))
            self._spawn(self._handle_all(people))
        return PlainTextResponse("ok")

    def _count(self, statuses: Sequence[StatusUpdate]) -> None:
        if not statuses:
            return
        counts = Counter(status.status for status in statuses)
        self.statuses.update(counts)
        log.info("whatsapp.statuses %s", " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        for status in statuses:
            if status.status != "failed":
                continue
            codes = ",".join(str(code) for code in status.error_codes) or "none"
            log.warning("whatsapp.status.failed codes=%s", codes)
            if OUTSIDE_WINDOW in status.error_codes and status.message_id:
                self._spawn(self._fall_back_to_template(status.message_id))

    async def _fall_back_to_template(self, message_id: str) -> None:
        pending = await self.store.take_notification(message_id)
        if pending is None:
            return
        try:
            await self.send_template(
                pending.platform_id, pending.kind, pending.locale, pending.params
            )
        except DeliveryError as error:
            log.error("whatsapp.notify.fallback_failed kind=%s error=%s", pending.kind, error)

    # -- handling stored messages -------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(self._guarded(coroutine))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(coroutine: Coroutine[Any, Any, None]) -> None:
        """Work after the 200: what fails stays stored, and the sweeper takes it again."""
        try:
            await coroutine
        except Exception as error:
            log.error("whatsapp.task.failed error=%s", type(error).__name__)

    async def idle(self) -> None:
        """Wait until every message received so far has been handled (for tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _handle_all(self, people: Sequence[str]) -> None:
        for platform_id in people:
            await self.handle_person(platform_id)

    async def handle_person(self, platform_id: str, now: dt.datetime | None = None) -> int:
        """Handle the person's stored messages, oldest first, until none is left or the
        oldest is held elsewhere; how many were taken (handled, or failed and released)."""
        lock = self._locks.get(platform_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[platform_id] = lock
        taken = 0
        async with lock:
            while True:
                moment = now or self.clock()
                queued = await self.store.claim_next(platform_id, moment, moment + self.lease)
                if queued is None:
                    return taken
                taken += 1
                if not await self._handle_one(queued, moment):
                    return taken

    async def _handle_one(self, queued: QueuedMessage, now: dt.datetime) -> bool:
        """One claimed message through the engine; False when it failed (it waits for its
        retry, and the person's newer messages behind it)."""
        try:
            replies = await self._handle(queued)
        except Exception as error:
            log.error(
                "whatsapp.inbound.failed error=%s attempts=%d",
                type(error).__name__,
                queued.attempts,
            )
            if queued.attempts >= MAX_HANDLING_TRIES:
                await self.store.reject(queued.message_id, "handling failed", now)
                return True
            backoff = dt.timedelta(seconds=min(15 * 2**queued.attempts, 3600))
            await self.store.release(queued.message_id, now + backoff)
            return False
        # Handled: deleted before sending, the replies safe in the outbox meanwhile.
        await self.store.finish(queued.message_id)
        if replies is not None:
            await self._send_queued(queued.platform_id, *replies)
        return True

    async def handle_stored(self, message_id: str, now: dt.datetime | None = None) -> bool:
        """Handle a stored message of the sweep: its person's, oldest first (this one
        among them); False if someone else holds them."""
        platform_id = await self.store.person_of(message_id)
        if platform_id is None:
            return False
        return await self.handle_person(platform_id, now) > 0

    async def _handle(self, queued: QueuedMessage) -> tuple[Sequence[Reply], Sequence[int]] | None:
        """The message through the engine: the replies to send and their outbox ids."""
        update_id = update_id_of(queued.message_id, self.phone_number_id)
        payload = queued.payload
        if isinstance(payload, Pressed) and payload.option_id.startswith(MORE):
            page = await self._next_page(queued.platform_id, update_id, payload.option_id)
            if page is not None:
                return page
        handled = await self.app.engine.handle(
            Incoming(CHANNEL, queued.platform_id, update_id, payload, queued.locale_hint)
        )
        if handled.duplicate:
            return None
        return handled.replies, handled.outbox_ids

    async def _next_page(
        self, platform_id: str, update_id: str, option_id: str
    ) -> tuple[Sequence[Reply], Sequence[int]] | None:
        """The next page of a long list, queued; None when it is unknown (the engine then
        answers as for any expired button)."""
        key, _, number = option_id.removeprefix(MORE).partition(":")
        if not number.isdigit():
            return None
        options = await self.store.pages(key)
        if options is None or int(number) >= page_count(options):
            return None
        labels = await self._labels(platform_id)
        page = page_of(options, int(number), key, labels)
        ids = await self.store.queue_page(platform_id, update_id, page)
        return ([page], ids) if ids else ((), ())

    async def _send_queued(
        self, platform_id: str, replies: Sequence[Reply], outbox_ids: Sequence[int]
    ) -> int:
        """Send in order, each marked sent before the next. A passing failure is tried
        again after a wait (the claim is renewed meanwhile); what WhatsApp refuses for
        good waits in the outbox for the retrier. Replies queued behind another sender's
        (no ids) are the retrier's to send, in order."""
        if len(outbox_ids) != len(replies):
            if replies:
                log.info("whatsapp.deliver.held count=%d", len(replies))
            return 0
        labels = await self._labels(platform_id)
        for index, (reply, outbox_id) in enumerate(zip(replies, outbox_ids, strict=True)):
            failures = 0
            while True:
                try:
                    await self._send(platform_id, reply, labels)
                    break
                except DeliveryError as error:
                    if error.permanent:
                        retry_at = utcnow() + dt.timedelta(seconds=error.retry_after or 3600.0)
                        await self.app.outbox.mark_failed(
                            outbox_ids[index:], retry_at, permanent=True
                        )
                        log.warning("whatsapp.deliver.refused remaining=%d", len(replies) - index)
                        return index
                    wait = (
                        error.retry_after
                        or self.hold_delays[min(failures, len(self.hold_delays) - 1)]
                    )
                    failures += 1
                    log.warning("whatsapp.deliver.held_back tries=%d wait=%.1f", failures, wait)
                    await asyncio.sleep(wait)
            await self.app.outbox.mark_sent([outbox_id])
        return len(replies)

    async def sweep(self, now: dt.datetime | None = None) -> int:
        """Handle what was stored and left unhandled; the number handled."""
        now = now or self.clock()
        handled = 0
        seen: set[str] = set()
        for _message_id, platform_id in await self.store.due(now, self.sweep_grace):
            if platform_id in seen:
                continue
            seen.add(platform_id)
            handled += await self.handle_person(platform_id, now)
        if handled:
            log.info("whatsapp.sweep.handled count=%d", handled)
        return handled

    async def _sweep_loop(self) -> None:
        rounds = 0
        while True:
            try:
                await self.sweep()
                if rounds % 720 == 0:
                    await self.store.prune(self.clock())
            except Exception as error:
                log.error("whatsapp.sweep.failed error=%s", type(error).__name__)
            rounds += 1
            await asyncio.sleep(self.sweep_interval)

    # -- sending ------------------------------------------------------------------------------

    async def _labels(self, platform_id: str) -> Labels:
        return Labels.of(self.app.catalogs, await self.store.locale_of(platform_id))

    def _message(self, platform_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **recipient(platform_id),
            **body,
        }

    async def _send(self, platform_id: str, reply: Reply, labels: Labels) -> list[str]:
        """Send one reply; the ids WhatsApp gave its messages."""
        sent: list[str] = []
        for item in render(reply, labels):
            match item:
                case KeepPages(key=key, options=options):
                    await self.store.keep_pages(key, options, self.clock())
                case Send(body=body):
                    sent.append(await self.api.send(self._message(platform_id, body)))
                case Upload():
                    media_id = await self.api.upload(item.content, item.mime_type, item.filename)
                    media: dict[str, Any] = {"id": media_id}
                    if item.kind == "document":
                        media["filename"] = item.filename
                    if item.caption:
                        media["caption"] = item.caption
                    body = {"type": item.kind, item.kind: media}
                    sent.append(await self.api.send(self._message(platform_id, body)))
        return sent


def _template_value(value: object) -> str:
    """Template parameters may hold no new lines, tabs or runs of spaces, and not be empty."""
    text = " ".join(str(value).split())
    return shorten(text, MAX_TEMPLATE_PARAM)[0] if text else "-"


#: Tries of one stored message the engine fails on before it is recorded as rejected.
MAX_HANDLING_TRIES = 5


def build(app: App, *, webhook: bool) -> WhatsAppChannel:
    """The channel as `bot.channels.registry` makes it (webhooks only: WhatsApp has no polling)."""
    return WhatsAppChannel(app)
