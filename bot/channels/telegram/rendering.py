"""Rendering: neutral replies become Telegram messages (HTML, inline keyboards, pages,
4,096-character chunks), grouped into as few messages as keep their meaning."""

from __future__ import annotations

import functools
import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.telegram.updates import OWN_PREFIX
from dialogs.framework import NAV_BACK, NAV_MENU
from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Reply, Text

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "CAPTION_LIMIT",
    "PAGE_ROWS",
    "SHORT_LABEL",
    "TEXT_LIMIT",
    "Block",
    "Button",
    "DropKeyboard",
    "Keyboard",
    "Operation",
    "SendFile",
    "SendLocation",
    "SendText",
    "blocks_of",
    "callback_data",
    "chunk_blocks",
    "escape",
    "keyboard_of",
    "label_width",
    "layout",
    "markup_json",
    "menu_edit",
    "message_groups",
    "render",
    "render_card_with_options",
    "render_group",
    "visible_length",
]


#: Telegram's limits, counted in UTF-16 code units after HTML parsing.
TEXT_LIMIT = 4096


CAPTION_LIMIT = 1024


CALLBACK_DATA_LIMIT = 64


#: Keyboard layout: labels up to this display width go two to a row.
SHORT_LABEL = 16


#: Rows of options on one page of a long list (the pager and Back / Menu come below).
PAGE_ROWS = 8


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
