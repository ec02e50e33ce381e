"""Interface text helpers: isolates for right-to-left readers, dates in the reader's locale."""

from __future__ import annotations

import datetime as dt

from dialogs.i18n import LRI, PDI, Catalogs, isolate_ltr


def test_latin_fragments_numbers_and_commands_are_isolated() -> None:
    text = isolate_ltr("اكتب /menu أو اتصل بـ 115 من أجل AME")
    assert f"{LRI}/menu{PDI}" in text
    assert f"{LRI}115{PDI}" in text
    assert f"{LRI}AME{PDI}" in text


def test_isolating_twice_changes_nothing() -> None:
    once = isolate_ltr("رقم 01 42 500 900")
    assert isolate_ltr(once) == once


def test_dates_are_written_in_the_readers_language() -> None:
    catalogs = Catalogs()
    day = dt.date(2026, 11, 27)
    assert catalogs.translator("fr").date(day) == "27 novembre 2026"
    assert "November" in catalogs.translator("en").date(day)
    assert "2026" in catalogs.translator("uk").date(day)


def test_platform_hints_map_to_bundled_languages() -> None:
    catalogs = Catalogs()
    assert catalogs.best_match("fa-AF") == "fa"
    assert catalogs.best_match("prs") == "fa"
    assert catalogs.best_match("pt-BR") is None
    assert catalogs.best_match(None) is None


def test_punctuation_around_a_fragment_stays_outside_its_isolate() -> None:
    assert isolate_ltr("اتصل بـ (PSA) الآن") == f"اتصل بـ ({LRI}PSA{PDI}) الآن"
    assert isolate_ltr("اتصل بـ 119.") == f"اتصل بـ {LRI}119{PDI}."
    assert isolate_ltr("رقم 01.42.50, ثم") == f"رقم {LRI}01.42.50{PDI}, ثم"
    assert isolate_ltr("f(x) هنا") == f"{LRI}f(x){PDI} هنا"
