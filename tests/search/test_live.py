"""Search follows the live knowledge: an entry published, changed or archived by another
process is found (or no longer found) by a running process's search within seconds."""

from __future__ import annotations

import asyncio
import time

from bot.app import build_app
from bot.db import open_database
from bot.settings import Settings
from knowledge.library import LiveSearch
from knowledge.store import KnowledgeStore
from tests.knowledge.content import make_entry

DEADLINE = 5.0


async def slugs_within(search: LiveSearch, query: str, wanted: bool, slug: str) -> float:
    """Seconds until `slug` is (or is no longer) among the hits; fails after DEADLINE."""
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE:
        found = slug in {hit.slug for hit in search.search(query, "fr", limit=5)}
        if found == wanted:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"{slug} {'not found' if wanted else 'still found'} after {DEADLINE} s")


async def test_an_entry_published_elsewhere_is_found_then_archived_is_gone(
    settings: Settings,
) -> None:
    app = await build_app(settings)
    # An agent's tool in another process: its own connection to the same database.
    other = await open_database(settings.database_url)
    try:
        search = app.engine.services.search
        assert isinstance(search, LiveSearch)
        store = KnowledgeStore(other.sessions, write_sessions=other.write_sessions)
        entry = make_entry("zorglub-permanence", locales={})
        assert not search.search("zorglub", "fr")

        await store.save_entry(entry, by="agent")
        await slugs_within(search, "zorglub", True, entry.slug)
        # The library the journeys read shows it too.
        assert await app.engine.services.library.entry(entry.slug, "fr") is not None

        changed = entry.model_copy(
            update={
                "translations": {
                    **entry.translations,
                    "fr": entry.translations["fr"].model_copy(
                        update={"title": "Permanence vortigan du quartier", "keywords": []}
                    ),
                }
            }
        )
        await store.save_entry(changed, by="agent")
        await slugs_within(search, "vortigan", True, entry.slug)

        await store.save_entry(changed.model_copy(update={"published": False}), by="agent")
        await slugs_within(search, "vortigan", False, entry.slug)
        assert await app.engine.services.library.entry(entry.slug, "fr") is None
    finally:
        await other.close()
        await app.close()


async def test_a_search_does_not_wait_for_the_store() -> None:
    """The search answers from the index it has; the check of the store runs beside it."""
    from knowledge.library import CachedLibrary
    from knowledge.search import SearchIndex

    class SlowStore:
        calls = 0

        async def versions(self) -> dict[str, int]:
            SlowStore.calls += 1
            await asyncio.sleep(10)
            return {}

    library = CachedLibrary(SlowStore(), max_age=0.0)  # type: ignore[arg-type]
    library._loaded_at = 0.0  # a copy is held (empty), and it is due
    live = LiveSearch(library, SearchIndex.build([]))
    started = time.monotonic()
    assert live.search("permanence", "fr") == []
    assert time.monotonic() - started < 0.5
    await asyncio.sleep(0)
    assert SlowStore.calls == 1
    assert library._checking is not None
    library._checking.cancel()
