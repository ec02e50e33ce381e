"""Ask a question: free text searched in the knowledge base, else left for a person.

Also the emergency words: "115", "SOS", "help" or the word for help in any
language opens the emergency numbers at once (the words are `dialogs.crisis`'s).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dialogs.framework import (
    EMERGENCY_ENTRY,
    Context,
    Dialog,
    Home,
    Opens,
    Outcome,
    Step,
    StepName,
    carrying,
    emergency_words,
    go,
    on,
    stay,
    to,
)
from dialogs.i18n import N_
from dialogs.replies import Option, Options, Reply, Text
from dialogs.state import StepData
from knowledge.normalize import fold


class At(StepName):
    PROMPT = "prompt"
    RESULTS = "results"
    NOTHING = "nothing"
    LEAVE = "leave"


MAX_RESULTS = 3
MAX_QUESTION_CHARS = 1000


class Question(StepData):
    namespace: str = "ask"
    #: The question the person typed, kept only until they decide what to do with it.
    text: str = ""
    #: What the search found for it, best first.
    found: list[str] = []


#: "Change the time of my appointment", as people type it (folded, French and English):
#: it is about a booking of theirs, not a question for the knowledge base.
_APPOINTMENT = re.compile(r"\b(rendez[- ]?vous|rdv|appointments?|appt)\b")
_CHANGE = re.compile(
    r"\b(chang|modifi|deplac|report|decal|annul|cancel|move|resched|heure|horaire|time\b)"
)


def is_about_my_booking(text: str) -> bool:
    folded = fold(text)
    return bool(_APPOINTMENT.search(folded) and _CHANGE.search(folded))


async def my_booking_words(ctx: Context, text: str) -> Outcome | None:
    """Someone with an open appointment asking to change it gets their appointments; a
    question about another appointment (the prefecture's) still goes to the search."""
    desk = ctx.conversations.bookings()
    if desk is None or not is_about_my_booking(text):
        return None
    if not any(booking.is_open for booking in await desk.mine(ctx.person.id, ctx.now)):
        return None
    return await ctx.open(Opens.MY_APPOINTMENTS, "")


async def search_question(ctx: Context, text: str) -> Outcome:
    question = text.strip()[:MAX_QUESTION_CHARS]
    locale = ctx.person.locale or "fr"
    hits = ctx.services.search.search(question, locale, MAX_RESULTS) if question else []
    ctx.keep(Question(text=question, found=[hit.slug for hit in hits]))
    if not hits:
        await ctx.conversations.count_unanswered(locale)
        return go(At.NOTHING)
    return go(At.RESULTS)


async def fallback(ctx: Context, text: str) -> Outcome | None:
    """Free text where no step expects it: emergency words first, else a search."""
    found = await emergency_words(ctx, text) or await my_booking_words(ctx, text)
    if found is not None:
        return found
    return await search_question(ctx, text)


async def show_prompt(ctx: Context) -> Sequence[Reply]:
    return [
        Text(
            ctx.t(
                "💬 Type your question in a few words, in your language. "
                "Please do not write your name or your file number."
            )
        )
    ]


async def text_prompt(ctx: Context, text: str) -> Outcome:
    found = await emergency_words(ctx, text) or await my_booking_words(ctx, text)
    if found is not None:
        return found
    searched = await search_question(ctx, text)
    # A new question replaces the previous results rather than stacking on them.
    return Outcome(replies=searched.replies, goto=searched.goto, replace=True)


async def show_results(ctx: Context) -> Sequence[Reply]:
    locale = ctx.person.locale or "fr"
    rows: list[tuple[Option, ...]] = []
    for slug in ctx.data(Question).found:
        entry = await ctx.services.library.entry(slug, locale)
        if entry is not None:
            rows.append((FOUND.option(entry.label, entry.slug, entry.title),))
    rows.append((NONE_OF_THESE.option(ctx.t("🤷 None of these")),))
    return [Options(text=ctx.t("🔎 Is it one of these?"), rows=tuple(rows))]


async def open_found(ctx: Context, slug: str) -> Outcome:
    return await ctx.open(Opens.ENTRY, slug)


FOUND = carrying("e-", open_found)
NONE_OF_THESE = to("none", At.NOTHING)


async def show_nothing(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t(
                "I did not find an answer. You can say it with other words, "
                "or leave your question for a person from the social services."
            ),
            rows=(
                (REPHRASE.option(ctx.t("✏️ Say it differently")),),
                (LEAVE_IT.option(ctx.t("🙋 Leave it for a person")),),
            ),
        )
    ]


REPHRASE = to("rephrase", At.PROMPT, replace=True)
LEAVE_IT = to("leave", At.LEAVE)


async def show_leave(ctx: Context) -> Sequence[Reply]:
    question = ctx.data(Question).text
    if not question:
        return [Text(ctx.t("Type your question first.")), *await show_prompt(ctx)]
    return [
        Options(
            text=ctx.t(
                "A social-work agent will read your question and answer here. "
                "Your question and your language are kept for that, nothing else. Send it?"
            ),
            rows=(
                (SEND.option(ctx.t("📨 Yes, send it")),),
                (DO_NOT_SEND.option(ctx.t("No")),),
            ),
        )
    ]


async def do_not_send(ctx: Context, value: str) -> Outcome:
    ctx.keep(Question())
    return go(Home.MENU)


async def send(ctx: Context, value: str) -> Outcome | None:
    question = ctx.data(Question)
    if not question.text:
        return None
    number = await ctx.conversations.open_ticket(
        ctx.person, ctx.person.locale or "fr", question.text
    )
    ctx.keep(Question())
    done = Text(
        ctx.t(
            "Thank you. Your question number is {number}. Agents read questions on "
            "working days, so an answer can take a few days; it will come here. "
            "If it is urgent, use the emergency numbers.",
            number=number,
        )
    )
    return stay(done)


SEND = on("send", send)
DO_NOT_SEND = on("cancel", do_not_send)


ASK = Dialog(
    name="ask",
    start=At.PROMPT,
    menu_label=N_("Ask a question"),
    icon="💬",
    order=50,
    steps=(
        Step(At.PROMPT, show_prompt, on_text=text_prompt),
        Step(At.RESULTS, show_results, buttons=(FOUND, NONE_OF_THESE), on_text=text_prompt),
        Step(At.NOTHING, show_nothing, buttons=(REPHRASE, LEAVE_IT), on_text=text_prompt),
        Step(At.LEAVE, show_leave, buttons=(SEND, DO_NOT_SEND), reentrant=False),
    ),
)


async def open_emergency(ctx: Context) -> Outcome:
    """The menu item opens the emergency numbers at once: one tap."""
    return await ctx.open(Opens.ENTRY, EMERGENCY_ENTRY)


async def open_emergency_numbers(ctx: Context, argument: str) -> Outcome:
    """The emergency numbers, as the danger check opens them (`Opens.EMERGENCY`)."""
    return await open_emergency(ctx)


EMERGENCY = Dialog(
    name="emergency",
    start="",
    menu_label=N_("Emergency numbers"),
    icon="🆘",
    order=5,
    steps=(),
    on_open=open_emergency,
    opens={Opens.EMERGENCY: open_emergency_numbers},
)
