"""WhatsApp Business Cloud API: signed webhooks in, interactive messages out, the 24-hour rule.

The only module that knows WhatsApp. It turns webhook payloads into `Incoming`s for the
engine and renders neutral replies as Cloud API messages within the platform's limits.

Why a person's message is never lost nor handled twice:

1. `POST /whatsapp/webhook` checks the size, then the `X-Hub-Signature-256` HMAC of the raw
   body, then parses the JSON. In ONE database transaction it resolves the sender (the
   business-scoped user id, with the phone number as an alias), keeps their last inbound
   time and stores each message in `whatsapp_inbound`, keyed by its WhatsApp id. Only after
   that commit does it answer 200; if the database fails it answers 503 and Meta delivers
   the webhook again (it retries for days).
2. A task of this process then claims the stored message with a lease (a conditional
   UPDATE only one process wins), hands it to the engine — which records the update id in
   the same transaction as its effect and drops one it has seen — then deletes it.
3. Every process runs a sweeper that takes stored messages nobody handled (a crash
   between the 200 and the engine's commit, an expired lease). A message handled by the
   engine but not yet deleted is a duplicate the second time: no second effect, and the
   replies already queued go out through the outbox.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
import mimetypes
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakValueDictionary

import httpx
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.channels.base import DeliveryError
from bot.db import Database
from bot.settings import WhatsAppTemplate
from bot.storage import Outbox, PersonRow
from bot.storage.whatsapp import (
    WhatsAppAlias,
    WhatsAppContact,
    WhatsAppInbound,
    WhatsAppNotification,
    WhatsAppPages,
)
from dialogs.codec import decode_reply, encode_reply
from dialogs.engine import START_PAYLOAD
from dialogs.i18n import N_, Catalogs
from dialogs.incoming import (
    Command,
    Incoming,
    MediaType,
    Payload,
    Pressed,
    Said,
    SentMedia,
    SharedLocation,
    parse_text,
)
from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Reply, Text

__all__ = [
    "CHANNEL",
    "WEBHOOK_PATH",
    "GraphError",
    "Labels",
    "OutsideWindow",
    "WhatsAppChannel",
    "deep_link",
    "escape",
    "parse_webhook",
    "render",
    "shorten",
    "signature_of",
    "split_text",
]

log = logging.getLogger("passerelle.whatsapp")

CHANNEL = "whatsapp"
WEBHOOK_PATH = "/whatsapp/webhook"

# -- the Cloud API's limits ------------------------------------------------------------------

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_CAPTION = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10
MAX_LIST_BUTTON = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_TEMPLATE_PARAM = 1024

#: Free-form messages may reach a person only this long after their last message.
WINDOW = dt.timedelta(hours=24)
#: Near the end of the window a notification goes out as a template, not free-form.
WINDOW_MARGIN = dt.timedelta(minutes=2)

OUTSIDE_WINDOW = 131047
#: Throughput, per-user pair rate, account rate and app call limits.
RATE_LIMITED = frozenset({4, 80007, 130429, 131056})
#: Errors Meta itself calls temporary.
TRANSIENT = frozenset({1, 2, 131000, 131016})
#: Longest wait honoured from a Retry-After header while a person waits for an answer.
MAX_RETRY_WAIT = 10.0

DOCUMENT_TYPES = frozenset(
    {
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)

#: Option ids of the "more" row of a paged list; resolved here, never by the engine.
MORE = "~more:"
ELLIPSIS = "…"
WORD_JOINER = "\u2060"
PAGES_KEPT = dt.timedelta(days=30)
NOTIFICATIONS_KEPT = dt.timedelta(days=2)

# -- interface strings (translated at render time) ------------------------------------------

CHOOSE = N_("Choose")
MORE_CHOICES = N_("More choices")
MORE_DESCRIPTION = N_("See the next choices")
PLEASE_CHOOSE = N_("Please choose:")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes; everything stored here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Labels:
    """The words this channel adds to replies, in the person's language."""

    choose: str
    more: str
    more_description: str
    please_choose: str

    @classmethod
    def of(cls, catalogs: Catalogs, locale: str | None) -> Labels:
        if locale is None or locale not in catalogs:
            # Nobody knows the person's language yet (the language list): pictograms only.
            return cls(choose="🌐 ☰", more="➡️ …", more_description="", please_choose="👇")
        t = catalogs.translator(locale)
        return cls(
            choose=t(CHOOSE),
            more="➡️ " + t(MORE_CHOICES),
            more_description=t(MORE_DESCRIPTION),
            please_choose=t(PLEASE_CHOOSE),
        )


# -- identities ---------------------------------------------------------------------------------

_BSUID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
_PHONE = re.compile(r"^\d{5,20}$")


def is_bsuid(value: str) -> bool:
    """A business-scoped user id looks like `FR.1502576394655843`."""
    return bool(_BSUID.match(value))


def recipient(platform_id: str) -> dict[str, str]:
    """Whom a message goes to: a business-scoped user id, or a phone number."""
    if is_bsuid(platform_id):
        return {"recipient": platform_id}
    return {"to": platform_id}


#: Countries people Passerelle serves often come from, and the bundled language to offer first.
_COUNTRY_LOCALE = {
    **dict.fromkeys(("AF", "IR"), "fa"),
    **dict.fromkeys(("PK",), "ur"),
    **dict.fromkeys(("BD",), "bn"),
    **dict.fromkeys(("ER",), "ti"),
    **dict.fromkeys(("GN",), "ff"),
    **dict.fromkeys(("RO", "MD"), "ro"),
    **dict.fromkeys(("CN",), "zh"),
    **dict.fromkeys(("UA",), "uk"),
    **dict.fromkeys(
        ("SY", "IQ", "SD", "EG", "LY", "TN", "DZ", "MA", "YE", "JO", "LB", "PS", "MR"), "ar"
    ),
    **dict.fromkeys(("GB", "US", "NG", "GH", "SL", "LR", "GM"), "en"),
    **dict.fromkeys(("FR", "CI", "SN", "ML", "CM", "CD", "CG", "HT", "BF", "TG", "BJ"), "fr"),
}
_CALLING_CODE_COUNTRY = {
    "93": "AF", "98": "IR", "92": "PK", "880": "BD", "291": "ER", "224": "GN", "40": "RO",
    "373": "MD", "86": "CN", "380": "UA", "963": "SY", "964": "IQ", "249": "SD", "20": "EG",
    "218": "LY", "216": "TN", "213": "DZ", "212": "MA", "967": "YE", "962": "JO", "961": "LB",
    "970": "PS", "222": "MR", "44": "GB", "1": "US", "234": "NG", "233": "GH", "232": "SL",
    "231": "LR", "220": "GM", "33": "FR", "225": "CI", "221": "SN", "223": "ML", "237": "CM",
    "243": "CD", "242": "CG", "509": "HT", "226": "BF", "228": "TG", "229": "BJ",
}  # fmt: skip


def locale_hint(sender: Sender) -> str | None:
    """A default language from the country of the id or number; the person's choice wins."""
    country: str | None = None
    if sender.bsuid:
        country = sender.bsuid[:2]
    elif sender.wa_id:
        for size in (3, 2, 1):
            country = _CALLING_CODE_COUNTRY.get(sender.wa_id[:size])
            if country:
                break
    return _COUNTRY_LOCALE.get(country or "")


# -- inbound: webhook payloads -> Incoming ------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    #: The business-scoped user id (`user_id`, `from_user_id`), when the payload has one.
    bsuid: str | None
    #: The phone number (`wa_id`, `from`), when WhatsApp shares it.
    wa_id: str | None


@dataclass(frozen=True)
class InboundMessage:
    message_id: str
    sender: Sender
    sent_at: dt.datetime | None
    payload: Payload
    locale_hint: str | None = None


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str
    error_codes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Webhook:
    messages: list[InboundMessage]
    statuses: list[StatusUpdate]
    #: Changes for another phone number, or messages without a usable sender or id.
    skipped: int = 0


def signature_of(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` value Meta sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


_DEEP_LINK = re.compile(r"^/?start\s+(\S+)$", re.IGNORECASE)


def deep_link(text: str, prefixes: Collection[str]) -> Command | None:
    """A `wa.me/<number>?text=<code>` first message, as Telegram's `/start <code>`.

    Recognised forms, whole message, surrounding spaces ignored:
    - `start <code>` or `/start <code>` (any case), `<code>` matching the engine's
      START_PAYLOAD (`[A-Za-z0-9_-]{1,64}`);
    - a bare `<code>` whose part before the first `-` is a registered deep-link prefix,
      e.g. `e-health-ame` when `e` opens knowledge entries. A bare word without a known
      prefix stays free text, so "bonjour" is never taken for a link.
    """
    stripped = text.strip()
    match = _DEEP_LINK.match(stripped)
    if match and START_PAYLOAD.match(match.group(1)):
        return Command("start", match.group(1))
    if START_PAYLOAD.match(stripped) and "-" in stripped:
        prefix = stripped.partition("-")[0]
        if prefix and prefix in prefixes:
            return Command("start", stripped)
    return None


def _dicts(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object, limit: int = 200) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        if 0 < len(text) <= limit:
            return text
    return None


def _sender(message: Mapping[str, Any], contacts: list[dict[str, Any]]) -> Sender:
    wa_id = _text(message.get("from"), 32)
    bsuid = _text(message.get("from_user_id"), 160)
    contact: dict[str, Any] = {}
    for candidate in contacts:
        if (wa_id and candidate.get("wa_id") == wa_id) or (
            bsuid and candidate.get("user_id") == bsuid
        ):
            contact = candidate
            break
    else:
        if len(contacts) == 1:
            contact = contacts[0]
    bsuid = bsuid or _text(contact.get("user_id"), 160)
    wa_id = wa_id or _text(contact.get("wa_id"), 32)
    return Sender(
        bsuid=bsuid if bsuid and is_bsuid(bsuid) else None,
        wa_id=wa_id if wa_id and _PHONE.match(wa_id) else None,
    )


_MEDIA_TYPES = {
    "image": MediaType.PHOTO,
    "document": MediaType.DOCUMENT,
    "sticker": MediaType.STICKER,
    "video": MediaType.VIDEO,
}


def payload_of(message: Mapping[str, Any], prefixes: Collection[str]) -> Payload | None:
    """What a person sent; None for what needs no answer (reactions, system notices)."""
    kind = message.get("type")
    if kind == "text":
        body = _dict(message.get("text")).get("body")
        if not isinstance(body, str) or not body.strip():
            return SentMedia(MediaType.OTHER)
        return deep_link(body, prefixes) or parse_text(body)
    if kind == "interactive":
        interactive = _dict(message.get("interactive"))
        reply = _dict(interactive.get(str(interactive.get("type"))))
        option_id = _text(reply.get("id"), MAX_BUTTON_ID)
        if interactive.get("type") in ("button_reply", "list_reply") and option_id:
            return Pressed(option_id)
        return SentMedia(MediaType.OTHER)
    if kind == "button":
        # A quick-reply button of a template message.
        button = _dict(message.get("button"))
        payload = _text(button.get("payload"), MAX_BUTTON_ID)
        if payload:
            return Pressed(payload)
        text = button.get("text")
        return Said(text) if isinstance(text, str) and text.strip() else None
    if kind == "location":
        location = _dict(message.get("location"))
        try:
            latitude = float(location["latitude"])
            longitude = float(location["longitude"])
        except (KeyError, TypeError, ValueError):
            return SentMedia(MediaType.OTHER)
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return SentMedia(MediaType.OTHER)
        return SharedLocation(latitude, longitude)
    if kind == "audio":
        audio = _dict(message.get("audio"))
        media = MediaType.VOICE if audio.get("voice") else MediaType.AUDIO
        return SentMedia(media, ref=_text(audio.get("id")) or "")
    if isinstance(kind, str) and kind in _MEDIA_TYPES:
        return SentMedia(_MEDIA_TYPES[kind], ref=_text(_dict(message.get(kind)).get("id")) or "")
    if kind == "request_welcome":
        # The person opened the chat for the first time.
        return Command("start")
    if kind in ("reaction", "system", "ephemeral"):
        return None
    # unsupported, contacts, order, polls, anything new: answered, never left unanswered.
    return SentMedia(MediaType.OTHER)


def _sent_at(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(str(value)), dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse_webhook(
    data: Mapping[str, Any], phone_number_id: str, prefixes: Collection[str] = ()
) -> Webhook:
    """The messages and statuses of one webhook for our phone number; lenient with the rest."""
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    skipped = 0
    if data.get("object") != "whatsapp_business_account":
        return Webhook(messages, statuses, skipped=1)
    for entry in _dicts(data.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = _dict(change.get("value"))
            if change.get("field") != "messages" or not value:
                continue
            if str(_dict(value.get("metadata")).get("phone_number_id", "")) != phone_number_id:
                skipped += 1
                continue
            contacts = _dicts(value.get("contacts"))
            for message in _dicts(value.get("messages")):
                message_id = _text(message.get("id"), 255)
                sender = _sender(message, contacts)
                if message_id is None or not (sender.bsuid or sender.wa_id):
                    skipped += 1
                    continue
                payload = payload_of(message, prefixes)
                if payload is None:
                    continue
                messages.append(
                    InboundMessage(
                        message_id=message_id,
                        sender=sender,
                        sent_at=_sent_at(message.get("timestamp")),
                        payload=payload,
                        locale_hint=locale_hint(sender),
                    )
                )
            for status in _dicts(value.get("statuses")):
                codes: list[int] = []
                for error in _dicts(status.get("errors")):
                    try:
                        codes.append(int(error.get("code")))  # type: ignore[arg-type]
                    except (TypeError, ValueError):
                        continue
                statuses.append(
                    StatusUpdate(
                        message_id=_text(status.get("id"), 255) or "",
                        status=_text(status.get("status"), 32) or "unknown",
                        error_codes=tuple(codes),
                    )
                )
    return Webhook(messages, statuses, skipped=skipped)


def encode_payload(payload: Payload) -> str:
    match payload:
        case Said(text=text):
            data: dict[str, Any] = {"type": "said", "text": text}
        case Command(name=name, argument=argument):
            data = {"type": "command", "name": name, "argument": argument}
        case Pressed(option_id=option_id):
            data = {"type": "pressed", "option_id": option_id}
        case SharedLocation(latitude=latitude, longitude=longitude):
            data = {"type": "location", "latitude": latitude, "longitude": longitude}
        case SentMedia(media=media, ref=ref):
            data = {"type": "media", "media": media.value, "ref": ref}
        case _:
            raise TypeError(f"unknown payload {payload!r}")
    return json.dumps(data, ensure_ascii=False)


def decode_payload(raw: str) -> Payload:
    data = json.loads(raw)
    match data.get("type"):
        case "said":
            return Said(str(data["text"]))
        case "command":
            return Command(str(data["name"]), str(data.get("argument", "")))
        case "pressed":
            return Pressed(str(data["option_id"]))
        case "location":
            return SharedLocation(float(data["latitude"]), float(data["longitude"]))
        case "media":
            return SentMedia(MediaType(data["media"]), str(data.get("ref", "")))
    raise ValueError("unknown stored payload")


def update_id_of(message_id: str) -> str:
    """The engine's update id (at most 128 characters) for a WhatsApp message id."""
    if len(message_id) <= 128:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


# -- outbound: text rules --------------------------------------------------------------------


def width(text: str) -> int:
    """Length as strictly as the API may count it: UTF-16 units (most emoji count two)."""
    return len(text.encode("utf-16-le")) // 2


_PICTOGRAM_CATEGORIES = frozenset({"So", "Sk", "Sm", "Mn", "Me", "Cf"})
_ISOLATE_OPENERS = "\u2066\u2067\u2068"
_PDI = "\u2069"


def _without_pictogram(label: str) -> str | None:
    """`⚙️ Language and settings` → `Language and settings`; None when no pictogram leads."""
    index = 0
    while index < len(label) and unicodedata.category(label[index]) in _PICTOGRAM_CATEGORIES:
        if label[index] in _ISOLATE_OPENERS:
            return None
        index += 1
    if index == 0 or index >= len(label) or not label[index].isspace():
        return None
    rest = label[index:].strip()
    return rest or None


def _cut(text: str, budget: int) -> str:
    kept = ""
    for char in text:
        if width(kept + char) > budget:
            break
        kept += char
    return kept.rstrip("\u200d\ufe0f ")


def _close_isolates(text: str) -> str:
    missing = sum(text.count(c) for c in _ISOLATE_OPENERS) - text.count(_PDI)
    return text + _PDI * max(missing, 0)


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """Fit a label in `limit` characters; True when words were lost.

    The rule: spaces are collapsed; if still too long, a leading pictogram goes first
    (`⚙️ Language and settings` → `Language and settings`); if still too long, whole words
    are kept from the start and the cut is marked with "…". Only a first word longer than
    the limit is cut inside. The caller keeps the full text where the person can read it.
    """
    text = " ".join(text.split())
    if width(text) <= limit:
        return text, False
    bare = _without_pictogram(text)
    if bare is not None and width(bare) <= limit:
        return bare, False
    source = bare or text
    reserve = width(ELLIPSIS) + (2 if any(c in source for c in _ISOLATE_OPENERS) else 0)
    budget = limit - reserve
    kept = ""
    for word in source.split(" "):
        candidate = f"{kept} {word}" if kept else word
        if width(candidate) > budget:
            break
        kept = candidate
    kept = kept.rstrip(" ,;:")
    if not kept:
        kept = _cut(source, budget)
    return _close_isolates(kept) + ELLIPSIS, True


_FORMAT_MARKER = re.compile("[*_~`](?![\ufe0f\u20e3])")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def escape(text: str) -> str:
    """Neutralise WhatsApp formatting (`*bold*`, `_italic_`, `~strike~`, ``` `code` ```).

    WhatsApp has no escape syntax; a marker only formats at a word boundary, so each one
    is wrapped in invisible word joiners, as if inside a word. Links are left untouched,
    and so are keycap emoji (`*️⃣`).
    """

    def neutral(part: str) -> str:
        return _FORMAT_MARKER.sub(lambda m: f"{WORD_JOINER}{m.group(0)}{WORD_JOINER}", part)

    pieces: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        pieces.append(neutral(text[position : match.start()]))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(neutral(text[position:]))
    return "".join(pieces)


_SEPARATORS = ("\n\n", "\n", " ")


def split_text(
    text: str, limit: int = MAX_TEXT, separators: Sequence[str] = _SEPARATORS
) -> list[str]:
    """Cut a long text into messages of at most `limit`: at paragraphs, else lines, else words."""
    text = text.strip()
    if not text:
        return []
    if width(text) <= limit:
        return [text]
    if not separators:
        chunks: list[str] = []
        while text:
            piece = _cut(text, limit) or text[0]
            chunks.append(piece)
            text = text[len(piece) :].lstrip("\u200d\ufe0f")
        return chunks
    separator, finer = separators[0], separators[1:]
    chunks = []
    current = ""
    for part in text.split(separator):
        pieces = split_text(part, limit, finer)
        if not pieces:
            continue
        candidate = f"{current}{separator}{pieces[0]}" if current else pieces[0]
        if width(candidate) <= limit:
            current = candidate
            pieces = pieces[1:]
        elif current:
            chunks.append(current)
            current = ""
        if pieces:
            if current:
                chunks.append(current)
            chunks.extend(pieces[:-1])
            current = pieces[-1]
    if current:
        chunks.append(current)
    return chunks


# -- outbound: neutral replies -> Cloud API messages ------------------------------------------


@dataclass(frozen=True)
class Send:
    """One message for `/messages`, without its recipient."""

    body: dict[str, Any]


@dataclass(frozen=True)
class Upload:
    """Bytes for `/media`, then a message of `kind` (document, image, audio) showing them."""

    content: bytes
    mime_type: str
    filename: str
    kind: str
    caption: str = ""


@dataclass(frozen=True)
class KeepPages:
    """A list too long for one message: kept so that its "more" row can show the rest."""

    key: str
    options: Options


Outgoing = Send | Upload | KeepPages


def _texts(escaped: str) -> list[Outgoing]:
    return [
        Send({"type": "text", "text": {"body": chunk, "preview_url": False}})
        for chunk in split_text(escaped)
    ]


def card_text(card: Card) -> str:
    """`⚠️ badge`, `*title*`, the body, `_footer_`: WhatsApp's own formatting."""
    head = [f"⚠️ {escape(' '.join(badge.split()))}" for badge in card.badges if badge.strip()]
    title = " ".join(card.title.split())
    if title:
        head.append(f"*{escape(title)}*")
    parts = ["\n".join(head), escape(card.body.strip())]
    if card.footer:
        lines = [" ".join(line.split()) for line in card.footer.splitlines()]
        parts.append("\n".join(f"_{escape(line)}_" for line in lines if line))
    return "\n\n".join(part for part in parts if part)


def _unique(options: Sequence[Option]) -> list[Option]:
    seen: set[str] = set()
    result: list[Option] = []
    for option in options:
        if option.id in seen or not option.id:
            continue
        if len(option.id) > MAX_ROW_ID:
            log.error("whatsapp.render.option_id_too_long length=%d", len(option.id))
            continue
        seen.add(option.id)
        result.append(option)
    return result


def _with_overflow(escaped: str, overflow: Sequence[str]) -> str:
    """The prompt, then the full text of every label that had to be cut."""
    if not overflow:
        return escaped
    bullets = "\n".join(f"• {escape(' '.join(text.split()))}" for text in overflow)
    return f"{escaped}\n\n{bullets}" if escaped.strip() else bullets


def _fit_body(escaped: str, labels: Labels) -> tuple[list[str], str]:
    """Texts to send first, and an interactive body of at most 1,024 characters."""
    text = escaped.strip()
    fallback = shorten(labels.please_choose, MAX_BODY)[0] or "👇"
    if not text:
        return [], fallback
    if width(text) <= MAX_BODY:
        return [], text
    paragraphs = text.split("\n\n")
    tail: list[str] = []
    while len(paragraphs) > 1 and width("\n\n".join([paragraphs[-1], *tail])) <= MAX_BODY:
        tail.insert(0, paragraphs.pop())
    if tail:
        return split_text("\n\n".join(paragraphs)), "\n\n".join(tail)
    return split_text(text), fallback


def _interactive(lead: list[str], interactive: dict[str, Any]) -> list[Outgoing]:
    first: list[Outgoing] = [
        Send({"type": "text", "text": {"body": chunk, "preview_url": False}}) for chunk in lead
    ]
    return [*first, Send({"type": "interactive", "interactive": interactive})]


def _buttons(text: str, items: Sequence[Option], labels: Labels) -> list[Outgoing] | None:
    titles: list[str] = []
    overflow: list[str] = []
    for item in items:
        title, cut = shorten(item.label, MAX_BUTTON_TITLE)
        titles.append(title or ELLIPSIS)
        if cut:
            overflow.append(item.description or item.label)
    if len(set(titles)) < len(titles):
        return None  # cut labels became alike: a list, with descriptions, tells them apart
    lead, body = _fit_body(_with_overflow(escape(text), overflow), labels)
    buttons = [
        {"type": "reply", "reply": {"id": item.id, "title": title}}
        for item, title in zip(items, titles, strict=True)
    ]
    return _interactive(
        lead, {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
    )


def _list(text: str, items: Sequence[Option], labels: Labels) -> list[Outgoing]:
    rows: list[dict[str, str]] = []
    overflow: list[str] = []
    for item in items:
        title, cut = shorten(item.label, MAX_ROW_TITLE)
        row = {"id": item.id, "title": title or ELLIPSIS}
        if cut and item.description:
            description: str | None = f"{item.label} · {item.description}"
        elif cut:
            description = item.label
        else:
            description = item.description
        if description and description.strip():
            short, description_cut = shorten(description, MAX_ROW_DESCRIPTION)
            row["description"] = short
            if description_cut:
                overflow.append(description)
        rows.append(row)
    lead, body = _fit_body(_with_overflow(escape(text), overflow), labels)
    button = shorten(labels.choose, MAX_LIST_BUTTON)[0] or "☰"
    return _interactive(
        lead,
        {
            "type": "list",
            "body": {"text": body},
            "action": {"button": button, "sections": [{"rows": rows}]},
        },
    )


def page_key(options: Options) -> str:
    return hashlib.sha256(encode_reply(options).encode()).hexdigest()[:24]


def _pages(items: Sequence[Option]) -> list[list[Option]]:
    """Ten rows a message: nine choices and "more", the last page up to ten choices."""
    pages: list[list[Option]] = []
    rest = list(items)
    while len(rest) > MAX_ROWS:
        pages.append(rest[: MAX_ROWS - 1])
        rest = rest[MAX_ROWS - 1 :]
    pages.append(rest)
    return pages


def page_count(options: Options) -> int:
    return len(_pages(_unique(options.all_options())))


def page_of(options: Options, page: int, key: str, labels: Labels) -> Options:
    """Page `page` of a long list, as neutral options that fit one WhatsApp list."""
    pages = _pages(_unique(options.all_options()))
    page = min(max(page, 0), len(pages) - 1)
    rows: list[tuple[Option, ...]] = [(item,) for item in pages[page]]
    if page + 1 < len(pages):
        more = Option(f"{MORE}{key}:{page + 1}", labels.more, labels.more_description or None)
        rows.append((more,))
    text = options.text
    if page > 0:
        last = options.text.strip().split("\n\n")[-1]
        text = last if width(escape(last)) <= MAX_BODY else labels.please_choose
    return Options(text=text, rows=tuple(rows), replaceable=options.replaceable)


def render_options(options: Options, labels: Labels) -> list[Outgoing]:
    items = _unique(options.all_options())
    if not items:
        return _texts(escape(options.text))
    if len(items) > MAX_ROWS:
        key = page_key(options)
        return [KeepPages(key, options), *render_options(page_of(options, 0, key, labels), labels)]
    if len(items) <= MAX_BUTTONS:
        buttons = _buttons(options.text, items, labels)
        if buttons is not None:
            return buttons
    return _list(options.text, items, labels)


def _mime(media: Media, kind: str) -> str:
    mime = media.mime_type or mimetypes.guess_type(media.filename or "")[0]
    if not mime:
        mime = {"document": "application/pdf", "image": "image/jpeg", "audio": "audio/ogg"}[kind]
    mime = mime.split(";", 1)[0].strip().lower()
    if kind == "document" and mime not in DOCUMENT_TYPES and mime.startswith("text/"):
        # A calendar file (.ics) and the like: sent as text, its name keeps the extension.
        return "text/plain"
    return mime


def render_media(media: Media) -> list[Outgoing]:
    caption = escape(media.caption.strip())
    if media.media is MediaKind.LOCATION:
        if media.latitude is None or media.longitude is None:
            return _texts(caption)
        location = {"latitude": media.latitude, "longitude": media.longitude}
        return [*_texts(caption), Send({"type": "location", "location": location})]
    if media.content is None:
        log.warning("whatsapp.render.media_without_content kind=%s", media.media.value)
        return _texts(caption)
    kind = {
        MediaKind.DOCUMENT: "document",
        MediaKind.PHOTO: "image",
        MediaKind.VOICE: "audio",
    }[media.media]
    default_name = {"document": "document.pdf", "image": "image.jpg", "audio": "voice.ogg"}[kind]
    filename = (media.filename or default_name).replace("/", "_")[:200]
    upload = Upload(media.content, _mime(media, kind), filename, kind)
    if kind == "audio" or width(caption) > MAX_CAPTION:
        return [upload, *_texts(caption)]
    return [Upload(upload.content, upload.mime_type, filename, kind, caption)]


def render(reply: Reply, labels: Labels) -> list[Outgoing]:
    """Every kind of reply, within WhatsApp's limits; an unknown kind is refused loudly."""
    match reply:
        case Text(text=text):
            return _texts(escape(text))
        case Options():
            return render_options(reply, labels)
        case Card():
            return _texts(card_text(reply))
        case Media():
            return render_media(reply)
        case RemoveOptions():
            return []  # WhatsApp buttons cannot be taken back; old ones are handled as stale
    raise TypeError(f"WhatsApp cannot show {reply!r}")


# -- storage ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedMessage:
    message_id: str
    platform_id: str
    payload: Payload
    locale_hint: str | None
    attempts: int


@dataclass(frozen=True)
class PendingNotification:
    platform_id: str
    kind: str
    locale: str
    params: dict[str, str]


class WhatsAppStore:
    """This channel's tables."""

    def __init__(self, database: Database, outbox: Outbox) -> None:
        self.sessions = database.sessions
        #: For units that read then write (on SQLite they take the write lock at BEGIN).
        self.write_sessions = database.write_sessions
        self.outbox = outbox

    async def store_inbound(
        self, messages: Sequence[InboundMessage], now: dt.datetime
    ) -> list[str]:
        """Resolve senders, keep their last inbound time, queue the messages; one commit."""
        stored: list[str] = []
        async with self.write_sessions() as session, session.begin():
            for message in messages:
                platform_id = await self._resolve(session, message.sender)
                sent_at = min(message.sent_at or now, now)
                await self._touch(session, platform_id, sent_at, now)
                try:
                    async with session.begin_nested():
                        session.add(
                            WhatsAppInbound(
                                message_id=message.message_id,
                                platform_id=platform_id,
                                payload=encode_payload(message.payload),
                                locale_hint=message.locale_hint,
                                received_at=now,
                                attempts=0,
                            )
                        )
                        await session.flush()
                except IntegrityError:
                    continue  # delivered again while still queued: the first copy is handled
                stored.append(message.message_id)
        return stored

    async def _resolve(self, session: AsyncSession, sender: Sender) -> str:
        """The id people are keyed by: the BSUID for anyone first seen with one; a person
        known before by phone number only keeps that key, with the BSUID as an alias."""
        keys = [key for key in (sender.bsuid, sender.wa_id) if key]
        rows = await session.scalars(select(WhatsAppAlias).where(WhatsAppAlias.alias.in_(keys)))
        known = {row.alias: row.platform_id for row in rows}
        if sender.bsuid:
            platform_id = known.get(sender.bsuid)
            if platform_id is None:
                platform_id = sender.bsuid
                legacy = known.get(sender.wa_id) if sender.wa_id else None
                if legacy is not None:
                    others = await session.scalars(
                        select(WhatsAppAlias.alias).where(WhatsAppAlias.platform_id == legacy)
                    )
                    # A number that belonged to someone with another BSUID was recycled:
                    # this is a new person, and the number now points to them.
                    if not any(is_bsuid(alias) for alias in others):
                        platform_id = legacy
                await self._alias(session, sender.bsuid, platform_id)
            if sender.wa_id and known.get(sender.wa_id) != platform_id:
                await self._alias(session, sender.wa_id, platform_id)
            return platform_id
        assert sender.wa_id is not None
        platform_id = known.get(sender.wa_id) or sender.wa_id
        if sender.wa_id not in known:
            await self._alias(session, sender.wa_id, platform_id)
        return platform_id

    async def _alias(self, session: AsyncSession, alias: str, platform_id: str) -> None:
        row = await session.get(WhatsAppAlias, alias)
        if row is not None:
            row.platform_id = platform_id
            return
        try:
            async with session.begin_nested():
                session.add(WhatsAppAlias(alias=alias, platform_id=platform_id))
                await session.flush()
        except IntegrityError:
            pass  # another process recorded the same alias a moment ago

    async def _touch(
        self, session: AsyncSession, platform_id: str, sent_at: dt.datetime, now: dt.datetime
    ) -> None:
        row = await session.get(WhatsAppContact, platform_id)
        if row is None:
            try:
                async with session.begin_nested():
                    session.add(
                        WhatsAppContact(
                            platform_id=platform_id, last_inbound_at=sent_at, updated_at=now
                        )
                    )
                    await session.flush()
                return
            except IntegrityError:
                row = await session.get(WhatsAppContact, platform_id)
                if row is None:
                    raise
        last = _aware(row.last_inbound_at)
        if last is None or sent_at > last:
            row.last_inbound_at = sent_at
            row.updated_at = now

    async def claim(
        self, message_id: str, now: dt.datetime, until: dt.datetime
    ) -> QueuedMessage | None:
        """Take a stored message for handling; None when another worker holds it or it is gone."""
        async with self.write_sessions() as session, session.begin():
            result = await session.execute(
                update(WhatsAppInbound)
                .where(
                    WhatsAppInbound.message_id == message_id,
                    or_(
                        WhatsAppInbound.claimed_until.is_(None),
                        WhatsAppInbound.claimed_until <= now,
                    ),
                )
                .values(claimed_until=until, attempts=WhatsAppInbound.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            row = await session.get(WhatsAppInbound, message_id)
            if row is None:
                return None
            try:
                payload = decode_payload(row.payload)
            except (ValueError, KeyError, TypeError):
                log.error("whatsapp.inbound.unreadable")
                payload = SentMedia(MediaType.OTHER)
            return QueuedMessage(
                message_id=row.message_id,
                platform_id=row.platform_id,
                payload=payload,
                locale_hint=row.locale_hint,
                attempts=row.attempts,
            )

    async def release(self, message_id: str, retry_at: dt.datetime) -> None:
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                update(WhatsAppInbound)
                .where(WhatsAppInbound.message_id == message_id)
                .values(claimed_until=retry_at)
            )

    async def finish(self, message_id: str) -> None:
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                delete(WhatsAppInbound).where(WhatsAppInbound.message_id == message_id)
            )

    async def due(self, now: dt.datetime, grace: dt.timedelta, limit: int = 100) -> list[str]:
        """Stored messages nobody is handling: never claimed for a while, or lease expired."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(WhatsAppInbound.message_id)
                .where(
                    or_(
                        (WhatsAppInbound.claimed_until.is_(None))
                        & (WhatsAppInbound.received_at <= now - grace),
                        WhatsAppInbound.claimed_until <= now,
                    )
                )
                .order_by(WhatsAppInbound.received_at)
                .limit(limit)
            )
            return list(rows)

    async def last_inbound(self, platform_id: str) -> dt.datetime | None:
        async with self.sessions() as session:
            row = await session.get(WhatsAppContact, platform_id)
            return _aware(row.last_inbound_at) if row else None

    async def locale_of(self, platform_id: str) -> str | None:
        async with self.sessions() as session:
            locale: str | None = await session.scalar(
                select(PersonRow.locale).where(
                    PersonRow.channel == CHANNEL, PersonRow.platform_id == platform_id
                )
            )
            return locale

    async def keep_pages(self, key: str, options: Options, now: dt.datetime) -> None:
        async with self.write_sessions() as session, session.begin():
            if await session.get(WhatsAppPages, key) is not None:
                return
            try:
                async with session.begin_nested():
                    session.add(
                        WhatsAppPages(key=key, options=encode_reply(options), created_at=now)
                    )
                    await session.flush()
            except IntegrityError:
                pass

    async def pages(self, key: str) -> Options | None:
        async with self.sessions() as session:
            row = await session.get(WhatsAppPages, key)
        if row is None:
            return None
        reply = decode_reply(row.options)
        return reply if isinstance(reply, Options) else None

    async def queue_page(self, platform_id: str, update_id: str, page: Options) -> int | None:
        """Record the "more" press and queue the page, in one unit; None for a duplicate."""
        ids = await self.outbox.queue(CHANNEL, platform_id, update_id, [page])
        return ids[0] if ids else None

    async def remember_notification(
        self,
        message_ids: Sequence[str],
        platform_id: str,
        kind: str,
        locale: str,
        params: Mapping[str, str],
        now: dt.datetime,
    ) -> None:
        if not message_ids:
            return
        batch = uuid.uuid4().hex
        async with self.write_sessions() as session, session.begin():
            for message_id in message_ids:
                await session.merge(
                    WhatsAppNotification(
                        message_id=message_id,
                        batch=batch,
                        platform_id=platform_id,
                        kind=kind,
                        locale=locale,
                        params=json.dumps(dict(params), ensure_ascii=False),
                        created_at=now,
                    )
                )

    async def take_notification(self, message_id: str) -> PendingNotification | None:
        """The notification a failed message belonged to, once: whoever deletes it sends."""
        async with self.write_sessions() as session, session.begin():
            row = await session.get(WhatsAppNotification, message_id)
            if row is None:
                return None
            result = await session.execute(
                delete(WhatsAppNotification).where(WhatsAppNotification.batch == row.batch)
            )
            if not getattr(result, "rowcount", 0):
                return None
            params = json.loads(row.params)
            return PendingNotification(
                platform_id=row.platform_id,
                kind=row.kind,
                locale=row.locale,
                params={str(k): str(v) for k, v in params.items()},
            )

    async def prune(self, now: dt.datetime) -> None:
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                delete(WhatsAppPages).where(WhatsAppPages.created_at < now - PAGES_KEPT)
            )
            await session.execute(
                delete(WhatsAppNotification).where(
                    WhatsAppNotification.created_at < now - NOTIFICATIONS_KEPT
                )
            )


# -- the Graph API ------------------------------------------------------------------------------


class GraphError(DeliveryError):
    """The Cloud API refused a call; `code` is its error code, never its text."""

    def __init__(
        self,
        reason: str,
        *,
        code: int | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(reason, retry_after=retry_after, permanent=permanent)
        self.code = code
        self.status = status

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.code in RATE_LIMITED


class OutsideWindow(GraphError):
    """131047: more than 24 hours since the person last wrote; only templates may go."""


def _retry_after(response: httpx.Response) -> float | None:
    try:
        value = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _graph_error(response: httpx.Response) -> GraphError:
    code: int | None = None
    try:
        error = _dict(_dict(response.json()).get("error"))
        code = int(error["code"]) if "code" in error else None
    except (ValueError, TypeError):
        code = None
    status = response.status_code
    retry_after = _retry_after(response)
    reason = f"whatsapp api error code={code} http={status}"
    if code == OUTSIDE_WINDOW:
        return OutsideWindow(reason, code=code, status=status, permanent=True)
    rate_limited = status == 429 or code in RATE_LIMITED
    permanent = (
        400 <= status < 500
        and status not in (401, 403, 408, 429)
        and not rate_limited
        and code not in TRANSIENT
    )
    if rate_limited and retry_after is None:
        retry_after = 30.0
    return GraphError(
        reason, code=code, status=status, retry_after=retry_after, permanent=permanent
    )


class GraphApi:
    """The few Cloud API calls Passerelle makes, over one httpx client."""

    def __init__(
        self,
        base_url: str,
        phone_number_id: str,
        token: str,
        retry_delays: Sequence[float],
    ) -> None:
        self.phone_number_id = phone_number_id
        self.retry_delays = tuple(retry_delays)
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(20.0, connect=5.0),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, message: dict[str, Any]) -> str:
        """Send one message; its WhatsApp id."""
        data = await self._post("messages", json=message)
        sent = _dicts(data.get("messages"))
        return str(sent[0].get("id", "")) if sent else ""

    async def upload(self, content: bytes, mime_type: str, filename: str) -> str:
        data = await self._post(
            "media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        media_id = _text(data.get("id"))
        if media_id is None:
            raise GraphError("whatsapp api upload without id")
        return media_id

    async def _post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """POST, waiting and trying again while WhatsApp says it is rate-limited."""
        url = f"{self.phone_number_id}/{path}"
        attempt = 0
        while True:
            try:
                response = await self.client.post(url, **kwargs)
            except httpx.HTTPError as failure:
                raise GraphError(f"whatsapp api unreachable ({type(failure).__name__})") from None
            if response.is_success:
                try:
                    data = response.json()
                except ValueError:
                    data = {}
                return data if isinstance(data, dict) else {}
            refusal = _graph_error(response)
            if not refusal.rate_limited or attempt >= len(self.retry_delays):
                log.warning("whatsapp.api.error code=%s http=%s", refusal.code, refusal.status)
                raise refusal
            delay = self.retry_delays[attempt]
            asked = _retry_after(response)
            if asked is not None:
                delay = max(delay, min(asked, MAX_RETRY_WAIT))
            log.info("whatsapp.api.rate_limited code=%s attempt=%d", refusal.code, attempt + 1)
            attempt += 1
            await asyncio.sleep(delay)


# -- the channel -----------------------------------------------------------------------------


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
        lease: dt.timedelta = dt.timedelta(seconds=90),
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
        self.lease = lease
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
        stored: list[str] = []
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
            self._spawn(self._handle_all(stored))
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

    async def _handle_all(self, message_ids: Sequence[str]) -> None:
        for message_id in message_ids:
            await self.handle_stored(message_id)

    async def handle_stored(self, message_id: str, now: dt.datetime | None = None) -> bool:
        """Claim, handle and delete one stored message; False if someone else holds it."""
        now = now or self.clock()
        queued = await self.store.claim(message_id, now, now + self.lease)
        if queued is None:
            return False
        lock = self._locks.get(queued.platform_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[queued.platform_id] = lock
        async with lock:
            try:
                await self._handle(queued)
            except Exception as error:
                backoff = dt.timedelta(seconds=min(15 * 2**queued.attempts, 3600))
                log.error(
                    "whatsapp.inbound.failed error=%s attempts=%d",
                    type(error).__name__,
                    queued.attempts,
                )
                await self.store.release(message_id, now + backoff)
                return True
        await self.store.finish(message_id)
        return True

    async def _handle(self, queued: QueuedMessage) -> None:
        update_id = update_id_of(queued.message_id)
        payload = queued.payload
        if isinstance(payload, Pressed) and payload.option_id.startswith(MORE):
            if await self._next_page(queued.platform_id, update_id, payload.option_id):
                return
        handled = await self.app.engine.handle(
            Incoming(CHANNEL, queued.platform_id, update_id, payload, queued.locale_hint)
        )
        if not handled.duplicate:
            await self._send_queued(queued.platform_id, handled.replies, handled.outbox_ids)

    async def _next_page(self, platform_id: str, update_id: str, option_id: str) -> bool:
        """Show the next page of a long list; False when it is unknown (the engine then
        answers as for any expired button)."""
        key, _, number = option_id.removeprefix(MORE).partition(":")
        if not number.isdigit():
            return False
        options = await self.store.pages(key)
        if options is None or int(number) >= page_count(options):
            return False
        labels = await self._labels(platform_id)
        page = page_of(options, int(number), key, labels)
        outbox_id = await self.store.queue_page(platform_id, update_id, page)
        if outbox_id is not None:
            await self._send_queued(platform_id, [page], [outbox_id])
        return True

    async def _send_queued(
        self, platform_id: str, replies: Sequence[Reply], outbox_ids: Sequence[int]
    ) -> None:
        """Send in order, marking each sent; what fails waits in the outbox for the retrier."""
        labels = await self._labels(platform_id)
        for index, (reply, outbox_id) in enumerate(zip(replies, outbox_ids, strict=False)):
            try:
                await self._send(platform_id, reply, labels)
            except DeliveryError as error:
                delay = dt.timedelta(seconds=error.retry_after or 30.0)
                await self.app.outbox.mark_failed(outbox_ids[index:], utcnow() + delay)
                log.warning("whatsapp.deliver.deferred remaining=%d", len(outbox_ids) - index)
                return
            await self.app.outbox.mark_sent([outbox_id])

    async def sweep(self, now: dt.datetime | None = None) -> int:
        """Handle what was stored and left unhandled; the number handled."""
        now = now or self.clock()
        handled = 0
        for message_id in await self.store.due(now, self.sweep_grace):
            if await self.handle_stored(message_id, now):
                handled += 1
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
