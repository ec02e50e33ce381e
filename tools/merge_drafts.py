"""Merge machine-draft translations from knowledge/drafts/<locale>/<slug>.yaml into the content.

A draft never replaces a translation that a person reviewed: only missing, machine or
outdated translations are (re)written. Each merged translation records the hash of the
French text it was made from, so a later change of the French marks it outdated.

Usage: python tools/merge_drafts.py [LOCALE ...]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from knowledge.canonical import dump_entry
from knowledge.loader import load_file
from knowledge.schema import SOURCE_LOCALE, EntryFile, TranslationStatus, source_hash

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "knowledge" / "content"
DRAFTS = ROOT / "knowledge" / "drafts"
REPLACEABLE = {None, TranslationStatus.MACHINE, TranslationStatus.OUTDATED}


def merge(entry: EntryFile, draft: dict[str, Any]) -> EntryFile:
    locale = draft["locale"]
    existing = entry.translations.get(locale)
    if (existing.status if existing else None) not in REPLACEABLE:
        return entry
    data = entry.model_dump(mode="python", exclude_defaults=True)
    translation = {k: v for k, v in draft["translation"].items() if v not in (None, "")}
    translation["status"] = TranslationStatus.MACHINE.value
    translation["source_hash"] = source_hash(entry.translations[SOURCE_LOCALE])
    data["translations"][locale] = translation
    labels = draft.get("checklist") or {}
    for item in data.get("checklist", []):
        if item["id"] in labels:
            item["labels"][locale] = labels[item["id"]]
    access = draft.get("places_access") or {}
    for place in data.get("places", []):
        if place["id"] in access and place.get("access"):
            place["access"][locale] = access[place["id"]]
    return EntryFile.model_validate(data)


def main(locales: list[str]) -> int:
    merged = 0
    for locale_dir in sorted(DRAFTS.iterdir()):
        if not locale_dir.is_dir() or (locales and locale_dir.name not in locales):
            continue
        for draft_path in sorted(locale_dir.glob("*.yaml")):
            draft = yaml.safe_load(draft_path.read_text(encoding="utf-8"))
            target = CONTENT / f"{draft['slug']}.yaml"
            entry = merge(load_file(target), draft)
            target.write_text(dump_entry(entry), encoding="utf-8")
            merged += 1
    print(f"merged {merged} drafts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
