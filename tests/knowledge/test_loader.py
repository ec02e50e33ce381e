"""A bad entry file is reported with its file, line and field; nothing is half-imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loader import ContentError, ContentErrors, load_dir, read_dir
from knowledge.store import KnowledgeStore
from knowledge.transfer import import_dir


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def line_number(path: Path, text: str, after: int = 0) -> int:
    """1-based number of the first line holding `text`, after line `after`."""
    for number, line in enumerate(lines_of(path), start=1):
        if number > after and text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def only_error(directory: Path) -> ContentError:
    content = read_dir(directory)
    assert len(content.errors) == 1, content.errors
    return content.errors[0]


def test_the_fixture_content_loads(content_dir: Path) -> None:
    entries = load_dir(content_dir)
    assert [entry.slug for entry in entries] == [
        "food-aid",
        "health-ame",
        "health-pass",
        "internal-draft",
    ]


def test_a_field_too_long_names_file_line_and_field(content_dir: Path) -> None:
    path = content_dir / "health-pass.yaml"
    replace_in(path, "short_title: en short", "short_title: a label far too long for a button")

    error = only_error(content_dir)

    assert error.path == path
    assert error.field == "translations.en.short_title"
    assert error.line == line_number(path, "short_title: a label far too long")
    assert "at most 20 characters" in error.message
    assert str(error).startswith(f"{path}:{error.line}: translations.en.short_title: ")


def test_a_wrong_value_in_a_list_item_names_its_index(content_dir: Path) -> None:
    path = content_dir / "health-pass.yaml"
    replace_in(path, "mo: ['09:00-12:00']", "mo: ['9h-12h']")

    error = only_error(content_dir)

    assert error.field == "places[0].hours.weekly"
    assert "is not HH:MM-HH:MM" in error.message
    assert error.line == line_number(path, "weekly:")


def test_a_missing_field_points_at_its_parent(content_dir: Path) -> None:
    path = content_dir / "food-aid.yaml"
    replace_in(path, "    body: The details about food-aid (en).\n", "")

    error = only_error(content_dir)

    assert error.field == "translations.en.body"
    assert error.message == "Field required"
    assert error.line == line_number(path, "  en:")


def test_an_entry_without_french_is_refused(content_dir: Path) -> None:
    path = content_dir / "food-aid.yaml"
    replace_in(path, "  fr:\n    status: source", "  ro:\n    status: machine")

    error = only_error(content_dir)

    assert "French source translation" in error.message
    assert error.line == 1


def test_broken_yaml_gives_the_line(content_dir: Path) -> None:
    path = content_dir / "food-aid.yaml"
    replace_in(path, "kind: service", "kind: [service")

    error = only_error(content_dir)

    assert error.message.startswith("not valid YAML")
    assert error.line is not None and error.line >= line_number(path, "kind: [service")


def test_a_key_written_twice_is_an_error(content_dir: Path) -> None:
    path = content_dir / "food-aid.yaml"
    replace_in(path, "kind: service\n", "kind: service\nkind: faq\n")

    error = only_error(content_dir)

    assert (error.field, error.line) == ("kind", line_number(path, "kind: faq"))


def test_the_file_name_is_the_slug(content_dir: Path) -> None:
    (content_dir / "food-aid.yaml").rename(content_dir / "food.yaml")

    error = only_error(content_dir)

    assert error.field == "slug"
    assert "food-aid.yaml" in error.message


def test_repeated_checklist_ids_are_refused(content_dir: Path) -> None:
    path = content_dir / "health-ame.yaml"
    replace_in(path, "id: proof-3-months", "id: photo-id")

    error = only_error(content_dir)

    assert error.field == "checklist"
    assert "photo-id" in error.message


async def test_errors_of_every_file_are_collected_and_nothing_is_imported(
    content_dir: Path, store: KnowledgeStore
) -> None:
    replace_in(content_dir / "food-aid.yaml", "kind: service", "kind: shop")
    replace_in(content_dir / "health-pass.yaml", "arrondissement: 4", "arrondissement: 21")

    with pytest.raises(ContentErrors) as raised:
        await import_dir(store, content_dir)

    assert {(error.path.name, error.field) for error in raised.value.errors} == {
        ("food-aid.yaml", "kind"),
        ("health-pass.yaml", "places[0].arrondissement"),
    }
    assert await store.is_empty()
