"""What a person sent, once a channel has taken it off its platform."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Said:
    """Free text."""

    text: str


@dataclass(frozen=True)
class Command:
    """A slash command such as `/start payload`."""

    name: str
    argument: str = ""


@dataclass(frozen=True)
class Pressed:
    """A button pressed: the option id the engine gave it."""

    option_id: str


@dataclass(frozen=True)
class SharedLocation:
    latitude: float
    longitude: float


class MediaType(StrEnum):
    VOICE = "voice"
    AUDIO = "audio"
    PHOTO = "photo"
    DOCUMENT = "document"
    STICKER = "sticker"
    VIDEO = "video"
    OTHER = "other"


@dataclass(frozen=True)
class SentMedia:
    """A voice note, photo or file; only a platform reference is kept, never the content."""

    media: MediaType
    ref: str = ""


Payload = Said | Command | Pressed | SharedLocation | SentMedia


@dataclass(frozen=True)
class Incoming:
    channel: str
    #: The person's id on that platform (chat id, WhatsApp id, console user).
    person_ref: str
    #: The platform's id of this delivery; a second delivery with the same id is dropped.
    update_id: str
    payload: Payload
    #: The platform's language hint (Telegram's language_code), used only until a choice.
    locale_hint: str | None = None


def parse_text(text: str) -> Payload:
    """Free text, or a slash command with its argument."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        head, _, argument = stripped[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        if name.replace("_", "").isalnum():
            return Command(name=name, argument=argument.strip())
    return Said(text=text)
