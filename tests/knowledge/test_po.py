"""Translators' round trip: a PO per locale out, reviewed translations back in."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from knowledge.po import PoError, export_po, import_po, read_catalog, write_catalog
from knowledge.schema import TranslationStatus
from knowledge.store import KnowledgeStore
from knowledge.transfer import import_dir
from knowledge.views import TranslationEdit


@pytest.fixture
async def filled(store: KnowledgeStore, content_dir: Path) -> KnowledgeStore:
    await import_dir(store, content_dir)
    return store


def translate(catalog: Catalog, context: str, text: str, *, fuzzy: bool = False) -> None:
    message = next(m for m in catalog if m.context == context)
    message.string = text
    message.flags = {"fuzzy"} if fuzzy else set()


async def test_export_gives_french_ids_current_strings_and_status(
    filled: KnowledgeStore, tmp_path: Path
) -> None:
    path = await export_po(filled, "ar", tmp_path)

    catalog = read_catalog(path)
    messages = {m.context: m for m in catalog if m.id}
    assert str(catalog.locale) == "ar"
    summary = messages["health-ame|summary"]
    assert summary.id == "Ce qu'il faut savoir d'abord sur health-ame."
    assert summary.string == "What to know first about health-ame (ar)."
    assert summary.fuzzy, "a machine draft is fuzzy until someone reviews it"
    assert "status: machine" in summary.auto_comments
    assert messages["health-ame|checklist:photo-id"].id == "Pièce d'identité"
    assert messages["health-ame|keywords"].id == "health-ame\nmot clé"
    missing = messages["health-pass|title"]
    assert (missing.string, missing.fuzzy) == ("", False)
    assert "status: missing" in missing.auto_comments
    assert messages["health-pass|place:pass-hotel-dieu:access"].id == "Sans rendez-vous."


async def test_a_reviewed_po_marks_translations_reviewed(
    filled: KnowledgeStore, tmp_path: Path
) -> None:
    catalog = read_catalog(await export_po(filled, "ar", tmp_path))
    for message in catalog:
        if message.context and message.context.startswith("health-ame|"):
            message.flags = set()
    translate(catalog, "health-ame|title", "المساعدة الطبية الحكومية")
    translate(catalog, "health-ame|checklist:photo-id", "وثيقة هوية")
    translate(catalog, "health-ame|checklist:proof-3-months", "إثبات الإقامة 3 أشهر")
    translate(catalog, "health-ame|keywords", "ame\nالمساعدة الطبية\n")
    write_catalog(catalog, tmp_path / "ar.po")

    report = await import_po(filled, tmp_path / "ar.po", by="translator:amal")

    assert report.locale == "ar" and report.updated == ("health-ame",)
    shown = await filled.entry("health-ame", "ar")
    assert shown is not None
    assert (shown.title, shown.status) == ("المساعدة الطبية الحكومية", TranslationStatus.REVIEWED)
    assert shown.keywords == ("ame", "المساعدة الطبية")
    assert shown.checklist[1].label == "إثبات الإقامة 3 أشهر"
    last = (await filled.revisions("health-ame"))[-1]
    assert (last.action, last.by, last.locale) == ("po-import", "translator:amal", "ar")


async def test_a_fuzzy_entry_is_imported_as_a_machine_draft(
    filled: KnowledgeStore, tmp_path: Path
) -> None:
    catalog = read_catalog(await export_po(filled, "fa", tmp_path))
    translate(catalog, "food-aid|title", "کمک غذایی", fuzzy=True)
    translate(catalog, "food-aid|summary", "غذای رایگان در پاریس.")
    translate(catalog, "food-aid|body", "جزئیات اینجا.")
    write_catalog(catalog, tmp_path / "fa.po")

    report = await import_po(filled, tmp_path / "fa.po", by="translator")

    assert report.updated == ("food-aid",)
    shown = await filled.entry("food-aid", "fa")
    assert shown is not None and not shown.is_fallback
    assert (shown.title, shown.status) == ("کمک غذایی", TranslationStatus.MACHINE)


async def test_exporting_and_importing_unchanged_changes_nothing(
    filled: KnowledgeStore, tmp_path: Path
) -> None:
    path = await export_po(filled, "ar", tmp_path)

    report = await import_po(filled, path, by="translator")

    assert report.updated == ()
    assert set(report.unchanged) == {"food-aid", "health-ame", "health-pass", "internal-draft"}
    shown = await filled.entry("health-ame", "ar")
    assert shown is not None and shown.status is TranslationStatus.MACHINE


async def test_a_po_made_before_the_french_changed_comes_back_outdated(
    filled: KnowledgeStore, tmp_path: Path
) -> None:
    catalog = read_catalog(await export_po(filled, "en", tmp_path))
    await filled.update_translation(
        "food-aid", "fr", TranslationEdit(summary="Un nouveau texte français."), "lea"
    )
    outdated = await filled.entry("food-aid", "en")
    assert outdated is not None and outdated.status is TranslationStatus.OUTDATED
    translate(catalog, "food-aid|title", "Food aid")
    write_catalog(catalog, tmp_path / "en.po")

    report = await import_po(filled, tmp_path / "en.po", by="translator")

    assert report.outdated == ("food-aid",)
    shown = await filled.entry("food-aid", "en")
    assert shown is not None and (shown.title, shown.status) == ("Food aid", "outdated")
    fresh = read_catalog(await export_po(filled, "en", tmp_path))
    summary = next(m for m in fresh if m.context == "food-aid|summary")
    assert summary.id == "Un nouveau texte français." and summary.fuzzy


async def test_a_po_without_a_known_language_is_refused(
    filled: KnowledgeStore, tmp_path: Path
) -> None:
    path = tmp_path / "de.po"
    write_catalog(Catalog(locale="de"), path)
    with pytest.raises(PoError, match="not a locale"):
        await import_po(filled, path, by="translator")
    (tmp_path / "broken.po").write_text('msgid "a\nmsgstr "b"\n', encoding="utf-8")
    with pytest.raises(PoError):
        await import_po(filled, tmp_path / "broken.po", by="translator")
    with pytest.raises(PoError):
        await export_po(filled, "fr", tmp_path)


async def test_unknown_entries_and_invalid_text_are_skipped(
    filled: KnowledgeStore, tmp_path: Path
) -> None:
    catalog = read_catalog(await export_po(filled, "uk", tmp_path))
    catalog.add("Щось", "Щось", context="no-such-entry|title")
    translate(catalog, "food-aid|title", "Їжа")
    write_catalog(catalog, tmp_path / "uk.po")

    report = await import_po(filled, tmp_path / "uk.po", by="translator")

    skipped = {item.slug: item.reason for item in report.skipped}
    assert skipped["no-such-entry"] == "no such entry"
    assert "summary" in skipped["food-aid"], "a new translation needs its summary and body"
    assert await filled.entry("food-aid", "uk") is not None
    shown = await filled.entry("food-aid", "uk")
    assert shown is not None and shown.is_fallback
