"""Every interface catalog is complete, keeps the placeholders, and matches the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from dialogs.i18n import TRANSLATIONS_DIR, Catalogs, language_info

PLACEHOLDER = re.compile(r"\{(\w+)\}")
LOCALES = Catalogs().locales


def test_the_twelve_languages_are_bundled() -> None:
    assert set(LOCALES) >= {"fr", "en", "ar", "fa", "ps", "ti", "bn", "ur", "ff", "ro", "zh", "uk"}


def test_right_to_left_comes_from_cldr() -> None:
    assert {code for code in LOCALES if language_info(code).rtl} == {"ar", "fa", "ps", "ur"}


def _catalog(code: str) -> Catalog:
    with (TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


def _template() -> Catalog:
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("code", LOCALES)
def test_catalog_translates_every_message(code: str) -> None:
    catalog = _catalog(code)
    missing = []
    for message in _template():
        if not message.id:
            continue
        translated = catalog.get(message.id)
        strings = translated.string if translated else None
        values = strings if isinstance(strings, tuple) else (strings,)
        if translated is None or not all(values) or translated.fuzzy:
            missing.append(message.id)
    assert not missing, f"{code} lacks {len(missing)} messages, e.g. {missing[:3]}"


@pytest.mark.parametrize("code", LOCALES)
def test_translations_keep_the_placeholders(code: str) -> None:
    wrong = []
    for message in _catalog(code):
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else " ".join(message.id)
        target = message.string if isinstance(message.string, str) else " ".join(message.string)
        if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(target)):
            wrong.append(source)
    assert not wrong, f"{code}: placeholders differ in {wrong[:3]}"


def test_template_matches_the_code(tmp_path: Path) -> None:
    """A string added in code without `make translations` would silently stay English."""
    out = tmp_path / "fresh.pot"
    root = TRANSLATIONS_DIR.parent
    subprocess.run(
        [
            *(sys.executable, "-m", "babel.messages.frontend", "extract"),
            *("-F", str(TRANSLATIONS_DIR / "babel.cfg")),
            *("-k", "t", "-k", "N_", "-k", "plural:1,2"),
            *("--no-location", "-o", str(out), str(root)),
        ],
        check=True,
        cwd=root,
        capture_output=True,
    )
    with out.open("rb") as handle:
        fresh = {m.id for m in read_po(handle) if m.id}
    committed = {m.id for m in _template() if m.id}
    assert fresh == committed, (
        f"run `make translations`: new {fresh - committed}, gone {committed - fresh}"
    )
