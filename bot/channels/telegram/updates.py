"""Reading updates: the Bot API's JSON becomes what a person did (`Received`), or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dialogs.incoming import (
    MediaType,
    Payload,
    Pressed,
    SentMedia,
    SharedLocation,
    parse_text,
)

__all__ = [
    "EXPIRED_OPTION",
    "OWN_PREFIX",
    "Action",
    "JsonObject",
    "Noop",
    "PressKept",
    "PressedMessage",
    "Received",
    "TurnPage",
    "read_callback_data",
    "read_update",
]


#: Callback data this module resolves itself start with "~" (no step code does).
OWN_PREFIX = "~"


#: An option id no step knows: the engine answers "this button has expired" and shows the menu.
EXPIRED_OPTION = "~:expired"


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
            when = _moment(date) if isinstance(date, int) else None
            pressed = PressedMessage(message_id, when if date else None, _shows_card(shown))
    if not isinstance(chat_id, int):
        return None
    data = query.get("data")
    action = read_callback_data(data) if isinstance(data, str) else Noop()
    return Received(
        update_id, chat_id, action, _language(sender), callback_id=query["id"], pressed=pressed
    )


def _moment(timestamp: int) -> dt.datetime | None:
    """A Unix time as a UTC datetime; None when out of any calendar's range."""
    try:
        return dt.datetime.fromtimestamp(timestamp, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
