"""Reading webhooks: who wrote (business-scoped ids, phone numbers, a language hint from
the country) and what they did, as engine payloads; payloads stored and read back."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels.whatsapp.constants import MAX_BUTTON_ID
from dialogs.engine import START_PAYLOAD
from dialogs.incoming import (
    Command,
    MediaType,
    Payload,
    Pressed,
    Said,
    SentMedia,
    SharedLocation,
    parse_text,
)
from knowledge.locales import calling_codes, country_locales

__all__ = [
    "InboundMessage",
    "Sender",
    "StatusUpdate",
    "Webhook",
    "decode_payload",
    "deep_link",
    "encode_payload",
    "is_bsuid",
    "locale_hint",
    "parse_webhook",
    "payload_of",
    "recipient",
    "signature_of",
    "update_id_of",
]


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


#: Countries people Passerelle serves often come from, and the bundled language to offer
#: first; their calling codes. Both from the locales' data files (`knowledge/locales/`).
_COUNTRY_LOCALE = country_locales()
_CALLING_CODE_COUNTRY = calling_codes()


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


def update_id_of(message_id: str, phone_number_id: str) -> str:
    """The engine's update id (at most 128 characters) for a WhatsApp message id, scoped by
    the business phone number it came to."""
    scoped = f"{phone_number_id}:{message_id}"
    if len(scoped) <= 128:
        return scoped
    return "sha256:" + hashlib.sha256(scoped.encode()).hexdigest()
