"""The rules of an edit, on entries as the schema sees them: no database here.

A translation edited by a person becomes `reviewed` and remembers the French it was made
from; a change of the French makes every translation made from another text `outdated`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from knowledge.schema import SOURCE_LOCALE, EntryFile, Translation, TranslationStatus
from knowledge.views import TranslationEdit


class InvalidEdit(ValueError):
    """The edit would make an entry the schema refuses; the message says which field."""


def with_checked(entry: EntryFile, day: dt.date) -> EntryFile:
    """`entry` as a person who checked it against its sources on `day` leaves it."""
    return entry.model_copy(update={"checked": day})


def propagate_source_change(before: EntryFile | None, after: EntryFile) -> EntryFile:
    """When the French text changes, every translation made from another text is outdated."""
    if before is None or before.french_hash() == after.french_hash():
        return after
    current = after.french_hash()
    translations = {
        locale: (
            translation
            if locale == SOURCE_LOCALE
            or translation.source_hash == current
            or translation.status is TranslationStatus.OUTDATED
            else translation.model_copy(update={"status": TranslationStatus.OUTDATED})
        )
        for locale, translation in after.translations.items()
    }
    return after.model_copy(update={"translations": translations})


def with_translation_edit(
    entry: EntryFile, locale: str, edit: TranslationEdit, by: str
) -> EntryFile | None:
    """`entry` with `edit` applied to its `locale` translation; None when it changes nothing."""
    current = entry.translations.get(locale)
    values: dict[str, Any] = current.model_dump() if current is not None else {}
    for name, value in (
        ("title", edit.title),
        ("summary", edit.summary),
        ("body", edit.body),
        ("keywords", list(edit.keywords) if edit.keywords is not None else None),
    ):
        if value is not None:
            values[name] = value
    if edit.short_title is not None:
        values["short_title"] = edit.short_title or None
    values["status"], values["source_hash"] = _status_after_edit(entry, locale, edit)
    if current is not None:
        values["updated_by"] = current.updated_by
        if _translation(values, locale) == current:
            return None
    values["updated_by"] = by
    translations = {**entry.translations, locale: _translation(values, locale)}
    return _entry({**entry.model_dump(), "translations": translations})


def _status_after_edit(
    entry: EntryFile, locale: str, edit: TranslationEdit
) -> tuple[TranslationStatus, str | None]:
    if locale == SOURCE_LOCALE:
        if edit.status not in (None, TranslationStatus.SOURCE):
            raise InvalidEdit("the French text is the source: its status is always 'source'")
        return TranslationStatus.SOURCE, None
    if edit.status is TranslationStatus.SOURCE:
        raise InvalidEdit("only the French text is the source")
    return edit.status or TranslationStatus.REVIEWED, entry.french_hash()


def _translation(values: dict[str, Any], locale: str) -> Translation:
    try:
        return Translation.model_validate(values)
    except ValidationError as error:
        raise InvalidEdit(describe_invalid(error, prefix=f"translations.{locale}")) from None


def _entry(values: dict[str, Any]) -> EntryFile:
    try:
        return EntryFile.model_validate(values)
    except ValidationError as error:
        raise InvalidEdit(describe_invalid(error, prefix="")) from None


def describe_invalid(error: ValidationError, prefix: str) -> str:
    """One line per problem: `translations.en.summary: String should have at least 10...`."""
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in (prefix, *problem["loc"]) if part != "")
        message = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
