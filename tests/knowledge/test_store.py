"""What the journeys read, and how agents' edits are kept: revisions, outdated, restore."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from knowledge.documents import SearchDocument
from knowledge.schema import Kind, Situation, Topic, TranslationStatus
from knowledge.store import InvalidEdit, KnowledgeStore, StaleEdit, UnknownEntry
from knowledge.transfer import import_dir
from knowledge.views import TranslationEdit
from tests.knowledge.content import CHECKED, REVIEW_DUE, fixture_entries


@pytest.fixture
async def filled(store: KnowledgeStore, content_dir: Path) -> KnowledgeStore:
    await import_dir(store, content_dir)
    return store


async def test_an_entry_in_the_readers_locale(filled: KnowledgeStore) -> None:
    shown = await filled.entry("health-ame", "en")

    assert shown is not None
    assert (shown.title, shown.label, shown.kind) == (
        "en title of health-ame",
        "en short",
        Kind.PROCEDURE,
    )
    assert (shown.shown_locale, shown.is_fallback, shown.status) == ("en", False, "reviewed")
    assert shown.last_checked == CHECKED and shown.review_due == REVIEW_DUE
    assert not shown.review_overdue(dt.date(2027, 1, 1))
    assert shown.situations == (Situation.UNDOCUMENTED, Situation.REJECTED_ASYLUM)
    assert shown.related == ("health-pass",)
    assert [
        (line.id, line.label, line.french_label, line.optional) for line in shown.checklist
    ] == [
        ("photo-id", "ID document", "Pièce d'identité", False),
        ("proof-3-months", "Preuve de 3 mois", "Preuve de 3 mois", True),
    ]
    assert shown.checklist[1].is_fallback
    assert shown.sources[0].title == "Source for health-ame"


async def test_a_missing_locale_falls_back_to_french_and_says_so(
    filled: KnowledgeStore,
) -> None:
    shown = await filled.entry("health-pass", "ti")

    assert shown is not None
    assert (shown.locale, shown.shown_locale, shown.is_fallback) == ("ti", "fr", True)
    assert shown.title == "Titre de health-pass" and shown.status == "source"
    (place,) = shown.places
    assert place.access == "Sans rendez-vous."
    assert place.hours is not None and place.hours.weekly
    assert (place.arrondissement, place.latitude) == (4, 48.8538)


async def test_a_machine_draft_is_labelled(filled: KnowledgeStore) -> None:
    shown = await filled.entry("health-ame", "ar")

    assert shown is not None
    assert shown.status is TranslationStatus.MACHINE and shown.needs_review_label


async def test_entries_filter_and_hide_unpublished(filled: KnowledgeStore) -> None:
    async def slugs(**filters: Kind | Situation | Topic) -> list[str]:
        return [entry.slug for entry in await filled.entries("en", **filters)]  # type: ignore[arg-type]

    assert await slugs() == ["food-aid", "health-ame", "health-pass"]
    assert await slugs(kind=Kind.SERVICE) == ["food-aid", "health-pass"]
    assert await slugs(topic=Topic.HEALTH) == ["health-ame", "health-pass"]
    # An entry for everyone (no situations) belongs to every situation.
    assert await slugs(situation=Situation.REFUGEE) == ["food-aid", "health-pass"]
    assert await filled.entry("internal-draft", "fr") is None
    assert await filled.entry("internal-draft", "fr", include_unpublished=True) is not None
    assert await filled.entry("no-such-entry", "fr") is None


async def test_search_documents_are_one_per_published_translation(
    filled: KnowledgeStore,
) -> None:
    documents = await filled.search_documents()

    assert {(d.slug, d.locale) for d in documents} == {
        ("food-aid", "en"),
        ("food-aid", "fr"),
        ("health-ame", "ar"),
        ("health-ame", "en"),
        ("health-ame", "fr"),
        ("health-pass", "en"),
        ("health-pass", "fr"),
    }
    french = next(d for d in documents if (d.slug, d.locale) == ("health-ame", "fr"))
    assert french == SearchDocument(
        slug="health-ame",
        locale="fr",
        title="Titre de health-ame",
        summary="Ce qu'il faut savoir d'abord sur health-ame.",
        body="Les détails sur health-ame.\n\nUn deuxième paragraphe.",
        keywords=("health-ame", "mot clé"),
        kind="procedure",
    )


async def test_search_documents_match_those_the_search_builds_from_files(
    filled: KnowledgeStore,
) -> None:
    search = pytest.importorskip("knowledge.search")

    from_files = search.documents_from_entries(fixture_entries())

    assert sorted(await filled.search_documents(), key=repr) == sorted(from_files, key=repr)


async def test_an_edit_records_who_when_before_and_after(filled: KnowledgeStore) -> None:
    revision = await filled.update_translation(
        "health-ame", "ar", TranslationEdit(summary="ملخص راجعه شخص"), "agent:lea"
    )

    assert revision is not None
    assert (revision.slug, revision.locale, revision.by, revision.action) == (
        "health-ame",
        "ar",
        "agent:lea",
        "edit",
    )
    assert revision.at.tzinfo is not None
    assert revision.before is not None
    assert revision.before.translations["ar"].status is TranslationStatus.MACHINE
    after = revision.after.translations["ar"]
    assert (after.summary, after.status, after.updated_by) == (
        "ملخص راجعه شخص",
        TranslationStatus.REVIEWED,
        "agent:lea",
    )
    shown = await filled.entry("health-ame", "ar")
    assert shown is not None and shown.summary == "ملخص راجعه شخص"
    assert shown.status is TranslationStatus.REVIEWED
    assert [r.action for r in await filled.revisions("health-ame")] == ["import", "edit"]


async def test_an_edit_that_changes_nothing_records_nothing(filled: KnowledgeStore) -> None:
    edit = TranslationEdit(title="en title of health-ame")

    assert await filled.update_translation("health-ame", "en", edit, "lea") is None
    assert len(await filled.revisions("health-ame")) == 1


async def test_changing_the_french_outdates_every_other_locale(filled: KnowledgeStore) -> None:
    await filled.update_translation(
        "health-ame", "fr", TranslationEdit(summary="Depuis février 2026, une photo."), "lea"
    )

    english = await filled.entry("health-ame", "en")
    arabic = await filled.entry("health-ame", "ar")
    french = await filled.entry("health-ame", "fr")
    assert english is not None and english.status is TranslationStatus.OUTDATED
    assert arabic is not None and arabic.status is TranslationStatus.OUTDATED
    assert french is not None and french.status is TranslationStatus.SOURCE
    document = await filled.document("health-ame")
    assert document is not None
    assert document.translations["en"].status is TranslationStatus.OUTDATED

    await filled.update_translation(
        "health-ame", "en", TranslationEdit(summary="Since February 2026, a photo."), "sam"
    )
    english = await filled.entry("health-ame", "en")
    assert english is not None and english.status is TranslationStatus.REVIEWED


async def test_keywords_alone_do_not_outdate_translations(filled: KnowledgeStore) -> None:
    await filled.update_translation(
        "health-ame", "fr", TranslationEdit(keywords=("ame", "aide medicale")), "lea"
    )

    english = await filled.entry("health-ame", "en")
    assert english is not None and english.status is TranslationStatus.REVIEWED


async def test_a_new_translation_needs_its_text(filled: KnowledgeStore) -> None:
    with pytest.raises(InvalidEdit, match=r"translations\.uk\.summary"):
        await filled.update_translation("food-aid", "uk", TranslationEdit(title="Їжа"), "lea")

    created = await filled.update_translation(
        "food-aid",
        "uk",
        TranslationEdit(title="Їжа", summary="Безкоштовна їжа в Парижі.", body="Подробиці тут."),
        "lea",
    )
    assert created is not None
    shown = await filled.entry("food-aid", "uk")
    assert shown is not None and not shown.is_fallback and shown.status == "reviewed"


async def test_an_invalid_edit_writes_nothing(filled: KnowledgeStore) -> None:
    with pytest.raises(InvalidEdit, match="short_title"):
        await filled.update_translation(
            "food-aid", "en", TranslationEdit(short_title="far too long for a button"), "lea"
        )
    with pytest.raises(InvalidEdit, match="source"):
        await filled.update_translation(
            "food-aid", "en", TranslationEdit(status=TranslationStatus.SOURCE), "lea"
        )
    with pytest.raises(UnknownEntry):
        await filled.update_translation("nothing", "en", TranslationEdit(title="x y"), "lea")
    assert len(await filled.revisions("food-aid")) == 1


async def test_an_edit_made_on_an_older_version_is_refused(filled: KnowledgeStore) -> None:
    shown = await filled.entry("food-aid", "en")
    assert shown is not None
    await filled.update_translation(
        "food-aid", "en", TranslationEdit(title="First agent"), "lea", base_version=shown.version
    )

    with pytest.raises(StaleEdit):
        await filled.update_translation(
            "food-aid",
            "en",
            TranslationEdit(title="Second agent"),
            "sam",
            base_version=shown.version,
        )
    current = await filled.entry("food-aid", "en")
    assert current is not None and current.title == "First agent"


async def test_any_revision_can_be_restored(filled: KnowledgeStore) -> None:
    await filled.update_translation("food-aid", "en", TranslationEdit(title="Second"), "lea")
    await filled.update_translation("food-aid", "en", TranslationEdit(title="Third"), "sam")
    imported, second, _third = await filled.revisions("food-aid")

    restored = await filled.restore(imported.id, "agent:kim")

    shown = await filled.entry("food-aid", "en")
    assert shown is not None and shown.title == "en title of food-aid"
    assert restored is not None and restored.action == "restore" and restored.by == "agent:kim"
    assert restored.before is not None and restored.before.translations["en"].title == "Third"
    await filled.restore(second.id, "agent:kim")
    shown = await filled.entry("food-aid", "en")
    assert shown is not None and shown.title == "Second"
    assert await filled.restore(second.id, "agent:kim") is None


async def test_restoring_an_older_french_outdates_newer_translations(
    filled: KnowledgeStore,
) -> None:
    (imported,) = await filled.revisions("health-ame")
    await filled.update_translation("health-ame", "fr", TranslationEdit(title="Nouveau"), "lea")
    await filled.update_translation("health-ame", "en", TranslationEdit(title="New"), "sam")

    await filled.restore(imported.id, "lea")

    english = await filled.entry("health-ame", "en")
    assert english is not None
    assert (english.title, english.status) == ("en title of health-ame", "reviewed")


async def test_a_whole_entry_can_be_saved(filled: KnowledgeStore) -> None:
    document = await filled.document("health-pass")
    assert document is not None
    moved = document.model_copy(update={"review_due": dt.date(2027, 2, 1)})

    revision = await filled.save_entry(moved, "agent:lea")

    assert revision is not None and revision.locale is None
    shown = await filled.entry("health-pass", "en")
    assert shown is not None and shown.review_due == dt.date(2027, 2, 1)
    assert await filled.save_entry(moved, "agent:lea") is None


async def test_agents_editing_at_once_lose_nothing(filled: KnowledgeStore) -> None:
    async def edit(locale: str, title: str, by: str) -> None:
        await filled.update_translation("health-ame", locale, TranslationEdit(title=title), by)

    await asyncio.gather(
        edit("en", "English by Lea", "lea"),
        edit("ar", "عنوان من سام", "sam"),
        edit("en", "English by Kim", "kim"),
    )

    imported, *edits = await filled.revisions("health-ame")
    assert len(edits) == 3
    for earlier, later in zip([imported, *edits], edits, strict=False):
        assert later.before == earlier.after, "each edit is made on the one before it"
    document = await filled.document("health-ame")
    assert document == edits[-1].after
    assert document is not None and document.translations["ar"].title == "عنوان من سام"
