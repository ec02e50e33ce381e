"""What the engine needs from storage, as small protocols the runtime implements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from bookings.catalogue import Catalogue
from bookings.slots import SlotPlan
from bookings.views import (
    AgentLine,
    Booked,
    BookingView,
    Contact,
    EventView,
    SlotCancelled,
    SlotsAdded,
    SlotView,
)
from dialogs.replies import Reply
from dialogs.state import ConversationState, Person
from knowledge.orientation import OrientationRules
from knowledge.schema import Kind, Situation, Topic
from knowledge.views import LocalizedEntry


class StaleState(Exception):
    """Another update for the same person saved first; the handling is retried."""


class Bookings(Protocol):
    """The booking desk as the journeys and the agents' commands use it, in the
    transaction of the update being handled (`Conversations.bookings`).

    A refusal is raised as `bookings.refusals.Refused`, a transition the state machine
    forbids as `bookings.states.InvalidTransition`. Every `now` is the caller's clock.
    """

    @property
    def catalogue(self) -> Catalogue: ...

    @property
    def retention(self) -> dt.timedelta:
        """How long after an appointment (or its closing) its contact data is kept."""
        ...

    # -- reading --------------------------------------------------------------------------

    async def slot(self, slot_id: int) -> SlotView | None: ...

    async def free_slots(
        self,
        service_id: str,
        place_id: str,
        now: dt.datetime,
        *,
        on: dt.date | None = ...,
        limit: int = ...,
    ) -> list[SlotView]:
        """Slots ahead with a free seat, soonest first; `on` keeps one Paris day."""
        ...

    async def free_days(
        self,
        service_id: str,
        place_id: str,
        now: dt.datetime,
        *,
        after_day: dt.date | None = ...,
        limit: int = ...,
    ) -> list[SlotView]:
        """The first free slot of each of the next days that have one (Paris days)."""
        ...

    async def booking(self, reference: str, person_id: int | None = ...) -> BookingView | None:
        """A booking by its reference; with `person_id`, only if it is theirs."""
        ...

    async def by_request_key(self, person_id: int, request_key: str) -> BookingView | None: ...

    async def mine(self, person_id: int, now: dt.datetime) -> list[BookingView]:
        """The person's open bookings, soonest first, then those closed lately."""
        ...

    async def contact(self, booking_id: int) -> Contact | None: ...

    async def history(self, reference: str) -> list[EventView]: ...

    async def day(self, day: dt.date) -> list[AgentLine]: ...

    async def agenda(self, start: dt.datetime, end: dt.datetime) -> list[AgentLine]: ...

    async def waiting(self) -> list[AgentLine]:
        """Requests an agent has to answer, oldest first."""
        ...

    async def slots_between(
        self, start: dt.datetime, end: dt.datetime, service_id: str | None = ...
    ) -> list[SlotView]: ...

    # -- the person's transitions (cancel and move serve the agents too) -------------------

    async def request(
        self,
        *,
        person_id: int,
        locale: str,
        service_id: str,
        request_key: str,
        now: dt.datetime,
        slot_id: int | None = ...,
        place_id: str | None = ...,
        contact: Contact | None = ...,
        by: str = ...,
    ) -> Booked:
        """Book a slot or ask for a time; the same `request_key` twice books once."""
        ...

    async def cancel(
        self,
        reference: str,
        *,
        by: str,
        now: dt.datetime,
        person_id: int | None = ...,
        reason: str | None = ...,
    ) -> BookingView: ...

    async def move(
        self,
        reference: str,
        slot_id: int,
        *,
        by: str,
        now: dt.datetime,
        person_id: int | None = ...,
    ) -> BookingView: ...

    # -- the agents' transitions and slots --------------------------------------------------

    async def confirm(
        self,
        reference: str,
        *,
        by: str,
        now: dt.datetime,
        starts_at: dt.datetime | None = ...,
        minutes: int | None = ...,
        place_id: str | None = ...,
        place_text: str | None = ...,
    ) -> BookingView: ...

    async def retime(
        self,
        reference: str,
        starts_at: dt.datetime,
        *,
        by: str,
        now: dt.datetime,
        minutes: int | None = ...,
    ) -> BookingView: ...

    async def decline(
        self, reference: str, *, by: str, now: dt.datetime, reason: str | None
    ) -> BookingView: ...

    async def attended(self, reference: str, *, by: str, now: dt.datetime) -> BookingView: ...

    async def no_show(self, reference: str, *, by: str, now: dt.datetime) -> BookingView: ...

    async def add_slots(
        self, plans: Sequence[SlotPlan], *, by: str, now: dt.datetime
    ) -> SlotsAdded: ...

    async def cancel_slot(
        self, slot_id: int, *, by: str, now: dt.datetime, reason: str | None = ...
    ) -> SlotCancelled: ...


class Conversations(Protocol):
    """One unit of work: everything it does commits together or not at all."""

    async def claim_update(self, channel: str, update_id: str) -> bool:
        """Record a delivery; False when it was already processed."""
        ...

    async def person(self, channel: str, platform_id: str) -> Person: ...

    async def save_person(self, person: Person) -> None: ...

    async def forget_person(self, person: Person) -> None:
        """Erase everything kept about the person (their own request)."""
        ...

    async def state(self, person: Person) -> ConversationState: ...

    async def save_state(self, person: Person, state: ConversationState) -> None:
        """Save if nobody saved since it was loaded, else raise StaleState."""
        ...

    async def queue(self, person: Person, replies: Sequence[Reply]) -> list[int]:
        """Put the replies in the outbox, in order; returns their outbox ids."""
        ...

    async def open_ticket(
        self, person: Person, locale: str, question: str, kind: str = "question", priority: int = 0
    ) -> int:
        """Leave a question for an agent (the person asked for it); returns its number.

        `kind` says why ("question", "crisis", "person", "booking"); a higher `priority`
        comes first in the agents' inbox.
        """
        ...

    async def count_unanswered(self, locale: str) -> None:
        """Count a question the knowledge base could not answer, per locale and day."""
        ...

    def bookings(self) -> Bookings | None:
        """The booking desk in this unit's transaction, so that what a step books commits
        with the conversation or not at all; None when the runtime has no bookings."""
        ...


@dataclass(frozen=True)
class QuestionSummary:
    """One of a person's questions to the staff, as `/myquestions` lists it."""

    number: int
    question: str
    #: "open" (waiting for an agent), "answered" (waiting for the person) or "closed"
    status: str
    #: The staff's latest answer, if any.
    last_answer: str | None = None


class TicketThreads(Protocol):
    """The person's side of the agents' inbox (implemented in `bot.workspace.threads`)."""

    async def add_from_person(
        self, conversations: Conversations, person: Person, number: int, text: str
    ) -> bool:
        """Add the person's words to their own open ticket; False when it is not theirs or closed."""
        ...

    async def questions_of(
        self, conversations: Conversations, person: Person
    ) -> Sequence[QuestionSummary]:
        """The person's questions not closed, newest first."""
        ...


class ConversationStore(Protocol):
    def unit(self) -> AbstractAsyncContextManager[Conversations]: ...


class Library(Protocol):
    """The knowledge base as the journeys read it."""

    async def entry(self, slug: str, locale: str) -> LocalizedEntry | None: ...

    async def entries(
        self,
        locale: str,
        *,
        kind: Kind | None = None,
        situation: Situation | None = None,
        topic: Topic | None = None,
    ) -> list[LocalizedEntry]: ...


class Hit(Protocol):
    @property
    def slug(self) -> str: ...

    @property
    def score(self) -> float: ...


class Searcher(Protocol):
    def search(self, query: str, locale: str, limit: int = 3) -> Sequence[Hit]: ...


class NoSearch:
    """Used when no index is built: every question goes to a person."""

    def search(self, query: str, locale: str, limit: int = 3) -> Sequence[Hit]:
        return []


@dataclass
class Services:
    """What the dialogs read besides the conversation: plugged in by the runtime."""

    library: Library
    search: Searcher = field(default_factory=NoSearch)
    orientation: OrientationRules | None = None
    #: The person's side of the agents' inbox (None when the runtime has none).
    tickets: TicketThreads | None = None
