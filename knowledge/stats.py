"""How far each locale is translated: entries × locales × status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.locales import LOCALES
from knowledge.schema import EntryFile, TranslationStatus, effective_status

STATUSES = tuple(TranslationStatus)


@dataclass(frozen=True)
class LocaleCoverage:
    locale: str
    #: Entries per status of their translation (outdated as the French tells, not as stored).
    by_status: dict[TranslationStatus, int]
    missing: int

    def count(self, status: TranslationStatus) -> int:
        return self.by_status.get(status, 0)

    @property
    def translated(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class EntryCoverage:
    slug: str
    #: One per locale of `Coverage.locale_codes`, None where there is no translation.
    statuses: tuple[TranslationStatus | None, ...]


@dataclass(frozen=True)
class Coverage:
    entries: int
    locale_codes: tuple[str, ...]
    locales: tuple[LocaleCoverage, ...]
    by_entry: tuple[EntryCoverage, ...]


def coverage(entries: Sequence[EntryFile], locales: Sequence[str] = LOCALES) -> Coverage:
    by_entry = tuple(
        EntryCoverage(entry.slug, tuple(_status(entry, locale) for locale in locales))
        for entry in sorted(entries, key=lambda entry: entry.slug)
    )
    per_locale = []
    for index, locale in enumerate(locales):
        statuses = [row.statuses[index] for row in by_entry]
        counts = {
            status: sum(1 for found in statuses if found is status)
            for status in STATUSES
            if any(found is status for found in statuses)
        }
        missing = sum(1 for found in statuses if found is None)
        per_locale.append(LocaleCoverage(locale, counts, missing))
    return Coverage(
        entries=len(by_entry),
        locale_codes=tuple(locales),
        locales=tuple(per_locale),
        by_entry=by_entry,
    )


def _status(entry: EntryFile, locale: str) -> TranslationStatus | None:
    translation = entry.translations.get(locale)
    if translation is None:
        return None
    return effective_status(translation, entry.french_hash())
