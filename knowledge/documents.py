"""What the search reads: one translation of one entry, flattened to text.

Both the bundled YAML files and the database store produce these, so the
search index never depends on where the knowledge comes from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.schema import EntryFile


@dataclass(frozen=True)
class SearchDocument:
    slug: str
    locale: str
    title: str
    summary: str
    body: str
    keywords: tuple[str, ...]
    kind: str


def documents_from_entries(entries: Iterable[EntryFile]) -> list[SearchDocument]:
    """One document per translation of each published entry.

    The same documents whether the entries come from the files or from the database, so
    the index is the same either way. French terms typed in any locale meet the French
    document of the same entry, which the search always looks at.
    """
    return [
        SearchDocument(
            slug=entry.slug,
            locale=locale,
            title=translation.title,
            summary=translation.summary,
            body=translation.body,
            keywords=tuple(translation.keywords),
            kind=entry.kind.value,
        )
        for entry in entries
        if entry.published
        for locale, translation in sorted(entry.translations.items())
    ]
