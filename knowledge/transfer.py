"""Between entry files and the database: import, export, and the bundled seed.

Import compares three versions of each entry by fingerprint: the file, the database, and
what the last import left. A file that changed is applied only where no agent changed
the entry since; otherwise it is kept as a pending revision and reported as a conflict.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from knowledge.canonical import dump_entry, fingerprint
from knowledge.loader import ENTRY_SUFFIX, entry_paths, load_dir
from knowledge.schema import EntryFile
from knowledge.store import (
    Action,
    ImportCounts,
    KnowledgeStore,
    KnowledgeUnit,
    StoredEntry,
    mark_imported,
)

BUNDLED_CONTENT = Path(__file__).resolve().parent / "content"
IMPORTER = "import"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Conflict:
    slug: str
    #: The file's version, kept unapplied: `KnowledgeStore.restore` applies it.
    pending_revision: int


@dataclass(frozen=True)
class ImportReport:
    source: str
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    conflicts: tuple[Conflict, ...]

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.conflicts)


@dataclass(frozen=True)
class ExportReport:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    #: Entry files in the directory that no entry of the database matches (left alone).
    strays: tuple[str, ...]


async def import_dir(
    store: KnowledgeStore,
    directory: Path,
    *,
    by: str = IMPORTER,
    on_entry: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every entry file of `directory`, all or nothing.

    Raises `loader.ContentErrors` (and writes nothing) when any file is bad.
    """
    entries = await asyncio.to_thread(load_dir, directory)
    return await import_entries(store, entries, source=str(directory), by=by, on_entry=on_entry)


async def import_entries(
    store: KnowledgeStore,
    entries: Sequence[EntryFile],
    *,
    source: str,
    by: str = IMPORTER,
    on_entry: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import `entries` in one transaction; `on_entry(slug)` is called after each."""
    async with store.unit() as unit:
        return await _import_into(unit, entries, source=source, by=by, on_entry=on_entry)


async def _import_into(
    unit: KnowledgeUnit,
    entries: Sequence[EntryFile],
    *,
    source: str,
    by: str,
    on_entry: Callable[[str], None] | None,
) -> ImportReport:
    outcomes: dict[Outcome, list[str]] = {outcome: [] for outcome in Outcome}
    conflicts: list[Conflict] = []
    stored = await unit.all_stored(lock=True)
    for entry in entries:
        outcome, pending = await _import_one(unit, stored.get(entry.slug), entry, by)
        outcomes[outcome].append(entry.slug)
        if pending is not None:
            conflicts.append(Conflict(entry.slug, pending))
        if on_entry is not None:
            on_entry(entry.slug)
    report = ImportReport(
        source=source,
        created=tuple(outcomes[Outcome.CREATED]),
        updated=tuple(outcomes[Outcome.UPDATED]),
        unchanged=tuple(outcomes[Outcome.UNCHANGED]),
        conflicts=tuple(conflicts),
    )
    await unit.record_import(
        ImportCounts(
            source=source,
            created=len(report.created),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            conflicts=len(report.conflicts),
        ),
        by,
    )
    return report


async def _import_one(
    unit: KnowledgeUnit, stored: StoredEntry | None, incoming: EntryFile, by: str
) -> tuple[Outcome, int | None]:
    file_fingerprint = fingerprint(incoming)
    if stored is None:
        created, _ = await unit.add(incoming, by=by, action=Action.IMPORT)
        mark_imported(created, file_fingerprint)
        return Outcome.CREATED, None
    current = fingerprint(stored.document)
    if current == file_fingerprint:
        mark_imported(stored, file_fingerprint)
        return Outcome.UNCHANGED, None
    if stored.row.file_fingerprint == file_fingerprint:
        # The file is the one already imported: it brings nothing over what agents did since.
        return Outcome.UNCHANGED, None
    if stored.row.imported_fingerprint == current:
        revision = await unit.save(stored, incoming, by=by, action=Action.IMPORT)
        mark_imported(stored, file_fingerprint)
        return (Outcome.UPDATED if revision is not None else Outcome.UNCHANGED), None
    pending = await unit.keep_pending(
        stored,
        incoming,
        by=by,
        action=Action.IMPORT,
        note="the entry was changed in the database since the last import",
    )
    return Outcome.CONFLICT, pending.id


async def ensure_bundled(
    store: KnowledgeStore, directory: Path = BUNDLED_CONTENT, *, by: str = "bundle"
) -> ImportReport | None:
    """Import the bundled content into an empty knowledge base; None when it was not empty.

    Several workers starting at once may all find the base empty: one import wins, the
    others meet the unique slugs and step aside.
    """
    if not await store.is_empty():
        return None
    entries = await asyncio.to_thread(load_dir, directory)
    try:
        async with store.unit() as unit:
            # Asked again inside the writing transaction: a worker that waited for another
            # one's import finds it done (SQLite); one that raced it meets the unique slugs.
            if await unit.has_entries():
                return None
            return await _import_into(unit, entries, source=str(directory), by=by, on_entry=None)
    except IntegrityError:
        if await store.is_empty():
            raise
        return None


async def export_dir(store: KnowledgeStore, directory: Path) -> ExportReport:
    """Write every entry of the database as `<slug>.yaml` in its canonical form."""
    entries = await store.documents()
    return await asyncio.to_thread(_export_files, directory, entries)


def _export_files(directory: Path, entries: Sequence[EntryFile]) -> ExportReport:
    directory.mkdir(parents=True, exist_ok=True)
    written, unchanged = _write_entries(directory, entries)
    slugs = {entry.slug for entry in entries}
    strays = tuple(path.name for path in entry_paths(directory) if path.stem not in slugs)
    return ExportReport(written=written, unchanged=unchanged, strays=strays)


def format_dir(directory: Path) -> tuple[str, ...]:
    """Rewrite the entry files of `directory` in canonical form; returns those that changed.

    Raises `loader.ContentErrors` (and rewrites nothing) when any file is bad.
    """
    written, _ = _write_entries(directory, load_dir(directory))
    return written


def _write_entries(
    directory: Path, entries: Sequence[EntryFile]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    written: list[str] = []
    unchanged: list[str] = []
    for entry in entries:
        path = directory / f"{entry.slug}{ENTRY_SUFFIX}"
        data = dump_entry(entry).encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            unchanged.append(entry.slug)
            continue
        _write_atomically(path, data)
        written.append(entry.slug)
    return tuple(written), tuple(unchanged)


def _write_atomically(path: Path, data: bytes) -> None:
    # A reader (git, an editor, another import) never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
