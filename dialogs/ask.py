"""Ask a question: free text searched in the knowledge base, else left for a person.

Also the emergency words: "115", "SOS", "help" or the word for help in any
language opens the emergency numbers at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from dialogs.framework import Context, Dialog, Outcome, Step, go, option, stay
from dialogs.i18n import N_
from dialogs.reading import open_entry
from dialogs.replies import Option, Options, Reply, Text
from dialogs.state import StepData
from knowledge import locales

EMERGENCY_ENTRY = "emergency-numbers"
MAX_RESULTS = 3
MAX_QUESTION_CHARS = 1000

#: Typed alone, these open the emergency numbers: numbers, and "help" in every language
#: (each locale's `emergency_words` in knowledge/locales/).
EMERGENCY_WORDS = locales.emergency_words()
_PUNCTUATION = re.compile(r"[\s!?.,;:¡¿!؟،。！？]+")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _PUNCTUATION.sub(" ", text).strip()


def is_emergency(text: str) -> bool:
    return _plain(text) in EMERGENCY_WORDS


class Question(StepData):
    namespace: str = "ask"
    #: The question the person typed, kept only until they decide what to do with it.
    text: str = ""
    #: What the search found for it, best first.
    found: list[str] = []


async def emergency_words(ctx: Context, text: str) -> Outcome | None:
    if is_emergency(text):
        return open_entry(ctx, EMERGENCY_ENTRY)
    return None


async def search_question(ctx: Context, text: str) -> Outcome:
    question = text.strip()[:MAX_QUESTION_CHARS]
    locale = ctx.person.locale or "fr"
    hits = ctx.services.search.search(question, locale, MAX_RESULTS) if question else []
    ctx.keep(Question(text=question, found=[hit.slug for hit in hits]))
    if not hits:
        await ctx.conversations.count_unanswered(locale)
        return go("nothing")
    return go("results")


async def fallback(ctx: Context, text: str) -> Outcome | None:
    """Free text where no step expects it: emergency words first, else a search."""
    found = await emergency_words(ctx, text)
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
    found = await emergency_words(ctx, text)
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
            rows.append((option(f"e-{entry.slug}", entry.label, entry.title),))
    rows.append((option("none", ctx.t("🤷 None of these")),))
    return [Options(text=ctx.t("🔎 Is it one of these?"), rows=tuple(rows))]


async def press_results(ctx: Context, value: str) -> Outcome | None:
    if value.startswith("e-"):
        return open_entry(ctx, value[2:])
    if value == "none":
        return go("nothing")
    return None


async def show_nothing(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t(
                "I did not find an answer. You can say it with other words, "
                "or leave your question for a person from the social services."
            ),
            rows=(
                (option("rephrase", ctx.t("✏️ Say it differently")),),
                (option("leave", ctx.t("🙋 Leave it for a person")),),
            ),
        )
    ]


async def press_nothing(ctx: Context, value: str) -> Outcome | None:
    if value == "rephrase":
        return go("prompt", replace=True)
    if value == "leave":
        return go("leave")
    return None


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
                (option("send", ctx.t("📨 Yes, send it")),),
                (option("cancel", ctx.t("No")),),
            ),
        )
    ]


async def press_leave(ctx: Context, value: str) -> Outcome | None:
    question = ctx.data(Question)
    if value == "cancel":
        ctx.keep(Question())
        return go("menu")
    if value != "send" or not question.text:
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


ASK = Dialog(
    name="ask",
    start="prompt",
    menu_label=N_("Ask a question"),
    icon="💬",
    order=50,
    steps=(
        Step("prompt", show_prompt, on_text=text_prompt),
        Step("results", show_results, press_results, on_text=text_prompt),
        Step("nothing", show_nothing, press_nothing, on_text=text_prompt),
        Step("leave", show_leave, press_leave, reentrant=False),
    ),
)


async def open_emergency(ctx: Context) -> Outcome:
    """The menu item opens the emergency numbers at once: one tap."""
    return open_entry(ctx, EMERGENCY_ENTRY)


EMERGENCY = Dialog(
    name="emergency",
    start="",
    menu_label=N_("Emergency numbers"),
    icon="🆘",
    order=5,
    steps=(),
    on_open=open_emergency,
)
