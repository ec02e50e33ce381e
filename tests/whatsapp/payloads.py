"""Webhook bodies as the Cloud API sends them (messages and statuses, with BSUID fields)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "15550783881"
WABA_ID = "102290129340398"

_ids = itertools.count(1)


def message_id() -> str:
    return f"wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUZBS0U{next(_ids):08d}AA=="


def _envelope(value: dict[str, Any], phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": DISPLAY_PHONE_NUMBER,
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def inbound(
    content: dict[str, Any],
    *,
    wa_id: str | None,
    bsuid: str | None,
    at: dt.datetime,
    name: str = "Amina",
    mid: str | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """One incoming message; `content` is e.g. `text("bonjour")`."""
    contact: dict[str, Any] = {"profile": {"name": name}}
    message: dict[str, Any] = {
        "id": mid or message_id(),
        "timestamp": str(int(at.timestamp())),
        **content,
    }
    if wa_id:
        contact["wa_id"] = wa_id
        message["from"] = wa_id
    if bsuid:
        contact["user_id"] = bsuid
        message["from_user_id"] = bsuid
    return _envelope({"contacts": [contact], "messages": [message]}, phone_number_id)


def text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body}}


def button_reply(option_id: str, title: str) -> dict[str, Any]:
    return {
        "type": "interactive",
        "context": {"from": DISPLAY_PHONE_NUMBER, "id": "wamid.previous"},
        "interactive": {"type": "button_reply", "button_reply": {"id": option_id, "title": title}},
    }


def list_reply(option_id: str, title: str, description: str = "") -> dict[str, Any]:
    reply = {"id": option_id, "title": title}
    if description:
        reply["description"] = description
    return {
        "type": "interactive",
        "context": {"from": DISPLAY_PHONE_NUMBER, "id": "wamid.previous"},
        "interactive": {"type": "list_reply", "list_reply": reply},
    }


def quick_reply(payload: str, label: str) -> dict[str, Any]:
    """A template's quick-reply button."""
    return {
        "type": "button",
        "context": {"from": DISPLAY_PHONE_NUMBER, "id": "wamid.template"},
        "button": {"payload": payload, "text": label},
    }


def location(latitude: float, longitude: float) -> dict[str, Any]:
    return {
        "type": "location",
        "location": {"latitude": latitude, "longitude": longitude, "name": "", "address": ""},
    }


def audio(voice: bool = True) -> dict[str, Any]:
    return {
        "type": "audio",
        "audio": {
            "mime_type": "audio/ogg; codecs=opus",
            "sha256": "abc",
            "id": "1480338619690310",
            "voice": voice,
        },
    }


def media(kind: str) -> dict[str, Any]:
    """image, document, sticker or video."""
    item: dict[str, Any] = {"mime_type": "image/jpeg", "sha256": "abc", "id": "1003383421387256"}
    if kind == "document":
        item = {**item, "mime_type": "application/pdf", "filename": "titre-de-sejour.pdf"}
    if kind == "sticker":
        item = {**item, "mime_type": "image/webp", "animated": False}
    if kind == "video":
        item = {**item, "mime_type": "video/mp4"}
    return {"type": kind, kind: item}


def reaction(to_message: str) -> dict[str, Any]:
    return {"type": "reaction", "reaction": {"message_id": to_message, "emoji": "👍"}}


def unsupported() -> dict[str, Any]:
    return {
        "type": "unsupported",
        "errors": [{"code": 131051, "title": "Message type unknown"}],
    }


def status(
    status_name: str,
    *,
    wamid: str,
    recipient_id: str,
    at: dt.datetime,
    error_code: int | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": status_name,
        "timestamp": str(int(at.timestamp())),
        "recipient_id": recipient_id,
        "pricing": {"billable": True, "pricing_model": "PMP", "category": "service"},
    }
    if error_code is not None:
        item["errors"] = [
            {
                "code": error_code,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {"details": "Message failed to send because more than 24 hours"},
            }
        ]
    return _envelope({"statuses": [item]})
