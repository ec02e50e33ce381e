"""Small entries written by the tests themselves (not the bundled content)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from knowledge.canonical import dump_entry
from knowledge.schema import EntryFile, text_hash

CHECKED = dt.date(2026, 11, 1)
REVIEW_DUE = dt.date(2027, 11, 1)
TODAY = dt.date(2026, 11, 27)


def french(slug: str, *, title: str | None = None) -> dict[str, Any]:
    return {
        "status": "source",
        "title": title or f"Titre de {slug}",
        "short_title": "Court",
        "summary": f"Ce qu'il faut savoir d'abord sur {slug}.",
        "body": f"Les détails sur {slug}.\n\nUn deuxième paragraphe.",
        "keywords": [slug, "mot clé"],
    }


def translated(slug: str, locale: str, status: str, french_text: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": status,
        "title": f"{locale} title of {slug}",
        "short_title": f"{locale} short",
        "summary": f"What to know first about {slug} ({locale}).",
        "body": f"The details about {slug} ({locale}).",
        "keywords": [f"{locale}-{slug}"],
        "source_hash": text_hash(french_text["title"], french_text["summary"], french_text["body"]),
    }


def entry_data(
    slug: str,
    *,
    kind: str = "faq",
    locales: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A valid entry: French source plus `locales` ({locale: status}), then `fields` on top."""
    source = french(slug)
    translations = {"fr": source}
    for locale, status in (locales if locales is not None else {"en": "reviewed"}).items():
        translations[locale] = translated(slug, locale, status, source)
    data: dict[str, Any] = {
        "slug": slug,
        "kind": kind,
        "sources": [{"title": f"Source for {slug}", "url": "example.org", "checked": CHECKED}],
        "review_due": REVIEW_DUE,
        "translations": translations,
    }
    data.update(fields)
    return data


def make_entry(slug: str, **options: Any) -> EntryFile:
    return EntryFile.model_validate(entry_data(slug, **options))


def fixture_entries() -> list[EntryFile]:
    return [
        make_entry(
            "health-ame",
            kind="procedure",
            locales={"en": "reviewed", "ar": "machine"},
            situations=["undocumented", "rejected-asylum"],
            topics=["health"],
            related=["health-pass"],
            checklist=[
                {"id": "photo-id", "labels": {"fr": "Pièce d'identité", "en": "ID document"}},
                {"id": "proof-3-months", "labels": {"fr": "Preuve de 3 mois"}, "optional": True},
            ],
        ),
        make_entry(
            "health-pass",
            kind="service",
            topics=["health"],
            related=["health-ame"],
            places=[
                {
                    "id": "pass-hotel-dieu",
                    "name": "PASS de l'Hôtel-Dieu",
                    "arrondissement": 4,
                    "latitude": 48.8538,
                    "longitude": 2.3486,
                    "hours": {
                        "weekly": {"mo": ["09:00-12:00"], "tu": ["09:00-12:00", "14:00-17:00"]},
                        "exceptions": [{"date": dt.date(2026, 12, 24), "note": "fermé"}],
                    },
                    "languages": ["fr", "en"],
                    "access": {"fr": "Sans rendez-vous.", "en": "No appointment."},
                }
            ],
        ),
        make_entry("food-aid", kind="service", topics=["daily-life"]),
        make_entry("internal-draft", published=False),
    ]


def write_entries(directory: Path, entries: Iterable[EntryFile]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        (directory / f"{entry.slug}.yaml").write_text(dump_entry(entry), encoding="utf-8")
