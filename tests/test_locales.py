"""Every listed locale is data only: each has its file in knowledge/locales/ with all of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dialogs.framework import is_emergency
from dialogs.i18n import Catalogs
from knowledge.locales import (
    DATA_DIR,
    LOCALES,
    LocaleData,
    calling_codes,
    country_locales,
    listed_locales,
    locale_data,
    native_digits,
)
from knowledge.normalize import Script
from knowledge.terms import LOCALE_SCRIPTS, document_term


@pytest.mark.parametrize("code", listed_locales())
def test_every_listed_locale_has_its_data(code: str) -> None:
    data = locale_data().get(code)
    assert data is not None, f"knowledge/locales/{code}.yaml is missing"
    assert data.emergency_words, "a person in danger must be understood in every language"
    assert all(is_emergency(word) for word in data.emergency_words)
    assert data.script is not Script.OTHER and LOCALE_SCRIPTS[code] is data.script
    assert len(data.digits) == 10
    # Search reduces a word of it somehow, or keeps it whole on purpose (Chinese bigrams).
    assert data.search.stemmer or data.search.prefix or data.script is Script.HAN
    # Its stemmer exists in the library search uses.
    assert document_term("a" * 12, code)
    assert all(country_locales()[country] == code for country in data.countries)


def test_the_lists_agree() -> None:
    assert set(LOCALES) == set(listed_locales()) == set(locale_data())
    assert set(Catalogs().locales) <= set(locale_data())


def test_each_script_has_a_locale_that_reads_stray_words_of_it() -> None:
    readers = [data.script for data in locale_data().values() if data.reads_its_script]
    assert len(readers) == len(set(readers))
    assert {Script.LATIN, Script.ARABIC, Script.CYRILLIC} <= set(readers)


def test_native_digits_and_country_hints_come_from_the_files() -> None:
    assert "١١٥".translate(native_digits()) == "115"
    assert "۱۱۵".translate(native_digits()) == "115"
    assert "১১৫".translate(native_digits()) == "115"
    assert "１１５".translate(native_digits()) == "115"
    assert calling_codes()["93"] == "AF" and country_locales()["AF"] == "fa"
    assert calling_codes()["880"] == "BD" and country_locales()["BD"] == "bn"


def test_a_broken_locale_file_is_refused(tmp_path: Path) -> None:
    good = (DATA_DIR / "en.yaml").read_text(encoding="utf-8")
    with pytest.raises(ValidationError):
        LocaleData.model_validate_json('{"code": "xx"}')
    (tmp_path / "en.yaml").write_text(good.replace('"0123456789"', '"0123456780"'), "utf-8")
    with pytest.raises(ValidationError):
        locale_data(tmp_path)
    (tmp_path / "en.yaml").write_text(good.replace("emergency_words:", "old_words:"), "utf-8")
    with pytest.raises(ValidationError):
        locale_data(tmp_path)
    (tmp_path / "en.yaml").unlink()
    (tmp_path / "xx.yaml").write_text(good, "utf-8")
    with pytest.raises(ValueError, match="file's name"):
        locale_data(tmp_path)
