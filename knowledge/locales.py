"""The locales the knowledge base is written in, French (the source) first."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from knowledge.schema import SOURCE_LOCALE

LINGUAS = Path(__file__).resolve().parent.parent / "translations" / "LINGUAS"

#: Used when the interface catalogs are not shipped next to the package.
DEFAULT_LOCALES: tuple[str, ...] = (
    "fr",
    "en",
    "ar",
    "fa",
    "ps",
    "ti",
    "bn",
    "ur",
    "ff",
    "ro",
    "zh",
    "uk",
)


def read_locales(linguas: Path = LINGUAS) -> tuple[str, ...]:
    """The locales of `translations/LINGUAS` (one per line, `#` comments), else the defaults."""
    if not linguas.is_file():
        return DEFAULT_LOCALES
    found: list[str] = []
    for line in linguas.read_text(encoding="utf-8").splitlines():
        for word in line.split("#", 1)[0].split():
            if word not in found:
                found.append(word)
    return with_source_first(found) if found else DEFAULT_LOCALES


def with_source_first(locales: Iterable[str]) -> tuple[str, ...]:
    rest = [locale for locale in locales if locale != SOURCE_LOCALE]
    return (SOURCE_LOCALE, *rest)


LOCALES: tuple[str, ...] = read_locales()


def locale_order(locales: Iterable[str], known: tuple[str, ...] = LOCALES) -> list[str]:
    """Known locales in their usual order, then any others alphabetically: stable output."""
    present = set(locales)
    ordered = [locale for locale in known if locale in present]
    return ordered + sorted(present - set(known))
