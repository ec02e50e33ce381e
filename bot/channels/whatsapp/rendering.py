"""Rendering: neutral replies as Cloud API messages within WhatsApp's limits (labels cut
with care, formatting neutralised, long lists in pages)."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.whatsapp.constants import (
    DOCUMENT_TYPES,
    ELLIPSIS,
    MAX_BODY,
    MAX_BUTTON_TITLE,
    MAX_BUTTONS,
    MAX_CAPTION,
    MAX_LIST_BUTTON,
    MAX_ROW_DESCRIPTION,
    MAX_ROW_ID,
    MAX_ROW_TITLE,
    MAX_ROWS,
    MAX_TEXT,
    MORE,
    WORD_JOINER,
)
from dialogs.codec import encode_reply
from dialogs.i18n import N_, Catalogs
from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Reply, Text

__all__ = [
    "CHOOSE",
    "MORE_CHOICES",
    "MORE_DESCRIPTION",
    "PLEASE_CHOOSE",
    "KeepPages",
    "Labels",
    "Outgoing",
    "Send",
    "Upload",
    "card_text",
    "escape",
    "page_count",
    "page_key",
    "page_of",
    "render",
    "render_media",
    "render_options",
    "shorten",
    "split_text",
    "width",
]

log = logging.getLogger("passerelle.whatsapp")


CHOOSE = N_("Choose")


MORE_CHOICES = N_("More choices")


MORE_DESCRIPTION = N_("See the next choices")


PLEASE_CHOOSE = N_("Please choose:")


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
