"""Danger first: every piece of free text is checked before any step sees it.

A person who writes that they are in danger gets, in one short message, the number
that fits first (in the card's title, the largest type a platform offers), what to
say when calling, the walk-in place where one exists, then two buttons: a person
contacts me here (a priority ticket, opened only on that press) and the menu. Where
the check is unsure, the normal answer comes with "Are you in danger now?" as its
first option, leading to the same card.

Privacy: the text is kept in the conversation only while the person may still ask
for a person (until their next message or press elsewhere), then only inside the
ticket they chose to open. Nothing here logs it.

The engine runs the check on every message, so this module is on the framework's floor
(dialogs/__init__.py): it opens the emergency numbers through the registry
(`Opens.EMERGENCY`), and the words that open them are here, for `ask` too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from dialogs.framework import (
    NAV_MENU,
    SEP,
    Context,
    Dialog,
    Home,
    Opens,
    Outcome,
    Step,
    StepName,
    carrying,
    go,
    is_emergency,
    on,
)
from dialogs.incoming import Payload, Pressed
from dialogs.replies import Card, Option, Options, Reply, Text
from dialogs.state import StepData
from knowledge.danger import DangerCheck, Kind, Level, bundled_detector
from knowledge.normalize import fold

__all__ = [
    "CRISIS",
    "CRISIS_PRIORITY",
    "Checked",
    "ask_if_unsure",
    "check_text",
    "first_contact",
    "forget_text",
]

log = logging.getLogger("passerelle.crisis")


class At(StepName):
    CARD = "crisis"


#: Above every ordinary question in the agents' inbox.
CRISIS_PRIORITY = 100
MAX_KEPT_CHARS = 2000
SOS = "🆘"


class Crisis(StepData):
    namespace: str = "crisis"
    kind: str = ""
    #: What the person wrote, only until they choose (see the module's docstring).
    text: str = ""


@dataclass(frozen=True)
class _Help:
    """What the card says for one kind of danger."""

    #: The number(s) to call, in the title; never translated.
    numbers: str
    #: The number to call at once if waiting is not possible (in the ticket's reply).
    now: str


_HELP: dict[Kind | None, _Help] = {
    Kind.SUICIDE: _Help("3114", "15"),
    Kind.VIOLENCE: _Help("3919 · 17", "17"),
    Kind.CHILD: _Help("119", "119"),
    Kind.MEDICAL: _Help("15 · 112", "15"),
    Kind.DANGER: _Help("17 · 112", "17"),
    Kind.EXPLOITATION: _Help("17 · 112", "17"),
    Kind.DETENTION: _Help("« Je veux un avocat et un interprète. »", "112"),
    None: _Help("112", "112"),
}


def _kind(value: str) -> Kind | None:
    try:
        return Kind(value)
    except ValueError:
        return None


def _what_to_do(ctx: Context, kind: Kind | None) -> list[str]:
    t = ctx.t
    match kind:
        case Kind.SUICIDE:
            return [
                t(
                    "3114: the suicide prevention line. Free, confidential, 24 hours a day, "
                    "answered by health professionals. If your life is in danger right now: 15."
                ),
                t(
                    "Without an appointment, day and night: psychiatric emergencies CPOA "
                    "Sainte-Anne, 1 rue Cabanis, 75014 Paris (from 16 years old, with or "
                    "without an address)."
                ),
            ]
        case Kind.VIOLENCE:
            return [
                t(
                    "3919: violence against women, free, 24 hours a day. If you cannot "
                    "speak, send a text message to 114. In danger right now: 17."
                )
            ]
        case Kind.CHILD:
            return [
                t(
                    "119: a child in danger. Free, 24 hours a day; the call does not appear "
                    "on the phone bill. In danger right now: 17 or 112."
                )
            ]
        case Kind.MEDICAL:
            return [
                t(
                    "15 (SAMU) or 112: a medical emergency. Stay with the person and say "
                    "where you are."
                )
            ]
        case Kind.DANGER:
            return [
                t(
                    "17 (police) or 112: danger right now. If you cannot speak, send a text "
                    "message to 114. Go where there are people around you."
                )
            ]
        case Kind.EXPLOITATION:
            return [
                t(
                    "17 or 112 if you are in danger right now. Victims of trafficking or "
                    "forced work can be protected, with or without papers: a complaint or "
                    "a testimony can give a residence permit."
                )
            ]
        case Kind.DETENTION:
            return [
                t(
                    "Say this sentence in French to the police: it asks for a lawyer and "
                    "an interpreter."
                ),
                t(
                    "Held to check your papers: 24 hours at most. You have the right to an "
                    "interpreter, a lawyer, a doctor, and to tell your family. In a "
                    "detention centre (CRA) you can ask for a lawyer, for the help of the "
                    "association there, and for asylum."
                ),
            ]
        case None:
            return [t("In danger right now: 112 (every emergency), 17 (police), 15 (medical).")]


def _french_name(code: str) -> str:
    try:
        name = Locale.parse(code).get_language_name("fr")
    except (UnknownLocaleError, ValueError):
        name = None
    return name or code


def _calling(ctx: Context) -> str:
    """What to say on the phone: where you are, and in French, the language you speak."""
    code = ctx.t.code
    sentence = "« Je ne parle pas français. Je parle {language}. Avez-vous un interprète ? »"
    return ctx.t(
        "When you call, say where you are. If you do not speak French, say: {sentence}",
        sentence=sentence.format(language=_french_name(code)),
    )


async def show_crisis(ctx: Context) -> Sequence[Reply]:
    kind = _kind(ctx.data(Crisis).kind)
    help_ = _HELP[kind]
    lines = _what_to_do(ctx, kind)
    if kind is not Kind.DETENTION and ctx.t.code != "fr":
        lines.append(_calling(ctx))
    title = help_.numbers if kind is Kind.DETENTION else f"📞 {help_.numbers}"
    return [
        Card(title=title, body="\n\n".join(lines)),
        Options(
            text=ctx.t(
                "You are not alone. A person from the social services can write to you here."
            ),
            rows=(
                (CONTACT.option(ctx.t("🙋 I want a person to contact me here")),),
                (Option(id=NAV_MENU, label=ctx.t("🏠 Menu")),),
            ),
            replaceable=False,
        ),
    ]


async def in_danger(ctx: Context, kind: str) -> Outcome:
    """The press on "Are you in danger now?", under an answer the check was unsure of."""
    ctx.keep(Crisis(kind=kind if _kind(kind) else "", text=ctx.data(Crisis).text))
    return go(At.CARD)


async def contact_me(ctx: Context, value: str) -> Outcome:
    kept = ctx.data(Crisis)
    kind = _kind(kept.kind)
    # The text lives on only in the ticket the person asked for.
    question = kept.text or f"[{kind.value if kind else 'crisis'}]"
    number = await ctx.conversations.open_ticket(
        ctx.person,
        ctx.person.locale or "fr",
        question,
        kind="crisis",
        priority=CRISIS_PRIORITY,
    )
    ctx.keep(Crisis(kind=kept.kind))
    log.info("crisis.ticket kind=%s", kind.value if kind else "none")
    done = Text(
        ctx.t(
            "Your request number is {reference}. A person will write to you here as soon "
            "as possible. If you are in danger before that, call {emergency}.",
            reference=number,
            emergency=_HELP[kind].now,
        )
    )
    return go(Home.MENU, done)


CONTACT = on("contact", contact_me)
#: "ask-" and the kind the check was unsure about (may be empty).
IN_DANGER = carrying("ask-", in_danger)

CRISIS = Dialog(
    name="crisis",
    start=At.CARD,
    steps=(Step(At.CARD, show_crisis, buttons=(CONTACT, IN_DANGER), navigation=False),),
)


# -- the check, as the engine calls it ----------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """What the danger check decided for one message."""

    #: Where to go at once (the crisis card, or the emergency numbers), or None.
    outcome: Outcome | None
    #: Unsure: the kind to ask about above the normal answer.
    unsure: Kind | None = None
    asks: bool = False


_SAFE = Checked(outcome=None)


async def check_text(ctx: Context, text: str) -> Checked:
    """Danger first: run before any step sees a piece of free text."""
    if SOS in text or (is_emergency(text) and not fold(text).strip().isdecimal()):
        # "🆘", "help", "au secours", "مساعدة"... alone: the emergency numbers. Not a bare
        # number: "15" is also an arrondissement on the near-me screen.
        return Checked(outcome=await ctx.open(Opens.EMERGENCY, ""))
    found = bundled_detector().check(text)
    return _decide(ctx, text, found)


def _decide(ctx: Context, text: str, found: DangerCheck) -> Checked:
    if found.level is Level.NONE:
        return _SAFE
    ctx.keep(Crisis(kind=found.kind.value if found.kind else "", text=text[:MAX_KEPT_CHARS]))
    if found.level is Level.CRISIS:
        # An event to count, never what was written.
        log.info("crisis.card kind=%s", found.kind.value if found.kind else "none")
        return Checked(outcome=go(At.CARD))
    return Checked(outcome=None, unsure=found.kind, asks=True)


def first_contact(ctx: Context, text: str) -> Outcome | None:
    """A first message, before any language was chosen: a crisis is answered in its language."""
    if SOS in text:
        return None
    found = bundled_detector().check(text)
    if found.level is not Level.CRISIS:
        return None
    hint = ctx.catalogs.best_match(str(ctx.state.data.get("_hint") or ""))
    known = [code for code in found.locales if code in ctx.catalogs]
    locale = hint if hint in known else (known[0] if known else hint)
    ctx.switch_locale(locale or "fr")
    checked = _decide(ctx, text, found)
    return checked.outcome


def ask_if_unsure(ctx: Context, checked: Checked, replies: list[Reply]) -> list[Reply]:
    """Unsure: "Are you in danger now?" becomes the first option of the normal answer."""
    if not checked.asks:
        return replies
    kind = checked.unsure.value if checked.unsure else ""
    # Qualified here: it joins replies the engine has already qualified for another step.
    question = Option(
        id=f"{At.CARD}{SEP}{IN_DANGER.id}{kind}", label=ctx.t("🆘 Are you in danger now?")
    )
    for index, reply in enumerate(replies):
        if isinstance(reply, Options):
            asked = Options(
                text=reply.text, rows=((question,), *reply.rows), replaceable=reply.replaceable
            )
            return [*replies[:index], asked, *replies[index + 1 :]]
    return [*replies, Options(text=ctx.t("What would you like to do now?"), rows=((question,),))]


def forget_text(ctx: Context, payload: Payload) -> None:
    """The crisis text is dropped at the next update, unless it is a press on the crisis card."""
    if isinstance(payload, Pressed) and payload.option_id.startswith(At.CARD + SEP):
        return
    if ctx.data(Crisis).text:
        ctx.keep(Crisis(kind=ctx.data(Crisis).kind))
