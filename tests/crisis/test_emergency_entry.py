"""The emergency entry carries the crisis lines in every locale."""

from __future__ import annotations

import yaml

from knowledge.locales import DEFAULT_LOCALES
from knowledge.schema import EntryFile
from knowledge.search import CONTENT_DIR


def test_the_emergency_entry_carries_3114_and_the_walk_in_centre_in_every_locale() -> None:
    path = CONTENT_DIR / "emergency-numbers.yaml"
    entry = EntryFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert set(entry.translations) == set(DEFAULT_LOCALES)
    for locale, translation in entry.translations.items():
        assert "3114" in translation.body, locale
        assert "1 rue Cabanis" in translation.body, locale
        assert "3919" in translation.body and "119" in translation.body, locale
        if locale != "fr":
            assert translation.source_hash == entry.french_hash(), f"{locale} is up to date"
    assert "3114" in entry.translations["fr"].summary
