"""The booking desk in the database: slots, bookings and their transitions.

Seats are taken with one conditional UPDATE (`booked = booked + 1 WHERE booked <
capacity AND the slot is open and ahead`): PostgreSQL re-checks the condition on the
row it waited for, SQLite runs writers one at a time (units BEGIN IMMEDIATE), and a
CHECK constraint refuses a seat too many whatever happens. Transitions are
compare-and-set on the status, so two agents acting at once cannot both win.

A unit is either bound to the transaction of the update being handled (`bound`: a step's
booking commits with its conversation state, or not at all) or its own (`unit`: the
command line, jobs, tests). Its operations live by what they serve: `queries`, the
person's transitions (`person`), the agents' (`agents`), `slot_admin`, `retention`.
The dialogs see none of this: they use the `dialogs.ports.Bookings` protocol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bookings.catalogue import Catalogue
from bookings.models import ServiceRow
from bookings.refusals import PERSON, SYSTEM, Refusal, Refused, agent_actor
from bookings.store._base import Rules, booking_view, slot_view
from bookings.store.agents import AgentTransitions
from bookings.store.person import PersonTransitions
from bookings.store.queries import Queries
from bookings.store.retention import Retention, forget_person
from bookings.store.slot_admin import SlotAdmin
from bookings.views import utc

__all__ = [
    "PERSON",
    "SYSTEM",
    "BookingDesk",
    "BookingUnit",
    "Refusal",
    "Refused",
    "Rules",
    "agent_actor",
    "booking_view",
    "forget_person",
    "slot_view",
]


class BookingUnit(Queries, PersonTransitions, AgentTransitions, SlotAdmin, Retention):
    """Every booking operation, inside one transaction."""


class BookingDesk:
    """Where the dialogs, the agents' commands and the jobs reach the bookings."""

    def __init__(
        self,
        catalogue: Catalogue,
        write_sessions: async_sessionmaker[AsyncSession],
        *,
        retention: dt.timedelta = dt.timedelta(days=90),
    ) -> None:
        """`write_sessions` must be the database's writing sessions: on SQLite they BEGIN
        IMMEDIATE, so concurrent units queue instead of failing half-way."""
        self.rules = Rules(catalogue=catalogue, retention=retention)
        self._sessions = write_sessions

    @property
    def catalogue(self) -> Catalogue:
        return self.rules.catalogue

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[BookingUnit]:
        """A transaction of its own: committed when the block ends, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield BookingUnit(session, self.rules)

    def bound(self, session: Callable[[], AsyncSession]) -> BookingUnit:
        """A unit in a transaction someone else began and ends: the runtime's conversation
        unit hands it to the steps (`Conversations.bookings`), so what a step books commits
        with the conversation, once (a second transaction would also wait for the SQLite
        write lock the update already holds). `session` is called when the unit first needs
        the database."""
        return BookingUnit(session, self.rules)

    async def sync_services(self, now: dt.datetime) -> None:
        """Mirror `services.yaml` into `booking_services`; services gone are deactivated."""
        async with self._sessions() as session, session.begin():
            rows = {row.id: row for row in (await session.scalars(select(ServiceRow))).all()}
            for service in self.catalogue.services:
                row = rows.pop(service.id, None)
                if row is None:
                    row = ServiceRow(id=service.id)
                    session.add(row)
                row.entry_slug = service.entry
                row.mode = service.mode.value
                row.places = list(service.places)
                row.active = True
                row.updated_at = utc(now)
            for gone in rows.values():
                gone.active = False
                gone.updated_at = utc(now)
