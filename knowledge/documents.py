"""What the search reads: one translation of one entry, flattened to text.

Both the bundled YAML files and the database store produce these, so the
search index never depends on where the knowledge comes from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchDocument:
    slug: str
    locale: str
    title: str
    summary: str
    body: str
    keywords: tuple[str, ...]
    kind: str
