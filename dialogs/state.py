"""Where a person is in a conversation, and who they are to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

#: JSON-compatible values only: the state is stored as JSON and read by other processes.
JsonValue = Any

MAX_BACK_STACK = 20


class StepName(StrEnum):
    """The base of every dialog's step names: `go(Booking.REVIEW)`, never a bare string, so
    that a typo fails at import or in mypy, not in a person's chat. The value is the step's
    code, part of the button ids platforms keep: never change one."""


class Home(StepName):
    """The steps the engine itself enters."""

    MENU = "menu"
    LANGUAGE = "lang"
    HELP = "help"


class Role(StrEnum):
    PERSON = "person"
    AMBASSADOR = "ambassador"
    AGENT = "agent"
    ADMIN = "admin"


class Consent(StrEnum):
    """Things a person may agree to; nothing of the kind is kept without it."""

    REMEMBER_SITUATION = "remember_situation"
    KEEP_CHECKLISTS = "keep_checklists"


@dataclass
class Person:
    id: int
    channel: str
    platform_id: str
    locale: str | None
    role: Role = Role.PERSON
    consents: dict[str, bool] = field(default_factory=dict)
    #: Set only with the person's consent (Consent.REMEMBER_SITUATION).
    situation: str | None = None

    def agreed(self, consent: Consent) -> bool:
        return self.consents.get(consent.value, False)


@dataclass
class ConversationState:
    dialog: str = "core"
    step: str = Home.MENU.value
    #: Per-dialog data, each under its dialog's namespace (see `StepData`).
    data: dict[str, JsonValue] = field(default_factory=dict)
    back_stack: list[str] = field(default_factory=list)
    version: int = 0

    def push(self, step: str) -> None:
        if self.back_stack and self.back_stack[-1] == step:
            return
        self.back_stack.append(step)
        del self.back_stack[:-MAX_BACK_STACK]


#: Namespaces of step data that outlive a conversation, and the consent each needs.
KEPT_WITH_CONSENT: dict[str, Consent] = {}


class StepData(BaseModel):
    """Typed data a dialog keeps between steps; subclasses set `namespace`.

    It lives for the current conversation only, unless the subclass names a consent in
    `kept_with` and the person gave it.
    """

    model_config = ConfigDict(extra="ignore")
    namespace: str = "data"
    kept_with: ClassVar[Consent | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.kept_with is not None:
            KEPT_WITH_CONSENT[cls.model_fields["namespace"].default] = cls.kept_with


def start_conversation(state: ConversationState, person: Person) -> None:
    """A new conversation: forget what the person did not agree to keep."""
    for namespace in list(state.data):
        if namespace.startswith("_"):
            continue
        consent = KEPT_WITH_CONSENT.get(namespace)
        if consent is None or not person.agreed(consent):
            del state.data[namespace]


DataT = TypeVar("DataT", bound=StepData)


def load_data(state: ConversationState, model: type[DataT]) -> DataT:
    namespace = model.model_fields["namespace"].default
    raw = state.data.get(namespace)
    if isinstance(raw, dict):
        try:
            return model.model_validate(raw)
        except ValidationError:
            pass
    return model()


def store_data(state: ConversationState, value: StepData) -> None:
    state.data[value.namespace] = value.model_dump(mode="json", exclude={"namespace"})


class Reading(StepData):
    """The entry a person reads (dialogs/reading.py); places near them follow it."""

    namespace: str = "reading"
    slug: str = ""
    page: int = 0
    #: The reader asked to see the French source instead of a machine draft.
    french: bool = False
