"""What the engine needs from storage, as small protocols the runtime implements."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from bookings.store import BookingDesk
from dialogs.replies import Reply
from dialogs.state import ConversationState, Person
from knowledge.orientation import OrientationRules
from knowledge.schema import Kind, Situation, Topic
from knowledge.views import LocalizedEntry


class StaleState(Exception):
    """Another update for the same person saved first; the handling is retried."""


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
    #: Appointments: services, slots and bookings (None when the runtime has none).
    bookings: BookingDesk | None = None
    #: The person's side of the agents' inbox (None when the runtime has none).
    tickets: TicketThreads | None = None
