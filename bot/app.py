"""Wiring: the database, the engine, its dialogs and services, for any channel."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bookings.catalogue import EntryReader, check_against_knowledge, load_catalogue
from bookings.store import BookingDesk
from bot.db import Database, open_database
from bot.metrics import MeasuredEngine
from bot.settings import Settings
from bot.storage import Outbox, SqlConversationStore
from bot.workspace.threads import SqlTicketThreads
from dialogs.catalog import build_registry
from dialogs.engine import Engine, utcnow
from dialogs.i18n import Catalogs
from dialogs.ports import Services
from knowledge.library import CachedLibrary, LiveSearch
from knowledge.orientation import load_rules
from knowledge.places import is_public_holiday
from knowledge.store import KnowledgeStore
from knowledge.transfer import ensure_bundled

log = logging.getLogger("passerelle.app")


@dataclass
class App:
    settings: Settings
    database: Database
    engine: Engine
    outbox: Outbox
    catalogs: Catalogs
    #: The booking desk; the engine's units hand its units to the steps.
    bookings: BookingDesk

    async def close(self) -> None:
        search = self.engine.services.search
        if isinstance(search, LiveSearch):
            await search.close()
        await self.database.close()


async def build_services(database: Database) -> Services:
    """The knowledge base (bundled content imported when empty), its search index, the rules."""
    store = KnowledgeStore(database.sessions, write_sessions=database.write_sessions)
    report = await ensure_bundled(store)
    if report is not None:
        log.info("kb.bundled_imported")
    library = CachedLibrary(store)
    # Rebuilt in the background when the library sees the entries change (any process).
    search = await LiveSearch.start(library)
    # The holiday tables take ~0.3 s to load: at start, not in the first "open now" answer.
    is_public_holiday(utcnow().date())
    return Services(
        library=library,
        search=search,
        orientation=load_rules(),
        tickets=SqlTicketThreads(),
    )


async def build_bookings(
    database: Database, library: EntryReader, retention_days: int, services_file: Path | None = None
) -> BookingDesk:
    """Services of `bookings/services.yaml` (or the settings' file), checked against the
    knowledge base's places."""
    catalogue = load_catalogue(services_file) if services_file else load_catalogue()
    for problem in await check_against_knowledge(catalogue, library):
        log.warning("bookings.catalogue %s", problem)
    desk = BookingDesk(
        catalogue, database.write_sessions, retention=dt.timedelta(days=retention_days)
    )
    await desk.sync_services(utcnow())
    return desk


def settle_for_serving() -> None:
    """Take what start-up built out of the cycle collector's reach, once, before serving.

    The knowledge base, its search index, the catalogs and the imported libraries live
    as long as the process: some 200,000 objects that every full collection would walk
    again (measured: two pauses of ~0.14 s in 1,200 Telegram updates, ~13 % of the CPU).
    Called by the long-running commands only: tests build many apps in one process.
    """
    gc.collect()
    gc.freeze()


async def build_app(
    settings: Settings,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
    catalogs: Catalogs | None = None,
) -> App:
    database = await open_database(settings.database_url)
    catalogs = catalogs or Catalogs()
    if settings.default_locale not in catalogs:
        log.warning("settings.default_locale.unknown")
    services = await build_services(database)
    bookings = await build_bookings(
        database, services.library, settings.booking_retention_days, settings.services_file
    )
    units = SqlConversationStore(database, bookings=bookings, lease=settings.delivery_lease)
    # Counted and timed for `/metrics` (bot/metrics.py); otherwise the engine itself.
    engine = MeasuredEngine(
        store=units,
        registry=build_registry(),
        catalogs=catalogs,
        default_locale=settings.default_locale,
        services=services,
        clock=clock,
    )
    return App(
        settings=settings,
        database=database,
        engine=engine,
        outbox=Outbox(database, units),
        catalogs=catalogs,
        bookings=bookings,
    )
