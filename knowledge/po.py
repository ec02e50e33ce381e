"""Translators' round trip through gettext PO files, so Poedit or Weblate can be used.

One catalog per locale. Each message is one field of one entry: its context is
`slug|field` (`health-ame|summary`, `health-ame|checklist:photo-id`,
`health-pass|place:pass-hotel-dieu:access`), its id the French text, its string the
current translation. Machine drafts and outdated translations are marked fuzzy.

Importing a catalog writes each entry it translates: `reviewed` when every message of
the entry is translated and none is fuzzy, else `machine`; `outdated` when the French the
translator saw is no longer the French of the entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po
from pydantic import ValidationError

from knowledge.edits import InvalidEdit, describe_invalid
from knowledge.locales import LOCALES
from knowledge.schema import (
    SOURCE_LOCALE,
    EntryFile,
    Translation,
    TranslationStatus,
    effective_status,
    text_hash,
)
from knowledge.store import Action, KnowledgeStore, KnowledgeUnit

PROJECT = "Passerelle knowledge base"
TEXT_FIELDS = ("title", "short_title", "summary", "body")
KEYWORDS = "keywords"
CHECKLIST_PREFIX = "checklist:"
PLACE_PREFIX = "place:"
ACCESS_SUFFIX = ":access"
KEYWORDS_HINT = (
    "keywords: one per line, as people type them in this language "
    "(colloquial forms, common misspellings, the French words met at desks)"
)
FUZZY = "fuzzy"


class PoError(ValueError):
    """The catalog cannot be imported (unreadable, no language, French...)."""


@dataclass(frozen=True)
class Skipped:
    slug: str
    reason: str


@dataclass(frozen=True)
class PoImportReport:
    locale: str
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    #: Imported, but translated from a French text that has changed since: to be redone.
    outdated: tuple[str, ...]
    skipped: tuple[Skipped, ...]


def context(slug: str, part: str) -> str:
    return f"{slug}|{part}"


def _access_part(place_id: str) -> str:
    return f"{PLACE_PREFIX}{place_id}{ACCESS_SUFFIX}"


# -- export -----------------------------------------------------------------------------


def catalog_for(entries: Iterable[EntryFile], locale: str) -> Catalog:
    """A catalog of every entry's French text and its `locale` translation."""
    catalog = Catalog(locale=locale, project=PROJECT, fuzzy=False)
    for entry in entries:
        for message in _messages(entry, locale):
            catalog[message.id] = message
    return catalog


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        write_po(stream, catalog, width=0, sort_output=False)


async def export_po(store: KnowledgeStore, locale: str, directory: Path) -> Path:
    """Write `<directory>/<locale>.po` for the translators of `locale`."""
    if locale == SOURCE_LOCALE:
        raise PoError("French is the source: there is nothing to translate it into")
    path = directory / f"{locale}.po"
    catalog = catalog_for(await store.documents(), locale)
    await asyncio.to_thread(write_catalog, catalog, path)
    return path


def _messages(entry: EntryFile, locale: str) -> Iterator[Message]:
    french = entry.french()
    translation = entry.translations.get(locale)
    status = effective_status(translation, entry.french_hash()) if translation else None
    flags = (FUZZY,) if status in (TranslationStatus.MACHINE, TranslationStatus.OUTDATED) else ()
    note = f"status: {status.value if status else 'missing'}"

    def message(part: str, source: str, target: str | None, *comments: str) -> Message:
        return Message(
            source,
            target or "",
            context=context(entry.slug, part),
            flags=flags if target else (),
            auto_comments=[note, *comments],
        )

    for name in TEXT_FIELDS:
        source = getattr(french, name)
        if source:
            yield message(name, source, getattr(translation, name, None))
    if french.keywords:
        target = "\n".join(translation.keywords) if translation else None
        yield message(KEYWORDS, "\n".join(french.keywords), target, KEYWORDS_HINT)
    for item in entry.checklist:
        yield message(
            f"{CHECKLIST_PREFIX}{item.id}",
            item.labels[SOURCE_LOCALE],
            item.labels.get(locale),
            "a document to bring" + (" (only for some people)" if item.optional else ""),
        )
    for place in entry.places:
        if SOURCE_LOCALE in place.access:
            yield message(
                _access_part(place.id),
                place.access[SOURCE_LOCALE],
                place.access.get(locale),
                f"who may come to {place.name}, and how",
            )


# -- import -----------------------------------------------------------------------------


def read_catalog(path: Path) -> Catalog:
    try:
        with path.open("rb") as stream:
            return read_po(stream, abort_invalid=True)
    except (PoFileError, UnknownLocaleError, UnicodeDecodeError) as error:
        raise PoError(f"{path}: not a readable PO file: {error}") from None


def catalog_locale(catalog: Catalog, locales: Iterable[str] = LOCALES) -> str:
    if catalog.locale is None:
        raise PoError("the catalog does not say its language (the 'Language' header)")
    known = set(locales)
    for candidate in (str(catalog.locale), catalog.locale.language):
        if candidate in known and candidate != SOURCE_LOCALE:
            return candidate
    raise PoError(f"{catalog.locale} is not a locale the knowledge base is translated into")


async def import_po(store: KnowledgeStore, path: Path, *, by: str) -> PoImportReport:
    """Write the translations of a PO file, one revision per entry it changes."""
    catalog = await asyncio.to_thread(read_catalog, path)
    return await import_catalog(store, catalog, catalog_locale(catalog), by=by)


async def import_catalog(
    store: KnowledgeStore, catalog: Catalog, locale: str, *, by: str
) -> PoImportReport:
    report = _ReportBuilder(locale)
    async with store.unit() as unit:
        for slug, messages in _by_entry(catalog).items():
            await _import_entry(unit, slug, messages, locale, by, report)
    return report.build()


@dataclass
class _ReportBuilder:
    locale: str
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    outdated: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def build(self) -> PoImportReport:
        return PoImportReport(
            locale=self.locale,
            updated=tuple(self.updated),
            unchanged=tuple(self.unchanged),
            outdated=tuple(self.outdated),
            skipped=tuple(self.skipped),
        )


def _by_entry(catalog: Catalog) -> dict[str, dict[str, Message]]:
    entries: dict[str, dict[str, Message]] = {}
    for message in catalog:
        if not message.id or not message.context or "|" not in message.context:
            continue
        slug, part = message.context.split("|", 1)
        entries.setdefault(slug, {})[part] = message
    return entries


async def _import_entry(
    unit: KnowledgeUnit,
    slug: str,
    messages: dict[str, Message],
    locale: str,
    by: str,
    report: _ReportBuilder,
) -> None:
    stored = await unit.stored(slug, lock=True)
    if stored is None:
        report.skipped.append(Skipped(slug, "no such entry"))
        return
    if not any(_text(message) for message in messages.values()):
        report.unchanged.append(slug)
        return
    try:
        translated = translated_entry(stored.document, messages, locale, by)
    except InvalidEdit as error:
        report.skipped.append(Skipped(slug, str(error)))
        return
    revision = await unit.save(stored, translated, by=by, action=Action.PO_IMPORT, locale=locale)
    (report.updated if revision is not None else report.unchanged).append(slug)
    if translated.translations[locale].status is TranslationStatus.OUTDATED:
        report.outdated.append(slug)


def translated_entry(
    entry: EntryFile, messages: dict[str, Message], locale: str, by: str
) -> EntryFile:
    """`entry` with the `locale` translation the messages give (unchanged fields kept)."""
    current = entry.translations.get(locale)
    values: dict[str, Any] = current.model_dump() if current is not None else {}
    for name in TEXT_FIELDS:
        text = _text(messages.get(name))
        if text:
            values[name] = text
    keywords = _text(messages.get(KEYWORDS))
    if keywords:
        values[KEYWORDS] = [line.strip() for line in keywords.splitlines() if line.strip()]
    values["source_hash"] = _translated_from(entry, messages)
    values["status"] = _status(entry, messages, values["source_hash"])
    values["updated_by"] = current.updated_by if current is not None else None
    data = entry.model_dump()
    data["checklist"] = [
        _with_label(item, _text(messages.get(f"{CHECKLIST_PREFIX}{item['id']}")), locale)
        for item in data["checklist"]
    ]
    data["places"] = [
        _with_access(place, _text(messages.get(_access_part(place["id"]))), locale)
        for place in data["places"]
    ]
    try:
        translation = Translation.model_validate(values)
    except ValidationError as error:
        raise _incomplete(
            locale, describe_invalid(error, prefix=f"translations.{locale}")
        ) from None
    try:
        unchanged = EntryFile.model_validate(
            {**data, "translations": {**entry.translations, locale: translation}}
        )
    except ValidationError as error:
        raise _incomplete(locale, describe_invalid(error, prefix="")) from None
    if unchanged == entry:
        return entry
    translation = translation.model_copy(update={"updated_by": by})
    return unchanged.model_copy(
        update={"translations": {**unchanged.translations, locale: translation}}
    )


def _incomplete(locale: str, problems: str) -> InvalidEdit:
    return InvalidEdit(f"incomplete or invalid {locale} translation: {problems}")


def _translated_from(entry: EntryFile, messages: dict[str, Message]) -> str:
    """The `source_hash` of the French the translator saw (the catalog's message ids)."""
    french = entry.french()
    seen = {
        name: (messages[name].id if name in messages else getattr(french, name))
        for name in ("title", "summary", "body")
    }
    return text_hash(str(seen["title"]), str(seen["summary"]), str(seen["body"]))


def _status(
    entry: EntryFile, messages: dict[str, Message], translated_from: str
) -> TranslationStatus:
    if translated_from != entry.french_hash():
        return TranslationStatus.OUTDATED
    complete = all(_text(message) and not message.fuzzy for message in messages.values())
    return TranslationStatus.REVIEWED if complete else TranslationStatus.MACHINE


def _text(message: Message | None) -> str:
    """The translation a message gives, as written; "" when it gives none."""
    if message is None or not isinstance(message.string, str) or not message.string.strip():
        return ""
    return message.string


def _with_label(item: dict[str, Any], label: str, locale: str) -> dict[str, Any]:
    return {**item, "labels": {**item["labels"], locale: label}} if label else item


def _with_access(place: dict[str, Any], access: str, locale: str) -> dict[str, Any]:
    return {**place, "access": {**place["access"], locale: access}} if access else place
