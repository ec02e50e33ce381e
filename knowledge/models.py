"""Knowledge-base tables (entries, translations, checklist items, places, revisions, imports).

The database is the live truth that agents edit; `knowledge/content/` is its seed and its
reviewable export. Lists that are only ever read and written whole (tags, sources,
keywords, per-locale labels) are JSON; what is edited or counted on its own has a row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sqlbase import Base

#: The one metadata of every table (`sqlbase`); the old name stays for readers.
KnowledgeBase = Base


class EntryRow(KnowledgeBase):
    __tablename__ = "kb_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(48), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(JSON)
    situations: Mapped[list[str]] = mapped_column(JSON)
    topics: Mapped[list[str]] = mapped_column(JSON)
    related: Mapped[list[str]] = mapped_column(JSON)
    #: [{title, url, checked}], in the order the entry cites them.
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    review_due: Mapped[dt.date] = mapped_column(Date)
    #: When a person last checked the entry against its sources (not a source's own date).
    checked: Mapped[dt.date | None] = mapped_column(Date)
    published: Mapped[bool] = mapped_column(Boolean)
    #: Bumped on every change: an edit made on an older version is refused, not lost.
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(128))
    #: Fingerprint of the entry as the last import left it: a different one means an agent
    #: changed it since, and the next import must not overwrite it.
    imported_fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: Fingerprint of the file that import read: an unchanged file brings nothing new.
    file_fingerprint: Mapped[str | None] = mapped_column(String(64))

    translations: Mapped[list[TranslationRow]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="TranslationRow.id"
    )
    checklist: Mapped[list[ChecklistItemRow]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="ChecklistItemRow.position"
    )
    places: Mapped[list[PlaceRow]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="PlaceRow.position"
    )


class TranslationRow(KnowledgeBase):
    __tablename__ = "kb_translations"
    __table_args__ = (UniqueConstraint("entry_id", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("kb_entries.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    #: source / machine / reviewed / outdated
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    short_title: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    #: `source_hash` of the French text this translation was made from.
    source_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(128))

    entry: Mapped[EntryRow] = relationship(back_populates="translations")


class ChecklistItemRow(KnowledgeBase):
    __tablename__ = "kb_checklist_items"
    __table_args__ = (UniqueConstraint("entry_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("kb_entries.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(48))
    position: Mapped[int] = mapped_column(Integer)
    optional: Mapped[bool] = mapped_column(Boolean)
    #: {locale: label}; French is always there, for showing at a desk.
    labels: Mapped[dict[str, str]] = mapped_column(JSON)

    entry: Mapped[EntryRow] = relationship(back_populates="checklist")


class PlaceRow(KnowledgeBase):
    __tablename__ = "kb_places"
    __table_args__ = (UniqueConstraint("entry_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("kb_entries.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(48))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    arrondissement: Mapped[int | None] = mapped_column(Integer)
    postcode: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: `OpeningHours` as data: weekly ranges, dated exceptions, holiday rule.
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    phone: Mapped[str | None] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON)
    #: {locale: conditions of access}
    access: Mapped[dict[str, str]] = mapped_column(JSON)
    bookable: Mapped[bool] = mapped_column(Boolean)

    entry: Mapped[EntryRow] = relationship(back_populates="places")


class RevisionRow(KnowledgeBase):
    """One change of one entry, whole before and after, so any revision can be restored.

    A pending revision is a change that was not applied (a file's version that met an
    agent's edit on import); restoring it applies it.
    """

    __tablename__ = "kb_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(48), index=True)
    #: The translation the change was about; None for the entry as a whole.
    locale: Mapped[str | None] = mapped_column(String(16))
    #: What made it: edit, import, restore, po-import...
    action: Mapped[str] = mapped_column(String(16))
    #: applied / pending / accepted (a pending one restored) / dismissed
    state: Mapped[str] = mapped_column(String(16), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Fingerprint of `after`.
    fingerprint: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class ImportRow(KnowledgeBase):
    """One run of an import, with what it did."""

    __tablename__ = "kb_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(Text)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    conflicts: Mapped[int] = mapped_column(Integer)
