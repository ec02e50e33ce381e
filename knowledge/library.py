"""The knowledge base as the journeys read it: a copy in memory, refreshed from the store.

Every screen of a journey reads several entries (the card, its related entries); a
copy refreshed every few seconds keeps that off the database while an agent's edit
still shows within that delay, in every worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from knowledge.schema import EntryFile, Kind, Situation, Topic
from knowledge.store import KnowledgeStore
from knowledge.views import LocalizedEntry, localize

#: Seconds a copy is used before the store is read again.
DEFAULT_MAX_AGE = 10.0


class CachedLibrary:
    def __init__(
        self,
        store: KnowledgeStore,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.max_age = max_age
        self.clock = clock
        self._entries: dict[str, tuple[EntryFile, int]] = {}
        self._loaded_at: float | None = None
        self._views: dict[tuple[str, str], LocalizedEntry] = {}
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Read the store again at the next request (after an edit in this process)."""
        self._loaded_at = None

    async def _fresh(self) -> dict[str, tuple[EntryFile, int]]:
        now = self.clock()
        if self._loaded_at is not None and now - self._loaded_at < self.max_age:
            return self._entries
        async with self._lock:
            if self._loaded_at is None or self.clock() - self._loaded_at >= self.max_age:
                snapshot = await self.store.snapshot()
                self._entries = {entry.slug: (entry, version) for entry, version in snapshot}
                self._views = {}
                self._loaded_at = self.clock()
        return self._entries

    def _view(self, entry: EntryFile, version: int, locale: str) -> LocalizedEntry:
        key = (entry.slug, locale)
        view = self._views.get(key)
        if view is None or view.version != version:
            view = localize(entry, locale, version)
            self._views[key] = view
        return view

    async def entry(self, slug: str, locale: str) -> LocalizedEntry | None:
        found = (await self._fresh()).get(slug)
        if found is None or not found[0].published:
            return None
        return self._view(found[0], found[1], locale)

    async def entries(
        self,
        locale: str,
        *,
        kind: Kind | None = None,
        situation: Situation | None = None,
        topic: Topic | None = None,
    ) -> list[LocalizedEntry]:
        """Published entries by slug; an entry for everyone (no situations) fits every one."""
        found: list[LocalizedEntry] = []
        for slug in sorted(entries := await self._fresh()):
            entry, version = entries[slug]
            if not entry.published or (kind is not None and entry.kind is not kind):
                continue
            if situation is not None and entry.situations and situation not in entry.situations:
                continue
            if topic is not None and topic not in entry.topics:
                continue
            found.append(self._view(entry, version, locale))
        return found
