"""Between the knowledge tables and `EntryFile`: an entry is read and written whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select

from knowledge.locales import locale_order
from knowledge.models import (
    ChecklistItemRow,
    EntryRow,
    PlaceRow,
    RevisionRow,
    TranslationRow,
)
from knowledge.schema import ChecklistItem, EntryFile, Place, Translation
from knowledge.views import Revision, RevisionState


def document_of(row: EntryRow) -> EntryFile:
    """The entry a row holds, as the schema sees it."""
    translations = {t.locale: t for t in row.translations}
    return EntryFile.model_validate(
        {
            "slug": row.slug,
            "kind": row.kind,
            "tags": row.tags,
            "situations": row.situations,
            "topics": row.topics,
            "related": row.related,
            "sources": row.sources,
            "checked": row.checked,
            "review_due": row.review_due,
            "published": row.published,
            "checklist": [
                {"id": item.key, "labels": item.labels, "optional": item.optional}
                for item in row.checklist
            ],
            "places": [_place_data(place) for place in row.places],
            "translations": {
                locale: _translation_data(translations[locale])
                for locale in locale_order(translations)
            },
        }
    )


def _place_data(row: PlaceRow) -> dict[str, Any]:
    return {
        "id": row.key,
        "name": row.name,
        "address": row.address,
        "arrondissement": row.arrondissement,
        "postcode": row.postcode,
        "city": row.city,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "hours": row.hours,
        "phone": row.phone,
        "languages": row.languages,
        "access": row.access,
        "bookable": row.bookable,
    }


def _translation_data(row: TranslationRow) -> dict[str, Any]:
    return {
        "status": row.status,
        "title": row.title,
        "short_title": row.short_title,
        "summary": row.summary,
        "body": row.body,
        "keywords": row.keywords,
        "source_hash": row.source_hash,
        "updated_by": row.updated_by,
    }


def write_entry(row: EntryRow, entry: EntryFile, now: dt.datetime) -> None:
    row.kind = entry.kind.value
    row.tags = list(entry.tags)
    row.situations = [situation.value for situation in entry.situations]
    row.topics = [topic.value for topic in entry.topics]
    row.related = list(entry.related)
    row.sources = [source.model_dump(mode="json") for source in entry.sources]
    row.checked = entry.checked
    row.review_due = entry.review_due
    row.published = entry.published
    _write_translations(row, entry, now)
    _write_checklist(row, entry.checklist)
    _write_places(row, entry.places)


def _write_translations(row: EntryRow, entry: EntryFile, now: dt.datetime) -> None:
    # Rows are updated in place, keyed by locale: only a changed translation gets a new
    # updated_at, and replacing rows would trip the (entry, locale) unique constraint.
    existing = {translation.locale: translation for translation in row.translations}
    for locale, translation in entry.translations.items():
        target = existing.pop(locale, None)
        if target is not None and Translation.model_validate(_translation_data(target)) == (
            translation
        ):
            continue
        if target is None:
            target = TranslationRow(locale=locale)
            row.translations.append(target)
        target.status = translation.status.value
        target.title = translation.title
        target.short_title = translation.short_title
        target.summary = translation.summary
        target.body = translation.body
        target.keywords = list(translation.keywords)
        target.source_hash = translation.source_hash
        target.updated_by = translation.updated_by
        target.updated_at = now
    for gone in existing.values():
        row.translations.remove(gone)


def _write_checklist(row: EntryRow, items: Sequence[ChecklistItem]) -> None:
    existing = {item.key: item for item in row.checklist}
    kept: list[ChecklistItemRow] = []
    for position, item in enumerate(items):
        target = existing.pop(item.id, None) or ChecklistItemRow(key=item.id)
        target.position = position
        target.optional = item.optional
        target.labels = dict(item.labels)
        kept.append(target)
    row.checklist = kept


def _write_places(row: EntryRow, places: Sequence[Place]) -> None:
    existing = {place.key: place for place in row.places}
    kept: list[PlaceRow] = []
    for position, place in enumerate(places):
        target = existing.pop(place.id, None) or PlaceRow(key=place.id)
        target.position = position
        target.name = place.name
        target.address = place.address
        target.arrondissement = place.arrondissement
        target.postcode = place.postcode
        target.city = place.city
        target.latitude = place.latitude
        target.longitude = place.longitude
        target.hours = place.hours.model_dump(mode="json") if place.hours is not None else None
        target.phone = place.phone
        target.languages = list(place.languages)
        target.access = dict(place.access)
        target.bookable = place.bookable
        kept.append(target)
    row.places = kept


def revision_of(row: RevisionRow) -> Revision:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=dt.UTC)
    return Revision(
        id=row.id,
        slug=row.slug,
        locale=row.locale,
        action=row.action,
        state=RevisionState(row.state),
        at=at,
        by=row.by,
        before=EntryFile.model_validate(row.before) if row.before is not None else None,
        after=EntryFile.model_validate(row.after),
        note=row.note,
    )


def entries_query() -> Select[EntryRow]:
    return select(EntryRow).options(
        selectinload(EntryRow.translations),
        selectinload(EntryRow.checklist),
        selectinload(EntryRow.places),
    )
