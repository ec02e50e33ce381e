"""What a step says back: plain data that each channel renders within its own limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

#: Separates a step's code from the value in an option id: "lang:fa".
SEP = ":"
#: The id of the button home, under every screen but the menu.
NAV_MENU = "nav:menu"


@dataclass(frozen=True)
class Option:
    """A button: a short stable id the engine resolves, and the label the person sees."""

    id: str
    label: str
    #: A longer text kept for channels that cut labels (WhatsApp row descriptions).
    description: str | None = None


@dataclass(frozen=True)
class Text:
    text: str
    kind: str = field(default="text", init=False)


@dataclass(frozen=True)
class Options:
    """A prompt with buttons, as rows; a row holds buttons that fit side by side."""

    text: str
    rows: tuple[tuple[Option, ...], ...]
    #: A menu may be redrawn in place on a button press; kept content never is.
    replaceable: bool = True
    kind: str = field(default="options", init=False)

    def all_options(self) -> list[Option]:
        return [option for row in self.rows for option in row]


class Keep(StrEnum):
    """Whether a card is worth keeping in the chat (sent new) or a passing view."""

    KEEP = "keep"
    VIEW = "view"


@dataclass(frozen=True)
class Card:
    """Content people keep: a title, a body and a footer (such as "last checked on")."""

    title: str
    body: str
    footer: str | None = None
    #: Marks on the card the reader must see, like "machine translation".
    badges: tuple[str, ...] = ()
    kind: str = field(default="card", init=False)


class MediaKind(StrEnum):
    DOCUMENT = "document"
    PHOTO = "photo"
    VOICE = "voice"
    LOCATION = "location"


@dataclass(frozen=True)
class Media:
    media: MediaKind
    caption: str = ""
    filename: str | None = None
    content: bytes | None = None
    mime_type: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    kind: str = field(default="media", init=False)


@dataclass(frozen=True)
class RemoveOptions:
    """Take away buttons that no longer apply (a keyboard the person should not press)."""

    kind: str = field(default="remove_options", init=False)


Reply = Text | Options | Card | Media | RemoveOptions


def text_of(reply: Reply) -> str:
    """The human-readable text of a reply, for transcripts and search in tests."""
    match reply:
        case Text(text=text):
            return text
        case Options(text=text, rows=rows):
            labels = " | ".join(option.label for row in rows for option in row)
            return f"{text}\n{labels}"
        case Card(title=title, body=body, footer=footer, badges=badges):
            return "\n".join(part for part in (*badges, title, body, footer or "") if part)
        case Media(caption=caption):
            return caption
        case RemoveOptions():
            return ""
    raise TypeError(f"unknown reply {reply!r}")
