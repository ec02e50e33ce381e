"""The knowledge base as the journeys read it: a copy in memory, kept current from the store.

Every screen of a journey reads several entries (the card, its related entries); a copy
keeps that off the database. Every `max_age` seconds a read first asks the store for the
entries' versions (one small query); only when they changed is the copy read again, and
whoever listens (`LiveSearch`) told. So an agent's edit, a publication or an archiving
shows within seconds in every process, and the search finds it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from knowledge.documents import documents_from_entries
from knowledge.schema import EntryFile, Kind, Situation, Topic
from knowledge.search import SearchHit, SearchIndex
from knowledge.store import KnowledgeStore
from knowledge.views import LocalizedEntry, localize

__all__ = ["DEFAULT_MAX_AGE", "CachedLibrary", "LiveSearch"]

log = logging.getLogger("passerelle.knowledge")

#: Seconds a copy is used before the store's versions are read again.
DEFAULT_MAX_AGE = 2.0

#: Told the entries (published or not) when the library's copy changed.
ChangeListener = Callable[[Sequence[EntryFile]], None]


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
        self._listeners: list[ChangeListener] = []
        self._checking: asyncio.Task[None] | None = None

    def listen(self, listener: ChangeListener) -> None:
        """Call `listener` with every entry each time the copy changes."""
        self._listeners.append(listener)

    async def load(self) -> list[EntryFile]:
        """Read the store now (at start): every entry, published or not."""
        async with self._lock:
            await self._reload()
        return [entry for entry, _ in self._entries.values()]

    def check_soon(self) -> None:
        """Check the store in the background when the copy is due (for readers that cannot
        wait, such as the search); nothing when it is fresh or a check is running."""
        if not self._due() or (self._checking is not None and not self._checking.done()):
            return
        try:
            self._checking = asyncio.get_running_loop().create_task(self._fresh_quietly())
        except RuntimeError:
            return  # no event loop (a command-line tool): its copy stays as it is

    async def close(self) -> None:
        """Stop a check of the store under way (the process is stopping)."""
        await _cancelled(self._checking)

    def _due(self) -> bool:
        return self._loaded_at is None or self.clock() - self._loaded_at >= self.max_age

    async def _fresh_quietly(self) -> None:
        try:
            await self._fresh()
        except Exception as error:
            log.error("kb.library.check_failed error=%s", type(error).__name__)

    async def _fresh(self) -> dict[str, tuple[EntryFile, int]]:
        if not self._due():
            return self._entries
        async with self._lock:
            if self._due():
                versions = await self.store.versions()
                current = {slug: version for slug, (_, version) in self._entries.items()}
                if versions != current or self._loaded_at is None:
                    await self._reload()
                else:
                    self._loaded_at = self.clock()
        return self._entries

    async def _reload(self) -> None:
        snapshot = await self.store.snapshot()
        changed = self._loaded_at is not None
        self._entries = {entry.slug: (entry, version) for entry, version in snapshot}
        self._views = {}
        self._loaded_at = self.clock()
        if changed:
            entries = [entry for entry, _ in snapshot]
            for listener in self._listeners:
                listener(entries)

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


class LiveSearch:
    """The search index of what the library holds now.

    Searching asks the library to check the store when its copy is due, without waiting.
    When the copy changed, a new index is built from it in a worker thread, off the event
    loop and off every message's path, and replaces the old one once built; meanwhile the
    old one answers. Changes that come during a build are taken by one more build.
    """

    def __init__(
        self,
        library: CachedLibrary,
        index: SearchIndex,
        *,
        build: Callable[[Sequence[EntryFile]], SearchIndex] | None = None,
    ) -> None:
        self.library = library
        self.index = index
        self._build = build or _index_of
        self._latest: Sequence[EntryFile] | None = None
        self._building: asyncio.Task[None] | None = None
        library.listen(self._changed)

    @classmethod
    async def start(cls, library: CachedLibrary) -> LiveSearch:
        """The library loaded and its index built, in a worker thread."""
        entries = await library.load()
        return cls(library, await asyncio.to_thread(_index_of, entries))

    def search(self, query: str, locale: str, limit: int = 3) -> list[SearchHit]:
        self.library.check_soon()
        return self.index.search(query, locale, limit)

    def title(self, slug: str, locale: str) -> str | None:
        return self.index.title(slug, locale)

    def _changed(self, entries: Sequence[EntryFile]) -> None:
        self._latest = entries
        if self._building is None or self._building.done():
            self._building = asyncio.get_running_loop().create_task(self._rebuild())

    async def _rebuild(self) -> None:
        while self._latest is not None:
            entries, self._latest = self._latest, None
            try:
                # In a worker thread: the stemmers it shares with searches on the loop never
                # release the GIL, so no call of theirs runs in both threads at once.
                self.index = await asyncio.to_thread(self._build, entries)
            except Exception as error:
                log.error("kb.search.rebuild_failed error=%s", type(error).__name__)
                return
            log.info("kb.search.rebuilt entries=%d", len(entries))

    async def close(self) -> None:
        """Stop checking and rebuilding (the process is stopping); searches still answer."""
        self._latest = None
        await self.library.close()
        await _cancelled(self._building)

    async def settled(self) -> None:
        """Until the index has caught up with the library's latest copy (for tests)."""
        while self._building is not None and not self._building.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._building)


async def _cancelled(task: asyncio.Task[None] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _index_of(entries: Sequence[EntryFile]) -> SearchIndex:
    return SearchIndex.build(documents_from_entries(entries))
