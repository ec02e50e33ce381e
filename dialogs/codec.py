"""Replies as JSON text and back: how the outbox keeps them, and how channels read them.

Next to `dialogs.replies` so that a channel decodes a reply without importing storage.
orjson: about a tenth of the standard library's CPU for a reply or a state, written and
read back on every message.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

import orjson

from dialogs import replies
from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Reply, Text

__all__ = ["decode_reply", "encode_reply", "json_text"]


def json_text(value: object) -> str:
    """JSON as the store writes it on the per-message path.

    Non-string keys become strings, as the standard library makes them.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def encode_reply(reply: Reply) -> str:
    """JSON for the outbox; bytes (attachments) are kept as latin-1 text."""
    return json_text(_plain_reply(reply))


def _plain_reply(reply: Reply) -> object:
    # Texts and menus are most of the outbox: written out by hand (asdict deep-copies).
    match reply:
        case replies.Text(text=text, kind=kind):
            return {"text": text, "kind": kind}
        case replies.Options(text=text, rows=rows, replaceable=replaceable, kind=kind):
            return {
                "text": text,
                "rows": [
                    [{"id": o.id, "label": o.label, "description": o.description} for o in row]
                    for row in rows
                ],
                "replaceable": replaceable,
                "kind": kind,
            }
    return _plain(reply)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(value: object) -> object:
    """`dataclasses.asdict` without its deep copies."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return {"__bytes__": value.decode("latin-1")}
    names = _FIELDS.get(type(value))
    if names is None:
        if not is_dataclass(value):
            raise TypeError(type(value).__name__)
        names = _FIELDS.setdefault(type(value), tuple(f.name for f in fields(value)))
    return {name: _plain(getattr(value, name)) for name in names}


def decode_reply(raw: str) -> Reply:
    """The reply `encode_reply` wrote; ValueError, KeyError or TypeError for anything else."""
    data: dict[str, Any] = orjson.loads(raw)
    if '"__bytes__"' in raw:
        data = _with_bytes(data)
    kind = data.pop("kind")
    if kind == "text":
        return Text(**data)
    if kind == "options":
        rows = tuple(tuple(Option(**item) for item in row) for row in data["rows"])
        return Options(text=data["text"], rows=rows, replaceable=data["replaceable"])
    if kind == "card":
        return Card(**{**data, "badges": tuple(data.get("badges", ()))})
    if kind == "media":
        return Media(**{**data, "media": MediaKind(data["media"])})
    if kind == "remove_options":
        return RemoveOptions()
    raise ValueError(f"unknown reply kind {kind!r}")


def _with_bytes(value: Any) -> Any:
    """Bytes back from their `{"__bytes__": latin-1 text}` form."""
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return str(value["__bytes__"]).encode("latin-1")
        return {key: _with_bytes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_bytes(item) for item in value]
    return value
