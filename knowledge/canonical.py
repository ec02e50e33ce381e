"""The one way an entry is written as YAML, so that import then export gives the same bytes.

Choices, all functions of the data alone: keys in schema order, locales in the usual
order, defaults left out, multi-line text as literal blocks, long lines folded, short
lists of identifiers inline, no anchors, UTF-8 as is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from enum import Enum
from typing import Any

import yaml

from knowledge.locales import locale_order
from knowledge.schema import EntryFile, Weekday

#: Single-line text longer than this is folded over several lines.
FOLD_AFTER = 80
#: The emitter wraps folded text near this column.
LINE_WIDTH = 100
#: Lists of identifiers or hours shorter than this stay on one line: `tags: [ame, cpam]`.
INLINE_LIST_MAX = 60
IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9:-]*$")
WEEKDAYS = [day.value for day in Weekday]


def fingerprint(entry: EntryFile) -> str:
    """A digest of everything the entry says: two entries with one fingerprint are the same."""
    data = entry.model_dump(mode="json", exclude_defaults=True)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_data(entry: EntryFile) -> dict[str, Any]:
    """The entry as plain data in canonical order, ready to dump."""
    data: dict[str, Any] = _plain(entry.model_dump(mode="python", exclude_defaults=True))
    data["translations"] = _by_locale(data["translations"])
    for item in data.get("checklist", []):
        item["labels"] = _by_locale(item["labels"])
    for place in data.get("places", []):
        if "access" in place:
            place["access"] = _by_locale(place["access"])
        weekly = place.get("hours", {}).get("weekly")
        if weekly:
            place["hours"]["weekly"] = {day: weekly[day] for day in WEEKDAYS if day in weekly}
    return data


def dump_entry(entry: EntryFile) -> str:
    data = canonical_data(entry)
    # Folding is the one style whose round trip depends on the text (runs of spaces,
    # leading blanks); when it would change a value, the document is written unfolded.
    for dumper in (_CanonicalDumper, _UnfoldedDumper):
        text = yaml.dump(
            data,
            Dumper=dumper,
            allow_unicode=True,
            sort_keys=False,
            width=LINE_WIDTH,
            default_flow_style=False,
        )
        if yaml.safe_load(text) == data:
            return text
    raise ValueError(f"{entry.slug}: no YAML style gives this entry back unchanged")


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date | str | int | float | bool) or value is None:
        return value
    raise TypeError(f"cannot write {type(value).__name__} in an entry file")


def _by_locale(texts: dict[str, Any]) -> dict[str, Any]:
    return {locale: texts[locale] for locale in locale_order(texts)}


class _CanonicalDumper(yaml.SafeDumper):
    fold_long_lines = True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Items of a list are indented under their key, as people write them by hand.
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _UnfoldedDumper(_CanonicalDumper):
    fold_long_lines = False


def _represent_text(dumper: _CanonicalDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if "\n" in value:
        style = "|"
    elif dumper.fold_long_lines and len(value) > FOLD_AFTER:
        style = ">"
    elif not _plain_is_possible(dumper, value):
        # Double quotes, not YAML's default single ones: French is full of apostrophes,
        # and `l'hôpital` reads better than `l''hôpital`.
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _plain_is_possible(dumper: _CanonicalDumper, value: str) -> bool:
    analysis = dumper.analyze_scalar(value)
    # The stubs leave Resolver.resolve untyped; it returns the tag a plain scalar reads as.
    read_back = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return bool(value) and analysis.allow_block_plain and read_back == "tag:yaml.org,2002:str"


def _represent_list(dumper: _CanonicalDumper, value: list[Any]) -> yaml.SequenceNode:
    inline = (
        bool(value)
        and all(isinstance(item, str) and IDENTIFIER.match(item) for item in value)
        and len(", ".join(value)) <= INLINE_LIST_MAX
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=inline)


_CanonicalDumper.add_representer(str, _represent_text)
_CanonicalDumper.add_representer(list, _represent_list)
