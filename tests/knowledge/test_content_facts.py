"""The facts that cost a person their case when wrong (issue 14), in every locale they have.

Numbers are compared as digits: every locale writes them so, whatever its script.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from knowledge.loader import load_dir
from knowledge.schema import EntryFile, Situation
from knowledge.transfer import BUNDLED_CONTENT

ENTRIES = {entry.slug: entry for entry in load_dir(BUNDLED_CONTENT)}

#: Entries the June 2026 decrees touch: they say so and are reviewed within 30 days.
JUNE_2026 = (
    "status-asylum-seeker",
    "asylum-registration",
    "status-dublin",
    "status-rejected-asylum",
    "asylum-allowance-ada",
    "legal-aid",
    "housing-asylum-dna",
    "asylum-cnda-appeal",
    "police-checks-detention",
)


def numbers(entry: EntryFile, locale: str) -> set[str]:
    translation = entry.translations[locale]
    return set(re.findall(r"\d+", f"{translation.summary}\n{translation.body}"))


def locales_of(*slugs: str) -> list[tuple[str, str]]:
    return [(slug, locale) for slug in slugs for locale in ENTRIES[slug].translations]


@pytest.mark.parametrize(("slug", "locale"), locales_of("status-dublin", "legal-aid"))
def test_the_dublin_appeal_is_7_days_and_48_hours_in_detention(slug: str, locale: str) -> None:
    said = numbers(ENTRIES[slug], locale)
    assert {"7", "48", "2024"} <= said


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_old_15_day_dublin_appeal_is_gone(locale: str) -> None:
    body = ENTRIES["status-dublin"].translations[locale].body
    appeal = next(p for p in body.split("\n\n") if p.startswith(("Recours", "Appeal")))
    assert "7" in re.findall(r"\d+", appeal)
    assert re.search(r"15 (jours|days) (selon|according)", appeal) is None


@pytest.mark.parametrize(
    ("slug", "locale"), locales_of("status-asylum-seeker", "asylum-registration")
)
def test_the_asylum_entries_state_the_90_day_rule(slug: str, locale: str) -> None:
    assert "90" in numbers(ENTRIES[slug], locale)


@pytest.mark.parametrize(("slug", "locale"), locales_of("asylum-cnda-appeal", "legal-aid"))
def test_the_cnda_appeal_is_1_month_with_legal_aid_within_15_days(slug: str, locale: str) -> None:
    assert {"1", "15"} <= numbers(ENTRIES[slug], locale)


@pytest.mark.parametrize(("slug", "locale"), locales_of(*JUNE_2026))
def test_the_june_2026_change_is_said_where_it_applies(slug: str, locale: str) -> None:
    entry = ENTRIES[slug]
    assert "2026" in numbers(entry, locale)
    if locale in ("fr", "en"):
        said = f"{entry.translations[locale].summary}\n{entry.translations[locale].body}"
        assert re.search(r"juin 2026|June 2026", said)


@pytest.mark.parametrize("slug", JUNE_2026)
def test_entries_the_june_2026_decrees_touch_are_reviewed_within_30_days(slug: str) -> None:
    entry = ENTRIES[slug]
    assert entry.checked is not None
    assert entry.review_due - entry.checked <= dt.timedelta(days=30)


def test_temporary_protection_is_a_situation_of_its_own() -> None:
    status = ENTRIES["status-temporary-protection"]
    assert status.situations == [Situation.TEMPORARY_PROTECTION]
    subsidiary = ENTRIES["status-subsidiary-protection"]
    assert Situation.TEMPORARY_PROTECTION not in subsidiary.situations
