"""Dialogs as data: steps with a `show` and handlers, grouped in dialogs, kept in a registry.

A step never sends anything: it returns replies and says where to go next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dialogs.i18n import Catalogs, Translator
from dialogs.replies import Option, Options, Reply
from dialogs.state import ConversationState, DataT, Person, StepData, load_data, store_data

if TYPE_CHECKING:
    from dialogs.ports import Conversations, Services

#: Separates a step's code from the value in an option id: "lang:fa".
SEP = ":"
NAV_MENU = "nav:menu"
NAV_BACK = "nav:back"


@dataclass
class Context:
    """Everything a step may read while handling one update."""

    person: Person
    state: ConversationState
    t: Translator
    catalogs: Catalogs
    registry: Registry
    conversations: Conversations
    now: dt.datetime
    #: What the runtime plugs in: the knowledge base, search, rules.
    services: Services

    def data(self, model: type[DataT]) -> DataT:
        return load_data(self.state, model)

    def keep(self, value: StepData) -> None:
        store_data(self.state, value)

    def switch_locale(self, code: str) -> None:
        self.person.locale = code
        self.t = self.catalogs.translator(code)


ShowFn = Callable[[Context], Awaitable[Sequence[Reply]]]


@dataclass(frozen=True)
class Outcome:
    """What a handler decided: replies to send now, then maybe a step to enter."""

    replies: tuple[Reply, ...] = ()
    goto: str | None = None
    back: bool = False
    #: Enter `goto` without remembering the current step (e.g. after a language change).
    replace: bool = False


def stay(*replies: Reply) -> Outcome:
    return Outcome(replies=replies)


def go(step: str, *replies: Reply, replace: bool = False) -> Outcome:
    return Outcome(replies=replies, goto=step, replace=replace)


def go_back(*replies: Reply) -> Outcome:
    return Outcome(replies=replies, back=True)


PressFn = Callable[[Context, str], Awaitable[Outcome | None]]
TextFn = Callable[[Context, str], Awaitable[Outcome]]
LocationFn = Callable[[Context, float, float], Awaitable[Outcome]]


@dataclass(frozen=True)
class Step:
    """One screen of a dialog.

    `show` draws it; `on_press` handles its buttons (None means "not a choice of
    mine"); `on_text` makes it a step that expects typed text.
    """

    code: str
    show: ShowFn
    on_press: PressFn | None = None
    on_text: TextFn | None = None
    on_location: LocationFn | None = None
    #: An old button of this step, pressed later, may still be handled.
    reentrant: bool = True
    #: Whether the engine adds the Back / Menu row under its options.
    navigation: bool = True


OpenFn = Callable[["Context"], Awaitable[Outcome]]


@dataclass(frozen=True)
class Dialog:
    name: str
    steps: tuple[Step, ...]
    start: str
    #: Main-menu entry: a label (message id) and a pictogram, or None when not in the menu.
    menu_label: str | None = None
    icon: str = ""
    order: int = 100
    #: What the menu item does instead of entering `start` (e.g. open an entry at once).
    on_open: OpenFn | None = None


StartFn = Callable[[Context, str], Awaitable[Outcome | None]]
#: A slash command beyond the global ones (e.g. agents' `/today`), with its argument.
CommandFn = Callable[[Context, str], Awaitable[Outcome]]
FallbackTextFn = Callable[[Context, str], Awaitable[Outcome | None]]


class Registry:
    """All dialogs that exist; the main menu lists exactly these."""

    def __init__(self) -> None:
        self.dialogs: dict[str, Dialog] = {}
        self.steps: dict[str, tuple[Dialog, Step]] = {}
        #: Deep-link payload prefixes (`/start e-health-ame`) and what opens them.
        self.start_payloads: dict[str, StartFn] = {}
        #: Handlers tried, in order, for free text that no step expects.
        self.text_fallbacks: list[FallbackTextFn] = []
        #: Handlers tried, in order, for free text before the current step sees it (an
        #: agent who took the conversation over reads it instead of the search).
        self.text_first: list[FallbackTextFn] = []
        self.location_fallback: LocationFn | None = None
        #: Extra slash commands by name; each checks who may use it.
        self.commands: dict[str, CommandFn] = {}

    def add(self, dialog: Dialog) -> None:
        if dialog.name in self.dialogs:
            raise ValueError(f"dialog {dialog.name!r} registered twice")
        codes = {step.code for step in dialog.steps}
        if dialog.start not in codes and dialog.on_open is None:
            raise ValueError(f"dialog {dialog.name!r} starts at unknown step {dialog.start!r}")
        for step in dialog.steps:
            if step.code in self.steps or SEP in step.code or not step.code:
                raise ValueError(f"step code {step.code!r} is empty, reused or contains {SEP!r}")
            self.steps[step.code] = (dialog, step)
        self.dialogs[dialog.name] = dialog

    def step(self, code: str) -> tuple[Dialog, Step] | None:
        return self.steps.get(code)

    def menu_dialogs(self) -> list[Dialog]:
        listed = [dialog for dialog in self.dialogs.values() if dialog.menu_label]
        return sorted(listed, key=lambda dialog: (dialog.order, dialog.name))

    def on_start(self, prefix: str, handler: StartFn) -> None:
        self.start_payloads[prefix] = handler


def option(value: str, label: str, description: str | None = None) -> Option:
    """An option local to the step showing it; the engine adds the step's code."""
    return Option(id=value, label=label, description=description)


def column(*options: Option) -> tuple[tuple[Option, ...], ...]:
    """One button per row: the easiest to read and tap."""
    return tuple((item,) for item in options)


def ask(text: str, *options: Option) -> Options:
    return Options(text=text, rows=column(*options))


def qualify(replies: Sequence[Reply], step_code: str) -> list[Reply]:
    """Prefix local option ids with the step that offers them ("fa" → "lang:fa")."""
    result: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Options):
            rows = tuple(
                tuple(
                    item
                    if SEP in item.id
                    else Option(
                        id=f"{step_code}{SEP}{item.id}",
                        label=item.label,
                        description=item.description,
                    )
                    for item in row
                )
                for row in reply.rows
            )
            result.append(Options(text=reply.text, rows=rows, replaceable=reply.replaceable))
        else:
            result.append(reply)
    return result
