"""Import is idempotent and never overwrites an agent's edit; import then export is identical."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from knowledge.canonical import dump_entry
from knowledge.loader import load_dir
from knowledge.store import KnowledgeStore
from knowledge.transfer import ensure_bundled, export_dir, format_dir, import_dir
from knowledge.views import RevisionState, TranslationEdit
from tests.knowledge.content import fixture_entries, make_entry, write_entries

ALL = ("food-aid", "health-ame", "health-pass", "internal-draft")


def differing_files(original: Path, copy: Path) -> list[str]:
    return [
        path.name
        for path in sorted(original.iterdir())
        if (copy / path.name).read_bytes() != path.read_bytes()
    ]


def rewrite(directory: Path, slug: str, old: str, new: str) -> None:
    path = directory / f"{slug}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def test_import_twice_creates_then_changes_nothing(
    store: KnowledgeStore, content_dir: Path
) -> None:
    first = await import_dir(store, content_dir)
    second = await import_dir(store, content_dir)

    assert first.created == ALL
    assert (first.updated, first.unchanged, first.conflicts) == ((), (), ())
    assert second.unchanged == ALL
    assert (second.created, second.updated, second.conflicts) == ((), (), ())
    assert [revision.action for revision in await store.revisions("food-aid")] == ["import"]


async def test_a_changed_file_updates_an_entry_no_agent_touched(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    rewrite(content_dir, "food-aid", "en title of food-aid", "Free meals in Paris")

    report = await import_dir(store, content_dir)

    assert report.updated == ("food-aid",)
    assert len(report.unchanged) == 3
    shown = await store.entry("food-aid", "en")
    assert shown is not None and shown.title == "Free meals in Paris"


async def test_an_agent_edit_is_never_overwritten_by_import(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    await store.update_translation(
        "food-aid", "en", TranslationEdit(title="Food aid, as the agent wrote it"), "agent:lea"
    )
    rewrite(content_dir, "food-aid", "en title of food-aid", "The file's new title")

    report = await import_dir(store, content_dir)
    again = await import_dir(store, content_dir)

    assert [conflict.slug for conflict in report.conflicts] == ["food-aid"]
    assert again.conflicts == report.conflicts, "the same pending revision, not a second one"
    shown = await store.entry("food-aid", "en")
    assert shown is not None and shown.title == "Food aid, as the agent wrote it"
    (pending,) = await store.pending_revisions()
    assert pending.id == report.conflicts[0].pending_revision
    assert pending.after.translations["en"].title == "The file's new title"
    assert pending.before is not None
    assert pending.before.translations["en"].title == "Food aid, as the agent wrote it"


async def test_restoring_the_pending_revision_applies_the_file(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    await store.update_translation("food-aid", "en", TranslationEdit(title="Agent's"), "lea")
    rewrite(content_dir, "food-aid", "en title of food-aid", "The file's new title")
    (conflict,) = (await import_dir(store, content_dir)).conflicts

    restored = await store.restore(conflict.pending_revision, "agent:sam")

    assert restored is not None and restored.by == "agent:sam"
    shown = await store.entry("food-aid", "en")
    assert shown is not None and shown.title == "The file's new title"
    accepted = await store.revision(conflict.pending_revision)
    assert accepted is not None and accepted.state is RevisionState.ACCEPTED
    assert (await import_dir(store, content_dir)).unchanged == ALL


async def test_a_dismissed_file_version_is_not_reported_again(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    await store.update_translation("food-aid", "en", TranslationEdit(title="Agent's"), "lea")
    rewrite(content_dir, "food-aid", "en title of food-aid", "The file's new title")
    (conflict,) = (await import_dir(store, content_dir)).conflicts

    await store.dismiss(conflict.pending_revision, "lea")

    assert (await import_dir(store, content_dir)).conflicts == ()
    assert await store.pending_revisions() == []
    shown = await store.entry("food-aid", "en")
    assert shown is not None and shown.title == "Agent's"


async def test_an_unchanged_file_leaves_the_agent_edit_quietly(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    await store.update_translation("food-aid", "en", TranslationEdit(title="Agent's"), "lea")

    report = await import_dir(store, content_dir)

    assert report.unchanged == ALL
    shown = await store.entry("food-aid", "en")
    assert shown is not None and shown.title == "Agent's"


async def test_an_entry_created_in_the_database_conflicts_with_a_different_file(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await store.save_entry(make_entry("food-aid", kind="service"), "agent:lea")

    report = await import_dir(store, content_dir)

    assert [conflict.slug for conflict in report.conflicts] == ["food-aid"]


async def test_import_then_export_gives_the_same_bytes(
    store: KnowledgeStore, content_dir: Path, tmp_path: Path
) -> None:
    await import_dir(store, content_dir)

    exported = tmp_path / "exported"
    report = await export_dir(store, exported)

    assert sorted(report.written) == list(ALL)
    assert differing_files(content_dir, exported) == []
    again = await export_dir(store, exported)
    assert sorted(again.unchanged) == list(ALL) and again.written == ()


async def test_hand_written_files_reach_a_fixed_point(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "food-aid.yaml").write_text(
        "slug: food-aid\n"
        "kind: service\n"
        "sources:\n- {title: 'Mairie de Paris', checked: 2026-11-01}\n"
        "review_due: 2027-11-01\n"
        "published: true\n"
        "translations:\n"
        "  fr:\n"
        "    status: source\n"
        '    title: "Aide alimentaire"\n'
        "    summary: >\n"
        "      Des repas gratuits\n"
        "      chaque jour.\n"
        '    body: "Premier paragraphe.\\n\\nSecond : avec « guillemets »."\n'
        "    keywords: ['manger', 'repas', 'resto du coeur']\n",
        encoding="utf-8",
    )
    await import_dir(store, hand)
    first = tmp_path / "first"
    await export_dir(store, first)

    assert load_dir(first) == load_dir(hand)
    assert (await import_dir(store, first)).unchanged == ("food-aid",)
    second = tmp_path / "second"
    await export_dir(store, second)
    assert (second / "food-aid.yaml").read_bytes() == (first / "food-aid.yaml").read_bytes()
    assert format_dir(hand) == ("food-aid",) and format_dir(hand) == ()


async def test_export_names_files_that_match_no_entry(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    (content_dir / "old-entry.yaml").write_text("slug: old-entry\n", encoding="utf-8")

    report = await export_dir(store, content_dir)

    assert report.strays == ("old-entry.yaml",)
    assert sorted(report.unchanged) == list(ALL)


async def test_bundled_content_is_imported_only_into_an_empty_base(
    store: KnowledgeStore, content_dir: Path
) -> None:
    first = await ensure_bundled(store, content_dir)
    second = await ensure_bundled(store, content_dir)

    assert first is not None and first.created == ALL
    assert second is None


async def test_workers_starting_together_import_the_bundle_once(
    store: KnowledgeStore, content_dir: Path
) -> None:
    reports = await asyncio.gather(*(ensure_bundled(store, content_dir) for _ in range(3)))

    assert sum(1 for report in reports if report is not None) == 1
    assert len(await store.documents()) == len(ALL)
    for slug in ALL:
        assert len(await store.revisions(slug)) == 1


async def test_an_update_that_changes_the_french_outdates_the_translations(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    rewrite(content_dir, "health-ame", "Titre de health-ame", "Nouveau titre de l'AME")

    await import_dir(store, content_dir)

    shown = await store.entry("health-ame", "en")
    assert shown is not None and shown.status == "outdated"


def test_the_fixture_files_are_canonical(content_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(content_dir, copy)
    assert format_dir(copy) == ()
    assert all(
        (copy / f"{entry.slug}.yaml").read_text(encoding="utf-8") == dump_entry(entry)
        for entry in fixture_entries()
    )


async def test_a_new_entry_in_the_files_is_created_beside_the_others(
    store: KnowledgeStore, content_dir: Path
) -> None:
    await import_dir(store, content_dir)
    write_entries(content_dir, [make_entry("bank-account", kind="procedure")])

    report = await import_dir(store, content_dir)

    assert report.created == ("bank-account",)
    assert len(report.unchanged) == len(ALL)
