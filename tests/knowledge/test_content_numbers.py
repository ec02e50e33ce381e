"""The bundled content states no phone number, amount or deadline the fact sheets do not.

A number in an entry that is not in `tests/data/facts_numbers.yaml` (the sheets' numbers)
is either a mistake or a fact without a source: both must be fixed in the entry, or the
sheet's wording added to `also` with where it stands.
"""

from __future__ import annotations

import pytest
import yaml

from knowledge.loader import load_dir
from knowledge.schema import EntryFile
from knowledge.transfer import BUNDLED_CONTENT
from tests.knowledge.numbers import NUMBERS_FILE, Numbers, numbers_in

#: Durations are read in the languages whose units the patterns know.
DURATION_LOCALES = ("fr", "en")

ENTRIES = load_dir(BUNDLED_CONTENT)


def allowed() -> Numbers:
    data = yaml.safe_load(NUMBERS_FILE.read_text(encoding="utf-8"))
    also = data.get("also", {})
    return Numbers(
        phones=set(data["phones"]) | set(also.get("phones", {})),
        services=set(data["services"]) | set(also.get("services", {})),
        amounts=set(data["amounts"]) | set(also.get("amounts", {})),
        durations=set(data["durations"]) | set(also.get("durations", {})),
    )


def texts(entry: EntryFile, locale: str) -> str:
    translation = entry.translations[locale]
    parts = [translation.title, translation.summary, translation.body]
    parts += [item.labels[locale] for item in entry.checklist if locale in item.labels]
    for place in entry.places:
        parts += [place.phone or "", place.access.get(locale, "")]
    return "\n".join(parts)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.slug)
def test_every_number_of_an_entry_is_in_the_fact_sheets(entry: EntryFile) -> None:
    known = allowed()
    unknown: dict[str, set[str]] = {}
    for locale in entry.translations:
        found = numbers_in(texts(entry, locale), durations=locale in DURATION_LOCALES)
        for kind in ("phones", "services", "amounts", "durations"):
            extra = getattr(found, kind) - getattr(known, kind)
            if extra:
                unknown.setdefault(f"{locale} {kind}", set()).update(extra)
    assert not unknown, f"{entry.slug}: numbers the fact sheets do not state: {unknown}"


def test_the_patterns_find_what_a_wrong_entry_would_say() -> None:
    wrong = numbers_in(
        "Recours en 15 jours. Appelez le 01 23 45 67 89 ou le 3999. "
        "Allocation : 12,50 € par jour, plafond 10 400 €."
    )
    assert wrong.phones == {"0123456789"}
    assert wrong.services == {"3999"}
    assert wrong.amounts == {"12.50", "10400"}
    assert wrong.durations == {"15 day"}
    assert "0123456789" not in allowed().phones
