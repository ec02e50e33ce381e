"""Dialogs as data: steps with a `show` and handlers, grouped in dialogs, kept in a registry.

A step never sends anything: it returns replies and says where to go next.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from dialogs.i18n import Catalogs, Translator
from dialogs.replies import NAV_MENU, SEP, Option, Options, Reply
from dialogs.state import (
    ConversationState,
    DataT,
    Home,
    Person,
    StepData,
    StepName,
    load_data,
    store_data,
)
from knowledge import locales

if TYPE_CHECKING:
    from dialogs.ports import Conversations, Services

__all__ = [
    "EMERGENCY_ENTRY",
    "NAV_BACK",
    "NAV_MENU",
    "SEP",
    "Button",
    "CommandFn",
    "Context",
    "Dialog",
    "Home",
    "Opens",
    "Outcome",
    "Registry",
    "Step",
    "StepName",
    "ask",
    "carrying",
    "column",
    "emergency_words",
    "go",
    "go_back",
    "is_emergency",
    "on",
    "option",
    "qualify",
    "stay",
    "to",
]

NAV_BACK = "nav:back"


class Opens(StrEnum):
    """What a journey may open in another one, through the registry (`ctx.open`), without
    importing it; the journey that owns each declares it in its `Dialog.opens`."""

    #: A knowledge entry's card, by slug.
    ENTRY = "entry"
    #: The documents checklist of an entry, by slug.
    CHECKLIST = "checklist"
    #: The places of an entry near the person, by slug ("" for every place).
    NEAR = "near"
    #: A booking of the service that goes with an entry, by slug.
    BOOKING = "booking"
    #: A new time for the person's booking, by reference (its service and place kept first
    #: in `booking_words.BookingFlow`).
    NEW_TIME = "new_time"
    #: The emergency numbers (no argument).
    EMERGENCY = "emergency"
    #: The question about asylum asked before "no papers" (no argument).
    ASYLUM = "asylum"
    #: My rights' topics for a situation, by its value (the person's answer elsewhere).
    SITUATION = "situation"
    #: The person's own appointments (argument unused: "").
    MY_APPOINTMENTS = "my_appointments"
    #: Talk to a person: the prompt for a question to the agents (no argument).
    PERSON = "person"


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

    async def open(self, what: Opens, argument: str) -> Outcome:
        """Open another journey at `what` (see `Opens`), as its owner declared it."""
        return await self.registry.open(self, what, argument)


ShowFn = Callable[[Context], Awaitable[Sequence[Reply]]]


@dataclass(frozen=True)
class Outcome:
    """What a handler decided: replies to send now, then maybe a step to enter."""

    replies: tuple[Reply, ...] = ()
    goto: StepName | str | None = None
    back: bool = False
    #: Enter `goto` without remembering the current step (e.g. after a language change).
    replace: bool = False


def stay(*replies: Reply) -> Outcome:
    return Outcome(replies=replies)


def go(step: StepName, *replies: Reply, replace: bool = False) -> Outcome:
    return Outcome(replies=replies, goto=step, replace=replace)


def go_back(*replies: Reply) -> Outcome:
    return Outcome(replies=replies, back=True)


PressFn = Callable[[Context, str], Awaitable[Outcome | None]]
TextFn = Callable[[Context, str], Awaitable[Outcome]]
LocationFn = Callable[[Context, float, float], Awaitable[Outcome]]
#: Who may see a step and use its buttons; anyone else meets an expired button.
GuardFn = Callable[[Context], bool]


@dataclass(frozen=True)
class Button:
    """One button of a step, declared once: its id and what pressing it does.

    The id is written here only: `show` draws it with `button.option(label)`, and the
    engine finds the button of a pressed id among the step's `buttons`. A button that
    carries a value (a slot, a reference) has `carries_value`: its id is a prefix and the
    rest of the pressed id is handed to `on_press`. Ids are kept by the platforms for
    days: never change one (an old button must still work).
    """

    id: str
    #: What pressing does with the value; None when the button only leads to `goto`.
    on_press: PressFn | None = None
    goto: StepName | None = None
    #: Enter `goto` without remembering the current step.
    replace: bool = False
    carries_value: bool = False

    def option(self, label: str, value: str = "", description: str | None = None) -> Option:
        if value and not self.carries_value:
            raise ValueError(f"button {self.id!r} carries no value")
        return Option(id=self.id + value, label=label, description=description)

    def value_in(self, pressed: str) -> str | None:
        """The value a pressed id carries for this button, or None when it is another's."""
        if self.carries_value:
            return pressed[len(self.id) :] if pressed.startswith(self.id) else None
        return "" if pressed == self.id else None

    async def press(self, ctx: Context, value: str) -> Outcome | None:
        if self.on_press is not None:
            return await self.on_press(ctx, value)
        assert self.goto is not None
        return go(self.goto, replace=self.replace)


def to(button_id: str, step: StepName, *, replace: bool = False) -> Button:
    """A button that leads to a step."""
    return Button(button_id, goto=step, replace=replace)


def on(button_id: str, handler: PressFn) -> Button:
    """A button whose press runs `handler` (given an empty value)."""
    return Button(button_id, on_press=handler)


def carrying(prefix: str, handler: PressFn) -> Button:
    """Buttons whose id is `prefix` and a value (`"s." + service`), handled by `handler`."""
    return Button(prefix, on_press=handler, carries_value=True)


@dataclass(frozen=True)
class Step:
    """One screen of a dialog.

    `show` draws it; `buttons` are what its buttons do (None: it has none, and an old
    id of it is an expired button); `on_text` makes it a step that expects typed text.
    `on_press` is the raw form of `buttons`, for a step whose buttons cannot be declared.
    """

    code: StepName | str
    show: ShowFn
    on_press: PressFn | None = None
    on_text: TextFn | None = None
    on_location: LocationFn | None = None
    #: An old button of this step, pressed later, may still be handled.
    reentrant: bool = True
    #: Whether the engine adds the Back / Menu row under its options.
    navigation: bool = True
    buttons: tuple[Button, ...] | None = None
    #: Only these people may see it and use its buttons (agents' steps).
    only_for: GuardFn | None = None
    #: A step waiting for a short answer (a postcode, a name) says here when typed text
    #: is a sentence instead: a question, searched as anywhere else (`dialogs.traps`).
    is_question: Callable[[str], bool] | None = None

    def __post_init__(self) -> None:
        if self.buttons is not None and self.on_press is not None:
            raise ValueError(f"step {self.code!r}: buttons or on_press, not both")
        ids = [button.id for button in self.buttons or ()]
        if len(ids) != len(set(ids)):
            raise ValueError(f"step {self.code!r} declares a button id twice")

    @property
    def pressable(self) -> bool:
        return self.buttons is not None or self.on_press is not None

    def allows(self, ctx: Context) -> bool:
        return self.only_for is None or self.only_for(ctx)

    async def press(self, ctx: Context, value: str) -> Outcome | None:
        """What pressing `value` does here; None when no button of this step has it."""
        if self.on_press is not None:
            return await self.on_press(ctx, value)
        exact = [button for button in self.buttons or () if not button.carries_value]
        carrying_value = sorted(
            (button for button in self.buttons or () if button.carries_value),
            key=lambda button: -len(button.id),
        )
        for button in (*exact, *carrying_value):
            found = button.value_in(value)
            if found is not None:
                return await button.press(ctx, found)
        return None


OpenFn = Callable[["Context"], Awaitable[Outcome]]
#: How a journey opens at one of its `Opens` with an argument (an entry's slug).
OpenAtFn = Callable[["Context", str], Awaitable[Outcome]]


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
    #: What other journeys may open in this one (`ctx.open`).
    opens: Mapping[Opens, OpenAtFn] = field(default_factory=dict)


StartFn = Callable[[Context, str], Awaitable[Outcome | None]]
#: A slash command beyond the global ones (e.g. agents' `/today`), with its argument.
#: None means "not for you": the engine answers exactly as to an unknown command, so
#: nothing tells a person that a command they may not use exists.
CommandFn = Callable[[Context, str], Awaitable[Outcome | None]]
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
        self.openers: dict[Opens, OpenAtFn] = {}

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
        for what, opener in dialog.opens.items():
            if what in self.openers:
                raise ValueError(f"{what!r} is opened by two dialogs")
            self.openers[what] = opener
        self.dialogs[dialog.name] = dialog

    def check(self) -> None:
        """Once every dialog is added: each step a button or a dialog leads to exists, and
        every `Opens` has its journey."""
        targets: list[str] = [
            button.goto
            for _dialog, step in self.steps.values()
            for button in step.buttons or ()
            if button.goto is not None
        ]
        targets += [dialog.start for dialog in self.dialogs.values() if dialog.on_open is None]
        missing = sorted({str(target) for target in targets if target not in self.steps})
        if missing:
            raise ValueError(f"buttons or dialogs lead to unknown steps: {missing}")
        unopened = sorted(set(Opens) - set(self.openers))
        if unopened:
            raise ValueError(f"no dialog opens {unopened}")

    async def open(self, ctx: Context, what: Opens, argument: str) -> Outcome:
        return await self.openers[what](ctx, argument)

    def step(self, code: str) -> tuple[Dialog, Step] | None:
        return self.steps.get(code)

    def menu_dialogs(self) -> list[Dialog]:
        listed = [dialog for dialog in self.dialogs.values() if dialog.menu_label]
        return sorted(listed, key=lambda dialog: (dialog.order, dialog.name))

    def on_start(self, prefix: str, handler: StartFn) -> None:
        self.start_payloads[prefix] = handler


# -- the emergency words -------------------------------------------------------------------

EMERGENCY_ENTRY = "emergency-numbers"

#: Typed alone, these open the emergency numbers: numbers, and "help" in every language
#: (each locale's `emergency_words` in knowledge/locales/). Here, not in a journey, because
#: every step that reads free text (a question, a message to the agents) checks them first.
EMERGENCY_WORDS = locales.emergency_words()
_PUNCTUATION = re.compile(r"[\s!?.,;:¡¿!؟،。！？]+")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _PUNCTUATION.sub(" ", text).strip()


def is_emergency(text: str) -> bool:
    return _plain(text) in EMERGENCY_WORDS


async def emergency_words(ctx: Context, text: str) -> Outcome | None:
    """The emergency numbers' entry when `text` is an emergency word, else None."""
    if is_emergency(text):
        return await ctx.open(Opens.ENTRY, EMERGENCY_ENTRY)
    return None


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
