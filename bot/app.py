"""Wiring: the database, the engine, its dialogs and services, for any channel."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.db import Database, open_database
from bot.settings import Settings
from bot.storage import Outbox, SqlConversationStore
from dialogs.catalog import build_registry
from dialogs.engine import Engine, utcnow
from dialogs.i18n import Catalogs

log = logging.getLogger("passerelle.app")


@dataclass
class App:
    settings: Settings
    database: Database
    engine: Engine
    outbox: Outbox
    catalogs: Catalogs

    async def close(self) -> None:
        await self.database.close()


async def build_services(database: Database) -> dict[type[Any], Any]:
    """The services dialogs read from (knowledge base, bookings...), by type."""
    services: dict[type[Any], Any] = {}
    return services


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
    engine = Engine(
        store=SqlConversationStore(database.sessions),
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
        outbox=Outbox(database.sessions),
        catalogs=catalogs,
    )
