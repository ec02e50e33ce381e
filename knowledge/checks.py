"""Is the knowledge base fit to be shown? Errors block a release; warnings are work to do.

Errors: a file the schema refuses, a related slug that leads nowhere, a required entry
missing, a summary longer than one chat message, a button or list label over WhatsApp's
limits. Warnings: translations missing or outdated, reviews overdue, sources not checked
for a year, an entry without its own "checked" date or checked before a source it cites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from knowledge.loader import LoadedContent, read_dir
from knowledge.locales import LOCALES
from knowledge.schema import (
    BUTTON_TITLE_MAX,
    LIST_ROW_TITLE_MAX,
    SOURCE_LOCALE,
    SUMMARY_MAX_CHARS,
    EntryFile,
    Translation,
    TranslationStatus,
    effective_status,
)

#: The entries the journeys lead to: the base is not releasable without them.
REQUIRED_SLUGS: tuple[str, ...] = (
    "status-asylum-seeker",
    "status-dublin",
    "status-refugee",
    "status-subsidiary-protection",
    "status-stateless",
    "status-rejected-asylum",
    "status-undocumented",
    "status-residence-permit",
    "health-ame",
    "health-puma-css",
    "health-pass",
    "mental-health",
    "housing-115",
    "housing-asylum-dna",
    "domiciliation",
    "asylum-registration",
    "asylum-allowance-ada",
    "work-rights",
    "employment-support",
    "diploma-recognition",
    "transport-solidarity",
    "french-eif-fel",
    "french-courses",
    "legal-aid",
    "family-reunification",
    "children-school",
    "bank-account",
    "emergency-numbers",
    "phone-wifi-charging",
    "food-aid",
    "sport-culture",
    "volunteering",
    "social-services-psa",
    # Issue 14: the topics people in Paris ask about most.
    "status-temporary-protection",
    "asylum-ofpra-interview",
    "asylum-cnda-appeal",
    "unaccompanied-minors",
    "violence-women-trafficking",
    "suicide-crisis",
    "police-checks-detention",
    "residence-permit-renewal",
    "pregnancy-birth-pmi",
    "basic-needs",
    "benefits-rsa-caf",
    "housing-after-protection",
    "documents-civil-status-travel",
    "naturalisation",
    "driving-licence-exchange",
    "lgbt-support",
    "health-free-centres",
)

#: A source not checked for this long may no longer say what the entry says.
SOURCE_MAX_AGE = dt.timedelta(days=365)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Code(StrEnum):
    SCHEMA = "schema"
    BROKEN_RELATED = "broken-related"
    MISSING_REQUIRED = "missing-required"
    SUMMARY_TOO_LONG = "summary-too-long"
    LABEL_TOO_LONG = "label-too-long"
    NOT_THE_SOURCE = "not-the-source"
    MISSING_TRANSLATION = "missing-translation"
    OUTDATED_TRANSLATION = "outdated-translation"
    UNKNOWN_ORIGIN = "unknown-origin"
    MISSING_LABEL = "missing-label"
    REVIEW_OVERDUE = "review-overdue"
    OLD_SOURCE = "old-source"
    NOT_CHECKED = "not-checked"
    CHECKED_BEFORE_SOURCE = "checked-before-source"
    CHECKED_IN_FUTURE = "checked-in-future"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: Code
    message: str
    slug: str | None = None
    locale: str | None = None
    #: Where in the entry (`translations.en.summary`); for a file, also its path and line.
    field: str | None = None
    path: Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.path is not None:
            where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        else:
            where = self.slug or "knowledge base"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message} [{self.code}]"


@dataclass(frozen=True)
class CheckReport:
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_dir(
    directory: Path,
    *,
    today: dt.date | None = None,
    locales: Sequence[str] = LOCALES,
    required: Sequence[str] = REQUIRED_SLUGS,
) -> CheckReport:
    return check_content(read_dir(directory), today=today, locales=locales, required=required)


def check_content(
    content: LoadedContent,
    *,
    today: dt.date | None = None,
    locales: Sequence[str] = LOCALES,
    required: Sequence[str] = REQUIRED_SLUGS,
) -> CheckReport:
    """Checks of loaded files: their schema errors, then the checks of the valid entries."""
    schema_errors = tuple(
        Finding(
            Severity.ERROR,
            Code.SCHEMA,
            error.message,
            slug=error.path.stem,
            field=error.field or None,
            path=error.path,
            line=error.line,
        )
        for error in content.errors
    )
    # A file refused by the schema still names an entry: its slug is not reported missing
    # on top of the schema error, nor is every related link to it.
    unreadable = {error.path.stem for error in content.errors}
    report = check_entries(
        content.entries, today=today, locales=locales, required=required, also_known=unreadable
    )
    return CheckReport(errors=schema_errors + report.errors, warnings=report.warnings)


def check_entries(
    entries: Sequence[EntryFile],
    *,
    today: dt.date | None = None,
    locales: Sequence[str] = LOCALES,
    required: Sequence[str] = REQUIRED_SLUGS,
    also_known: Iterable[str] = (),
) -> CheckReport:
    today = today or dt.date.today()
    known = {entry.slug for entry in entries} | set(also_known)
    findings = [
        Finding(Severity.ERROR, Code.MISSING_REQUIRED, f"required entry {slug!r} is missing")
        for slug in required
        if slug not in known
    ]
    for entry in entries:
        findings.extend(_broken_related(entry, known))
        findings.extend(_translation_findings(entry, locales))
        findings.extend(_freshness(entry, today))
    return CheckReport(
        errors=tuple(f for f in findings if f.severity is Severity.ERROR),
        warnings=tuple(f for f in findings if f.severity is Severity.WARNING),
    )


def _broken_related(entry: EntryFile, known: set[str]) -> Iterable[Finding]:
    for index, slug in enumerate(entry.related):
        if slug not in known:
            yield Finding(
                Severity.ERROR,
                Code.BROKEN_RELATED,
                f"related entry {slug!r} does not exist",
                slug=entry.slug,
                field=f"related[{index}]",
            )


def _translation_findings(entry: EntryFile, locales: Sequence[str]) -> Iterable[Finding]:
    french_hash = entry.french_hash()
    for locale in [*locales, *sorted(set(entry.translations) - set(locales))]:
        translation = entry.translations.get(locale)
        if translation is None:
            yield _warning(entry, locale, Code.MISSING_TRANSLATION, f"no {locale} translation")
            continue
        yield from _limits(entry, locale, translation)
        if locale != SOURCE_LOCALE:
            yield from _origin(entry, locale, translation, french_hash)
            yield from _missing_labels(entry, locale)


def _limits(entry: EntryFile, locale: str, translation: Translation) -> Iterable[Finding]:
    where = f"translations.{locale}"
    if len(translation.summary) > SUMMARY_MAX_CHARS:
        yield _error(
            entry,
            locale,
            Code.SUMMARY_TOO_LONG,
            f"summary is {len(translation.summary)} characters; one chat message is "
            f"{SUMMARY_MAX_CHARS}",
            f"{where}.summary",
        )
    if translation.short_title is not None and len(translation.short_title) > BUTTON_TITLE_MAX:
        yield _error(
            entry,
            locale,
            Code.LABEL_TOO_LONG,
            f"short_title is {len(translation.short_title)} characters; a WhatsApp button "
            f"shows {BUTTON_TITLE_MAX}",
            f"{where}.short_title",
        )
    if translation.short_title is None and len(translation.title) > LIST_ROW_TITLE_MAX:
        yield _error(
            entry,
            locale,
            Code.LABEL_TOO_LONG,
            f"no short_title, and the title ({len(translation.title)} characters) is longer "
            f"than a WhatsApp list row ({LIST_ROW_TITLE_MAX})",
            f"{where}.short_title",
        )


def _origin(
    entry: EntryFile, locale: str, translation: Translation, french_hash: str
) -> Iterable[Finding]:
    where = f"translations.{locale}.status"
    if translation.status is TranslationStatus.SOURCE:
        yield _error(
            entry, locale, Code.NOT_THE_SOURCE, "only the French text is the source", where
        )
    elif effective_status(translation, french_hash) is TranslationStatus.OUTDATED:
        yield _warning(
            entry,
            locale,
            Code.OUTDATED_TRANSLATION,
            "made from an older French text: to be updated",
            where,
        )
    elif translation.source_hash is None:
        yield _warning(
            entry,
            locale,
            Code.UNKNOWN_ORIGIN,
            "no source_hash: a later change of the French cannot be noticed",
            f"translations.{locale}.source_hash",
        )


def _missing_labels(entry: EntryFile, locale: str) -> Iterable[Finding]:
    for index, item in enumerate(entry.checklist):
        if locale not in item.labels:
            yield _warning(
                entry,
                locale,
                Code.MISSING_LABEL,
                f"checklist item {item.id!r} has no {locale} label",
                f"checklist[{index}].labels",
            )
    for index, place in enumerate(entry.places):
        if place.access and locale not in place.access:
            yield _warning(
                entry,
                locale,
                Code.MISSING_LABEL,
                f"place {place.id!r} has no {locale} access text",
                f"places[{index}].access",
            )


def _freshness(entry: EntryFile, today: dt.date) -> Iterable[Finding]:
    yield from _check_date(entry, today)
    if entry.review_due < today:
        yield _warning(
            entry,
            None,
            Code.REVIEW_OVERDUE,
            f"review was due on {entry.review_due.isoformat()}",
            "review_due",
        )
    for index, source in enumerate(entry.sources):
        if today - source.checked > SOURCE_MAX_AGE:
            yield _warning(
                entry,
                None,
                Code.OLD_SOURCE,
                f"source {source.title!r} was last checked on {source.checked.isoformat()}",
                f"sources[{index}].checked",
            )


def _check_date(entry: EntryFile, today: dt.date) -> Iterable[Finding]:
    """The entry's own "last checked" date: set, not in the future, not before its sources."""
    if entry.checked is None:
        yield _warning(
            entry,
            None,
            Code.NOT_CHECKED,
            "no checked date: readers see the newest source's date instead "
            "(passerelle kb checked sets it)",
            "checked",
        )
        return
    if entry.checked > today:
        yield _warning(
            entry,
            None,
            Code.CHECKED_IN_FUTURE,
            f"checked on {entry.checked.isoformat()}, a day still to come",
            "checked",
        )
    # A check cannot have read a source that did not exist yet: the oldest source it relies
    # on at the very least, and any later one it cites.
    for index, source in enumerate(entry.sources):
        if source.checked > entry.checked:
            yield _warning(
                entry,
                None,
                Code.CHECKED_BEFORE_SOURCE,
                f"checked on {entry.checked.isoformat()}, before source {source.title!r} "
                f"dated {source.checked.isoformat()}",
                f"sources[{index}].checked",
            )


def _error(
    entry: EntryFile, locale: str | None, code: Code, message: str, field: str | None = None
) -> Finding:
    return Finding(Severity.ERROR, code, message, slug=entry.slug, locale=locale, field=field)


def _warning(
    entry: EntryFile, locale: str | None, code: Code, message: str, field: str | None = None
) -> Finding:
    return Finding(Severity.WARNING, code, message, slug=entry.slug, locale=locale, field=field)
