"""Phone numbers, amounts and durations as they are written in facts and entries.

The test of the bundled content (`test_content_numbers.py`) holds every entry to the
numbers of the fact sheets the content is written from. Those sheets live outside the
repository, so their numbers are kept in `tests/data/facts_numbers.yaml`, made by this
module from the sheets themselves:

    python -m tests.knowledge.numbers ../shared/facts.md ../shared/facts-more.md

The same patterns read the sheets (English) and the entries (French and English; phone
numbers and amounts in every locale, whose digits are the same).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

NUMBERS_FILE = Path(__file__).resolve().parents[1] / "data" / "facts_numbers.yaml"

_SPACE = "[ .\u00a0\u202f]"
#: French phone numbers: ten digits from a leading 0, however they are grouped.
PHONE = re.compile(rf"(?<![\d,])0(?:{_SPACE}?\d){{9}}(?![\d])")
#: Four-digit service numbers (3919, 3114, 3039...): not a year, not part of a bigger number.
SERVICE = re.compile(r"(?<![\w/.,])3\d{3}(?![\w])")
_AMOUNT = r"\d{1,3}(?:[ \u00a0\u202f,.]\d{3})*(?:[.,]\d{1,2})?"
AMOUNT = re.compile(rf"€\s?({_AMOUNT})|({_AMOUNT})\s?(?:€|euros?\b)")
_UNITS = {
    "day": ("jour", "jours", "day", "days"),
    "week": ("semaine", "semaines", "week", "weeks"),
    "month": ("mois", "month", "months"),
    "year": ("an", "ans", "année", "années", "year", "years"),
    "hour": ("heure", "heures", "hour", "hours"),
    "minute": ("minute", "minutes", "min"),
}
_UNIT_OF = {word: unit for unit, words in _UNITS.items() for word in words}
DURATION = re.compile(
    r"(?<![\d,.])(\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?!\d)|\d+(?:[.,]\d+)?)[ \u00a0\u202f-]*("
    + "|".join(sorted(_UNIT_OF, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)


@dataclass
class Numbers:
    phones: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    amounts: set[str] = field(default_factory=set)
    durations: set[str] = field(default_factory=set)


def amount_value(text: str) -> str:
    """`10 339`, `10,339` → `10339`; `6,80`, `6.80` → `6.80`: one spelling per amount."""
    digits = re.sub(r"[ \u00a0\u202f]", "", text)
    match = re.fullmatch(r"(\d+(?:[.,]\d{3})*)(?:[.,](\d{1,2}))?", digits)
    if match is None:
        return digits
    whole = re.sub(r"[.,]", "", match.group(1))
    return f"{whole}.{match.group(2).ljust(2, '0')}" if match.group(2) else whole


def numbers_in(text: str, *, durations: bool = True) -> Numbers:
    found = Numbers()
    found.phones = {re.sub(r"\D", "", m.group(0)) for m in PHONE.finditer(text)}
    found.services = {m.group(0) for m in SERVICE.finditer(text)}
    found.amounts = {amount_value(m.group(1) or m.group(2)) for m in AMOUNT.finditer(text)}
    if durations:
        found.durations = {
            f"{amount_value(m.group(1))} {_UNIT_OF[m.group(2).lower()]}"
            for m in DURATION.finditer(text)
        }
    return found


def write_numbers(sheets: list[Path], target: Path = NUMBERS_FILE) -> None:
    found = Numbers()
    for sheet in sheets:
        numbers = numbers_in(sheet.read_text(encoding="utf-8"))
        found.phones |= numbers.phones
        found.services |= numbers.services
        found.amounts |= numbers.amounts
        found.durations |= numbers.durations
    # `also` is written by hand (the sheets' other spellings): regenerating keeps it.
    kept = yaml.safe_load(target.read_text(encoding="utf-8")) if target.exists() else None
    data = {
        "phones": sorted(found.phones),
        "services": sorted(found.services),
        "amounts": sorted(found.amounts, key=float),
        "durations": sorted(found.durations, key=lambda d: (d.split()[1], float(d.split()[0]))),
        "also": (kept or {}).get("also", {}),
    }
    header = (
        "# Numbers the fact sheets state (made by `python -m tests.knowledge.numbers "
        + " ".join(sheet.name for sheet in sheets)
        + "`).\n# `also` lists numbers the sheets write in another form, each with where.\n"
    )
    target.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


if __name__ == "__main__":
    write_numbers([Path(arg) for arg in sys.argv[1:]])
