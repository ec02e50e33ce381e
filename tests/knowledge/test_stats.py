"""`kb stats`: entries × locales × status."""

from __future__ import annotations

from pathlib import Path

from knowledge.schema import TranslationStatus
from knowledge.stats import coverage
from knowledge.store import KnowledgeStore
from knowledge.transfer import import_dir
from knowledge.views import TranslationEdit
from tests.knowledge.content import fixture_entries

LOCALES = ("fr", "en", "ar", "uk")


def test_coverage_counts_each_locale_by_status() -> None:
    report = coverage(fixture_entries(), locales=LOCALES)

    assert report.entries == 4
    french, english, arabic, ukrainian = report.locales
    assert (french.count(TranslationStatus.SOURCE), french.missing) == (4, 0)
    assert (english.count(TranslationStatus.REVIEWED), english.missing) == (4, 0)
    assert (arabic.count(TranslationStatus.MACHINE), arabic.missing) == (1, 3)
    assert (ukrainian.translated, ukrainian.missing) == (0, 4)


def test_coverage_has_a_row_per_entry() -> None:
    report = coverage(fixture_entries(), locales=LOCALES)

    rows = {row.slug: row.statuses for row in report.by_entry}
    assert report.locale_codes == LOCALES
    assert rows["health-ame"] == (
        TranslationStatus.SOURCE,
        TranslationStatus.REVIEWED,
        TranslationStatus.MACHINE,
        None,
    )


async def test_outdated_translations_are_counted_as_such(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    await store.update_translation("food-aid", "fr", TranslationEdit(title="Nouveau titre"), "lea")

    report = coverage(await store.documents(), locales=LOCALES)

    english = report.locales[1]
    assert english.count(TranslationStatus.OUTDATED) == 1
    assert english.count(TranslationStatus.REVIEWED) == 3
