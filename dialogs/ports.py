"""What the engine needs from storage, as small protocols the runtime implements."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from dialogs.replies import Reply
from dialogs.state import ConversationState, Person


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


class ConversationStore(Protocol):
    def unit(self) -> AbstractAsyncContextManager[Conversations]: ...
