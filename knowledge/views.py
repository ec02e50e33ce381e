"""What the knowledge store hands out and takes in: typed, frozen, no database objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from knowledge.schema import (
    SOURCE_LOCALE,
    ChecklistItem,
    EntryFile,
    Kind,
    OpeningHours,
    Place,
    Situation,
    Source,
    Topic,
    TranslationStatus,
    effective_status,
)


@dataclass(frozen=True)
class ChecklistLine:
    id: str
    #: In the reader's locale, or French when that label is not translated.
    label: str
    #: Always there, for showing at a desk.
    french_label: str
    optional: bool
    is_fallback: bool


@dataclass(frozen=True)
class PlaceView:
    id: str
    name: str
    address: str | None
    arrondissement: int | None
    postcode: str | None
    city: str
    latitude: float | None
    longitude: float | None
    hours: OpeningHours | None
    phone: str | None
    languages: tuple[str, ...]
    #: Who may come and how, in the reader's locale or French.
    access: str | None
    bookable: bool


@dataclass(frozen=True)
class LocalizedEntry:
    """One entry as a reader of `locale` sees it."""

    slug: str
    kind: Kind
    #: The locale asked for.
    locale: str
    #: The locale of the text shown: `locale`, or French when it has no translation.
    shown_locale: str
    is_fallback: bool
    #: Of the shown text: a machine draft or an outdated translation is labelled as such.
    status: TranslationStatus
    title: str
    short_title: str | None
    summary: str
    body: str
    keywords: tuple[str, ...]
    #: When a person last checked the entry against its sources.
    last_checked: dt.date
    #: The year of the oldest source, when before 2024: shown beside `last_checked`.
    old_source_year: int | None
    review_due: dt.date
    situations: tuple[Situation, ...]
    topics: tuple[Topic, ...]
    related: tuple[str, ...]
    checklist: tuple[ChecklistLine, ...]
    places: tuple[PlaceView, ...]
    sources: tuple[Source, ...]
    published: bool
    #: The entry's version: pass it back with an edit to refuse one made on stale text.
    version: int

    @property
    def label(self) -> str:
        """For a button: the short title, else the title."""
        return self.short_title or self.title

    @property
    def needs_review_label(self) -> bool:
        """The reader must be told this is not a reviewed translation."""
        return self.status in (TranslationStatus.MACHINE, TranslationStatus.OUTDATED)

    def review_overdue(self, today: dt.date) -> bool:
        return self.review_due < today


class RevisionState(StrEnum):
    APPLIED = "applied"
    #: Kept, not applied: a file's version that met an agent's edit on import.
    PENDING = "pending"
    #: A pending revision that was restored.
    ACCEPTED = "accepted"
    #: A pending revision an agent chose not to apply.
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class Revision:
    """One change of one entry: who, when, the whole entry before and after."""

    id: int
    slug: str
    locale: str | None
    action: str
    state: RevisionState
    at: dt.datetime
    by: str
    before: EntryFile | None
    after: EntryFile
    note: str | None


@dataclass(frozen=True)
class TranslationEdit:
    """The fields of one translation an agent changes; None leaves a field as it is.

    An empty `short_title` removes it. Without `status`, a French edit stays the source and
    an edit of another locale becomes `reviewed`: a person wrote or checked it.
    """

    title: str | None = None
    short_title: str | None = None
    summary: str | None = None
    body: str | None = None
    keywords: tuple[str, ...] | None = None
    status: TranslationStatus | None = None


def localize(entry: EntryFile, locale: str, version: int) -> LocalizedEntry:
    """`entry` as a reader of `locale` sees it, in French where it has no translation."""
    translation = entry.translations.get(locale)
    shown_locale = locale if translation is not None else SOURCE_LOCALE
    shown = translation if translation is not None else entry.french()
    return LocalizedEntry(
        slug=entry.slug,
        kind=entry.kind,
        locale=locale,
        shown_locale=shown_locale,
        is_fallback=translation is None,
        status=effective_status(shown, entry.french_hash()),
        title=shown.title,
        short_title=shown.short_title,
        summary=shown.summary,
        body=shown.body,
        keywords=tuple(shown.keywords),
        last_checked=entry.last_checked(),
        old_source_year=entry.old_source_year(),
        review_due=entry.review_due,
        situations=tuple(entry.situations),
        topics=tuple(entry.topics),
        related=tuple(entry.related),
        checklist=tuple(_checklist_line(item, shown_locale) for item in entry.checklist),
        places=tuple(_place_view(place, shown_locale) for place in entry.places),
        sources=tuple(entry.sources),
        published=entry.published,
        version=version,
    )


def _checklist_line(item: ChecklistItem, locale: str) -> ChecklistLine:
    french = item.labels[SOURCE_LOCALE]
    label = item.labels.get(locale)
    return ChecklistLine(
        id=item.id,
        label=label if label is not None else french,
        french_label=french,
        optional=item.optional,
        is_fallback=label is None,
    )


def _place_view(place: Place, locale: str) -> PlaceView:
    access = place.access.get(locale, place.access.get(SOURCE_LOCALE))
    return PlaceView(
        id=place.id,
        name=place.name,
        address=place.address,
        arrondissement=place.arrondissement,
        postcode=place.postcode,
        city=place.city,
        latitude=place.latitude,
        longitude=place.longitude,
        hours=place.hours,
        phone=place.phone,
        languages=tuple(place.languages),
        access=access,
        bookable=place.bookable,
    )
