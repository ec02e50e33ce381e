"""Fill a catalog's empty translations from a YAML mapping msgid → msgstr (translators' helper).

Usage: python tools/fill_catalog.py LOCALE MAPPING.yaml
The English catalog is filled with the message ids themselves.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    locale, mapping_file = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    path = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    mapping: dict[str, object] = {}
    if mapping_file:
        mapping = yaml.safe_load(Path(mapping_file).read_text(encoding="utf-8")) or {}
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        value = key if locale == "en" and not mapping else mapping.get(key)
        if value is None:
            continue
        if isinstance(message.id, tuple):
            forms = value if isinstance(value, list) else [value]
            count = catalog.num_plurals
            message.string = tuple((forms + [forms[-1]] * count)[:count])
        else:
            message.string = str(value)
        message.flags.discard("fuzzy")
        filled += 1
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    print(f"{locale}: {filled} messages filled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
