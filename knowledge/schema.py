"""The shape of a bundled knowledge file: one YAML file per entry, all its locales inside.

This is the contract between the people who write content and the code that
imports it; `passerelle kb check` and the importer both validate against it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SOURCE_LOCALE = "fr"

#: A summary must fit one chat message and one WhatsApp interactive body.
SUMMARY_MAX_CHARS = 700
#: WhatsApp reply-button title limit; list rows allow 24.
BUTTON_TITLE_MAX = 20
LIST_ROW_TITLE_MAX = 24

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=48)]


class Kind(StrEnum):
    STATUS = "status"
    RIGHT = "right"
    PROCEDURE = "procedure"
    SERVICE = "service"
    COURSE = "course"
    CONTACT = "contact"
    FAQ = "faq"


class Situation(StrEnum):
    """Administrative situations a person can be in; an entry lists those it applies to."""

    ASYLUM_SEEKER = "asylum-seeker"
    DUBLIN = "dublin"
    REFUGEE = "refugee"
    SUBSIDIARY_PROTECTION = "subsidiary-protection"
    STATELESS = "stateless"
    REJECTED_ASYLUM = "rejected-asylum"
    UNDOCUMENTED = "undocumented"
    RESIDENCE_PERMIT = "residence-permit"
    #: People from Ukraine (and some others) under the EU temporary protection: rights of
    #: their own, never subsidiary protection's.
    TEMPORARY_PROTECTION = "temporary-protection"


class Topic(StrEnum):
    """The topics a person picks after their situation."""

    HEALTH = "health"
    SHELTER = "shelter"
    WORK = "work"
    MONEY = "money"
    TRANSPORT = "transport"
    FRENCH = "french"
    LEGAL = "legal"
    CHILDREN = "children"
    BANK = "bank"
    PAPERS = "papers"
    EMERGENCY = "emergency"
    DAILY_LIFE = "daily-life"


class TranslationStatus(StrEnum):
    SOURCE = "source"
    MACHINE = "machine"
    REVIEWED = "reviewed"
    OUTDATED = "outdated"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: A source dated before this year is old enough that a reader should see its year.
OLD_SOURCE_BEFORE_YEAR = 2024


class Source(StrictModel):
    title: str = Field(min_length=3)
    #: Only what the facts give: a site or page name is fine; never an invented URL.
    url: str | None = None
    #: The date the source itself carries (published or updated), or the day it was read
    #: when it shows none. Not when the entry was last checked: that is `EntryFile.checked`.
    checked: dt.date


class Translation(StrictModel):
    status: TranslationStatus
    title: str = Field(min_length=2, max_length=120)
    #: Short label for a button; falls back to the title. Must fit WhatsApp's 20 characters.
    short_title: str | None = Field(default=None, max_length=BUTTON_TITLE_MAX)
    summary: str = Field(min_length=10, max_length=SUMMARY_MAX_CHARS)
    body: str = Field(min_length=10)
    #: Words and phrases as people really type them, typos and colloquial forms included.
    keywords: list[str] = Field(default_factory=list)
    #: Hash of the French text this translation was made from (see `source_hash`).
    source_hash: str | None = None
    updated_by: str | None = None

    @field_validator("keywords")
    @classmethod
    def _no_blank_keywords(cls, value: list[str]) -> list[str]:
        if any(not k.strip() for k in value):
            raise ValueError("keywords must not be blank")
        return value


class ChecklistItem(StrictModel):
    id: Slug
    #: Label per locale; the French label is always kept, for showing at a desk.
    labels: dict[str, str]
    #: Optional: only some people need this document.
    optional: bool = False

    @model_validator(mode="after")
    def _has_french(self) -> ChecklistItem:
        if SOURCE_LOCALE not in self.labels:
            raise ValueError(f"checklist item {self.id!r} has no French label")
        return self


class Weekday(StrEnum):
    MO = "mo"
    TU = "tu"
    WE = "we"
    TH = "th"
    FR = "fr"
    SA = "sa"
    SU = "su"


TIME_RANGE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class HoursException(StrictModel):
    date: dt.date
    #: Empty means closed that day.
    hours: list[str] = Field(default_factory=list)
    note: str | None = None


class OpeningHours(StrictModel):
    """Weekly opening hours as `HH:MM-HH:MM` ranges, plus dated exceptions."""

    weekly: dict[Weekday, list[str]] = Field(default_factory=dict)
    exceptions: list[HoursException] = Field(default_factory=list)
    #: Closed on French public holidays unless said otherwise.
    closed_on_public_holidays: bool = True
    #: Where the sources disagree or are old: shown to the reader as "to be checked".
    uncertain: bool = False

    @field_validator("weekly")
    @classmethod
    def _ranges(cls, value: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        for day, ranges in value.items():
            for item in ranges:
                if not TIME_RANGE.match(item):
                    raise ValueError(f"{day}: {item!r} is not HH:MM-HH:MM")
        return value


class Place(StrictModel):
    id: Slug
    name: str
    address: str | None = None
    #: 1 to 20 for Paris; None outside Paris.
    arrondissement: int | None = Field(default=None, ge=1, le=20)
    postcode: str | None = Field(default=None, pattern=r"^\d{5}$")
    city: str = "Paris"
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    hours: OpeningHours | None = None
    phone: str | None = None
    languages: list[str] = Field(default_factory=list)
    #: Who may come and how (per locale; French required when present).
    access: dict[str, str] = Field(default_factory=dict)
    bookable: bool = False


class EntryFile(StrictModel):
    """One bundled knowledge entry with every locale."""

    slug: Slug
    kind: Kind
    tags: list[str] = Field(default_factory=list)
    situations: list[Situation] = Field(default_factory=list)
    topics: list[Topic] = Field(default_factory=list)
    related: list[Slug] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    #: When a person last checked the whole entry against its sources (`passerelle kb
    #: checked` sets it). None only for entries written before the field existed.
    checked: dt.date | None = None
    review_due: dt.date
    published: bool = True
    checklist: list[ChecklistItem] = Field(default_factory=list)
    places: list[Place] = Field(default_factory=list)
    translations: dict[str, Translation]

    @field_validator("checklist", "places")
    @classmethod
    def _unique_ids(
        cls, value: list[ChecklistItem] | list[Place]
    ) -> list[ChecklistItem] | list[Place]:
        # Ids are the stable keys of PO contexts and database rows: a repeat would collide.
        ids = [item.id for item in value]
        repeated = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
        if repeated:
            raise ValueError(f"ids must be unique, repeated: {', '.join(repeated)}")
        return value

    @model_validator(mode="after")
    def _source_locale(self) -> EntryFile:
        french = self.translations.get(SOURCE_LOCALE)
        if french is None:
            raise ValueError("an entry needs its French source translation (fr)")
        if french.status is not TranslationStatus.SOURCE:
            raise ValueError("the French translation must have status 'source'")
        if self.slug in self.related:
            raise ValueError("an entry cannot be related to itself")
        return self

    def last_checked(self) -> dt.date:
        """When a person last checked the entry; for an entry from before `checked` existed,
        the newest source date, the only date it has (`kb check` warns about those)."""
        if self.checked is not None:
            return self.checked
        return max(source.checked for source in self.sources)

    def oldest_source(self) -> Source:
        return min(self.sources, key=lambda source: source.checked)

    def old_source_year(self) -> int | None:
        """The year of the oldest source the entry relies on, when it is before 2024: a
        reader is shown it beside the "last checked" date."""
        year = self.oldest_source().checked.year
        return year if year < OLD_SOURCE_BEFORE_YEAR else None

    def french(self) -> Translation:
        return self.translations[SOURCE_LOCALE]

    def french_hash(self) -> str:
        """`source_hash` of this entry's French text: what an up-to-date translation carries."""
        return source_hash(self.french())


def source_hash(translation: Translation) -> str:
    """Fingerprint of the French text a translation is made from."""
    return text_hash(translation.title, translation.summary, translation.body)


def text_hash(title: str, summary: str, body: str) -> str:
    """`source_hash` of a French title, summary and body (as a translator saw them)."""
    digest = hashlib.sha256()
    for part in (title, summary, body):
        digest.update(part.strip().encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def effective_status(translation: Translation, french_hash: str) -> TranslationStatus:
    """The status to show: a translation made from another French text than today's is outdated.

    A translation with no recorded hash is taken at its word: nothing tells it is stale.
    """
    if translation.status in (TranslationStatus.MACHINE, TranslationStatus.REVIEWED) and (
        translation.source_hash is not None and translation.source_hash != french_hash
    ):
        return TranslationStatus.OUTDATED
    return translation.status
