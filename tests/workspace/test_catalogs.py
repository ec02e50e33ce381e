"""The workspace's own catalogs (French and English) are complete and match the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.workspace.web import TRANSLATIONS, UI_LOCALES
from dialogs.i18n import Catalogs

PLACEHOLDER = re.compile(r"\{(\w+)\}")
ROOT = TRANSLATIONS.parent.parent.parent


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def test_french_and_english_are_bundled() -> None:
    assert set(Catalogs(TRANSLATIONS).locales) == set(UI_LOCALES) == {"fr", "en"}


@pytest.mark.parametrize("code", UI_LOCALES)
def test_every_message_is_translated_with_its_placeholders(code: str) -> None:
    catalog = _read(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", code)
    template = _read(TRANSLATIONS / "messages.pot")
    missing, wrong = [], []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None or not found.string or found.fuzzy:
            missing.append(message.id)
        elif set(PLACEHOLDER.findall(str(message.id))) != set(
            PLACEHOLDER.findall(str(found.string))
        ):
            wrong.append(message.id)
    assert not missing, f"{code} lacks {missing[:3]}"
    assert not wrong, f"{code}: placeholders differ in {wrong[:3]}"


def test_template_matches_the_code(tmp_path: Path) -> None:
    """A string added to a page without `make translations` would stay English."""
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [
            *(sys.executable, "-m", "babel.messages.frontend", "extract"),
            *("-F", str(ROOT / "bot" / "workspace" / "babel.cfg")),
            *("--no-default-keywords", "-k", "L_", "-k", "_"),
            *("--no-location", "-o", str(out), str(ROOT)),
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    fresh = {m.id for m in _read(out) if m.id}
    committed = {m.id for m in _read(TRANSLATIONS / "messages.pot") if m.id}
    assert fresh == committed, f"run `make translations`: new {fresh - committed}"
