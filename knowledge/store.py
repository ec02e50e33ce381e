"""The knowledge base in the database: the live truth that agents edit.

Every change goes through `KnowledgeUnit.save`, which writes the whole entry, marks
translations outdated when the French changed, and records a revision holding the entry
before and after: any revision can be restored and no edit is ever silently lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge.canonical import fingerprint
from knowledge.documents import SearchDocument, documents_from_entries
from knowledge.edits import InvalidEdit, propagate_source_change, with_translation_edit
from knowledge.models import EntryRow, ImportRow, RevisionRow
from knowledge.rows import document_of, entries_query, revision_of, write_entry
from knowledge.schema import EntryFile, Kind, Situation, Topic
from knowledge.views import (
    LocalizedEntry,
    Revision,
    RevisionState,
    TranslationEdit,
    localize,
)

__all__ = [
    "Action",
    "ImportCounts",
    "InvalidEdit",
    "KnowledgeStore",
    "KnowledgeUnit",
    "StaleEdit",
    "StoredEntry",
    "UnknownEntry",
    "UnknownRevision",
    "mark_imported",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UnknownEntry(LookupError):
    pass


class UnknownRevision(LookupError):
    pass


class StaleEdit(Exception):
    """The entry changed since the version the edit was made on: nothing was written."""


class Action(StrEnum):
    """What made a revision."""

    EDIT = "edit"
    IMPORT = "import"
    RESTORE = "restore"
    PO_IMPORT = "po-import"


# -- units of work ----------------------------------------------------------------------


@dataclass
class StoredEntry:
    row: EntryRow
    document: EntryFile

    @property
    def version(self) -> int:
        return self.row.version


@dataclass(frozen=True)
class ImportCounts:
    source: str
    created: int
    updated: int
    unchanged: int
    conflicts: int


class KnowledgeUnit:
    """One transaction on the knowledge base: read entries, save them, keep revisions."""

    def __init__(self, session: AsyncSession, clock: Callable[[], dt.datetime]) -> None:
        self.session = session
        self.clock = clock

    async def stored(self, slug: str, *, lock: bool = False) -> StoredEntry | None:
        query = entries_query().where(EntryRow.slug == slug)
        if lock:
            # Two agents saving the same entry at once take turns (PostgreSQL; SQLite
            # already serialises writers), so neither edit is built on a stale read.
            query = query.with_for_update()
        row = (await self.session.scalars(query)).one_or_none()
        return StoredEntry(row, document_of(row)) if row is not None else None

    async def has_entries(self) -> bool:
        return bool(await self.session.scalar(select(func.count()).select_from(EntryRow)))

    async def all_stored(self, *, lock: bool = False) -> dict[str, StoredEntry]:
        query = entries_query().order_by(EntryRow.slug)
        if lock:
            # An import compares each entry with what the last one left: an agent's edit
            # committed between that comparison and the write would be lost.
            query = query.with_for_update()
        rows = (await self.session.scalars(query)).all()
        return {row.slug: StoredEntry(row, document_of(row)) for row in rows}

    async def add(
        self, entry: EntryFile, *, by: str, action: Action, note: str | None = None
    ) -> tuple[StoredEntry, Revision]:
        """Create `entry`, which must not exist yet, and record its first revision."""
        row = EntryRow(slug=entry.slug, version=0, translations=[], checklist=[], places=[])
        self.session.add(row)
        stored = StoredEntry(row, entry)
        revision = await self._write(
            stored, None, entry, by=by, action=action, locale=None, note=note
        )
        return stored, revision

    async def save(
        self,
        stored: StoredEntry,
        entry: EntryFile,
        *,
        by: str,
        action: Action,
        locale: str | None = None,
        note: str | None = None,
    ) -> Revision | None:
        """Write `entry` over `stored` and record the revision.

        Returns None, and writes nothing, when the entry is already so.
        """
        before = stored.document
        entry = propagate_source_change(before, entry)
        if before == entry:
            return None
        return await self._write(
            stored, before, entry, by=by, action=action, locale=locale, note=note
        )

    async def _write(
        self,
        stored: StoredEntry,
        before: EntryFile | None,
        entry: EntryFile,
        *,
        by: str,
        action: Action,
        locale: str | None,
        note: str | None,
    ) -> Revision:
        now = self.clock()
        row = stored.row
        write_entry(row, entry, now)
        row.version += 1
        row.updated_at = now
        row.updated_by = by
        revision = RevisionRow(
            slug=entry.slug,
            locale=locale,
            action=action.value,
            state=RevisionState.APPLIED.value,
            at=now,
            by=by,
            before=before.model_dump(mode="json") if before is not None else None,
            after=entry.model_dump(mode="json"),
            fingerprint=fingerprint(entry),
            note=note,
        )
        self.session.add(revision)
        await self.session.flush()
        stored.document = entry
        return revision_of(revision)

    async def keep_pending(
        self, stored: StoredEntry, entry: EntryFile, *, by: str, action: Action, note: str
    ) -> Revision:
        """Keep `entry` as a pending revision of `stored`, once: the same one is not repeated."""
        digest = fingerprint(entry)
        existing = await self.session.scalar(
            select(RevisionRow).where(
                RevisionRow.slug == stored.document.slug,
                RevisionRow.state == RevisionState.PENDING.value,
                RevisionRow.fingerprint == digest,
            )
        )
        if existing is not None:
            return revision_of(existing)
        revision = RevisionRow(
            slug=stored.document.slug,
            locale=None,
            action=action.value,
            state=RevisionState.PENDING.value,
            at=self.clock(),
            by=by,
            before=stored.document.model_dump(mode="json"),
            after=entry.model_dump(mode="json"),
            fingerprint=digest,
            note=note,
        )
        self.session.add(revision)
        await self.session.flush()
        return revision_of(revision)

    async def revision_row(self, revision_id: int) -> RevisionRow:
        row = await self.session.get(RevisionRow, revision_id, with_for_update=True)
        if row is None:
            raise UnknownRevision(revision_id)
        return row

    async def record_import(self, counts: ImportCounts, by: str) -> None:
        self.session.add(
            ImportRow(
                at=self.clock(),
                by=by,
                source=counts.source,
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
                conflicts=counts.conflicts,
            )
        )
        await self.session.flush()


def mark_imported(stored: StoredEntry, file_fingerprint: str) -> None:
    """Remember what the files and the database said after an import, for the next one."""
    stored.row.imported_fingerprint = fingerprint(stored.document)
    stored.row.file_fingerprint = file_fingerprint


# -- the store --------------------------------------------------------------------------


class KnowledgeStore:
    """Entries in every locale, read by the journeys and edited by agents."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        write_sessions: async_sessionmaker[AsyncSession] | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        """`write_sessions` serve the units that read then write (`Database.write_sessions`:
        on SQLite they take the write lock at BEGIN, so concurrent edits queue instead of
        failing); reads use `sessions`.
        """
        self._sessions = sessions
        self._write_sessions = write_sessions or sessions
        self._clock = clock

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[KnowledgeUnit]:
        """One writing transaction: committed when the block ends, rolled back on an error."""
        async with self._write_sessions() as session, session.begin():
            yield KnowledgeUnit(session, self._clock)

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[KnowledgeUnit]:
        async with self._sessions() as session:
            yield KnowledgeUnit(session, self._clock)

    # reading

    async def entry(
        self, slug: str, locale: str, *, include_unpublished: bool = False
    ) -> LocalizedEntry | None:
        async with self._sessions() as session:
            row = (await session.scalars(entries_query().where(EntryRow.slug == slug))).first()
        if row is None or not (row.published or include_unpublished):
            return None
        return localize(document_of(row), locale, row.version)

    async def entries(
        self,
        locale: str,
        *,
        kind: Kind | None = None,
        situation: Situation | None = None,
        topic: Topic | None = None,
    ) -> list[LocalizedEntry]:
        """Published entries in `locale`, by slug; a filter left out matches every entry.

        An entry written for everyone (no situations) matches every situation.
        """
        query = entries_query().where(EntryRow.published.is_(True)).order_by(EntryRow.slug)
        if kind is not None:
            query = query.where(EntryRow.kind == kind.value)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        found = []
        for row in rows:
            if situation is not None and row.situations and situation.value not in row.situations:
                continue
            if topic is not None and topic.value not in row.topics:
                continue
            found.append(localize(document_of(row), locale, row.version))
        return found

    async def search_documents(self) -> list[SearchDocument]:
        return documents_from_entries(await self.documents())

    async def documents(self) -> list[EntryFile]:
        """Every entry, published or not, as the schema sees it (for checks and export)."""
        async with self._reading() as unit:
            return [stored.document for stored in (await unit.all_stored()).values()]

    async def versions(self) -> dict[str, int]:
        """Every entry's version by slug: one small query that tells a reader whether its
        copy is still current (any change, publishing and archiving too, bumps it)."""
        async with self._sessions() as session:
            rows = await session.execute(select(EntryRow.slug, EntryRow.version))
            return {slug: version for slug, version in rows}

    async def snapshot(self) -> list[tuple[EntryFile, int]]:
        """Every entry with its version: for readers that keep their own copy."""
        async with self._reading() as unit:
            return [
                (stored.document, stored.version) for stored in (await unit.all_stored()).values()
            ]

    async def document(self, slug: str) -> EntryFile | None:
        async with self._reading() as unit:
            stored = await unit.stored(slug)
        return stored.document if stored is not None else None

    async def is_empty(self) -> bool:
        async with self._sessions() as session:
            return not await session.scalar(select(func.count()).select_from(EntryRow))

    async def revisions(self, slug: str) -> list[Revision]:
        """Every revision of an entry, oldest first."""
        query = select(RevisionRow).where(RevisionRow.slug == slug).order_by(RevisionRow.id)
        async with self._sessions() as session:
            return [revision_of(row) for row in (await session.scalars(query)).all()]

    async def revision(self, revision_id: int) -> Revision | None:
        async with self._sessions() as session:
            row = await session.get(RevisionRow, revision_id)
        return revision_of(row) if row is not None else None

    async def pending_revisions(self) -> list[Revision]:
        """Files' versions kept on import because an agent had changed the entry."""
        query = (
            select(RevisionRow)
            .where(RevisionRow.state == RevisionState.PENDING.value)
            .order_by(RevisionRow.id)
        )
        async with self._sessions() as session:
            return [revision_of(row) for row in (await session.scalars(query)).all()]

    # editing

    async def update_translation(
        self,
        slug: str,
        locale: str,
        edit: TranslationEdit,
        by: str,
        *,
        base_version: int | None = None,
    ) -> Revision | None:
        """Change one translation; None when it changes nothing.

        A French change marks every other translation outdated. With `base_version` (the
        `version` of the entry the agent was shown), an edit made on an older version is
        refused with `StaleEdit` rather than written over someone else's.
        """
        async with self.unit() as unit:
            stored = await self._editable(unit, slug, base_version)
            edited = with_translation_edit(stored.document, locale, edit, by)
            if edited is None:
                return None
            return await unit.save(stored, edited, by=by, action=Action.EDIT, locale=locale)

    async def save_entry(
        self, entry: EntryFile, by: str, *, base_version: int | None = None
    ) -> Revision | None:
        """Create an entry or replace one whole (sources, places, checklist...)."""
        async with self.unit() as unit:
            stored = await unit.stored(entry.slug, lock=True)
            if stored is None:
                _, created = await unit.add(entry, by=by, action=Action.EDIT)
                return created
            _check_version(stored, base_version)
            return await unit.save(stored, entry, by=by, action=Action.EDIT)

    async def restore(self, revision_id: int, by: str) -> Revision | None:
        """Put the entry back as it was after `revision_id`; a pending revision is applied.

        Returns the new revision, or None when the entry already was so.
        """
        async with self.unit() as unit:
            target = await unit.revision_row(revision_id)
            stored = await unit.stored(target.slug, lock=True)
            if stored is None:
                raise UnknownEntry(target.slug)
            restored = await unit.save(
                stored,
                EntryFile.model_validate(target.after),
                by=by,
                action=Action.RESTORE,
                locale=target.locale,
                note=f"restores revision {target.id}",
            )
            if target.state == RevisionState.PENDING.value:
                target.state = RevisionState.ACCEPTED.value
            return restored

    async def dismiss(self, revision_id: int, by: str) -> None:
        """Leave a pending revision unapplied; the next import of that same file is quiet."""
        async with self.unit() as unit:
            target = await unit.revision_row(revision_id)
            if target.state != RevisionState.PENDING.value:
                raise UnknownRevision(f"revision {revision_id} is not pending")
            target.state = RevisionState.DISMISSED.value
            target.note = f"{target.note or ''} (dismissed by {by})".strip()
            stored = await unit.stored(target.slug, lock=True)
            if stored is not None:
                stored.row.file_fingerprint = target.fingerprint

    async def _editable(
        self, unit: KnowledgeUnit, slug: str, base_version: int | None
    ) -> StoredEntry:
        stored = await unit.stored(slug, lock=True)
        if stored is None:
            raise UnknownEntry(slug)
        _check_version(stored, base_version)
        return stored


def _check_version(stored: StoredEntry, base_version: int | None) -> None:
    if base_version is not None and base_version != stored.version:
        raise StaleEdit(
            f"{stored.document.slug} is at version {stored.version}, "
            f"the edit was made on version {base_version}"
        )
