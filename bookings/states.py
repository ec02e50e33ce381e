"""The life of a booking: which action leads from which status to which.

    requested ──confirm──▶ confirmed ──attend──▶ attended
        │ └──decline──▶ declined        └──no_show──▶ no_show
        └──cancel──▶ cancelled ◀──cancel──┘

A move keeps the status (a person's move on a service an agent confirms goes back to
`requested`). Every transition is recorded with who made it and when (`booking_events`).
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"

    @property
    def is_open(self) -> bool:
        """Still ahead of the person: it holds a place and counts as their booking."""
        return self in OPEN


class Action(StrEnum):
    REQUEST = "request"
    CONFIRM = "confirm"
    DECLINE = "decline"
    CANCEL = "cancel"
    ATTEND = "attend"
    NO_SHOW = "no_show"
    MOVE = "move"


OPEN = frozenset({Status.REQUESTED, Status.CONFIRMED})

#: (from, action) → to. What is not here is refused.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.REQUESTED, Action.CONFIRM): Status.CONFIRMED,
    (Status.REQUESTED, Action.DECLINE): Status.DECLINED,
    (Status.REQUESTED, Action.CANCEL): Status.CANCELLED,
    (Status.REQUESTED, Action.MOVE): Status.REQUESTED,
    (Status.CONFIRMED, Action.CANCEL): Status.CANCELLED,
    (Status.CONFIRMED, Action.ATTEND): Status.ATTENDED,
    (Status.CONFIRMED, Action.NO_SHOW): Status.NO_SHOW,
    (Status.CONFIRMED, Action.MOVE): Status.CONFIRMED,
}


class InvalidTransition(Exception):
    """The action does not apply to the booking's current status."""

    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"cannot {action.value} a booking that is {status.value}")
        self.status = status
        self.action = action


def after(status: Status, action: Action) -> Status:
    """The status `action` leads to from `status`; raises InvalidTransition otherwise."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise InvalidTransition(status, action)
    return target


def allowed(status: Status) -> frozenset[Action]:
    return frozenset(action for (source, action) in TRANSITIONS if source is status)
