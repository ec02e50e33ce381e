"""The asylum path: a person with no papers is first asked about asylum.

Many who answer "I have no papers" in My rights have just arrived and may ask for
asylum; filing them as undocumented would hide the one procedure that protects
them, and its clock: a claim made more than 90 days after entering France, without
a legitimate reason, goes through the accelerated procedure (CESEDA L531-27), and
reception conditions may be refused (facts-more §A3).

My rights opens this question (`Opens.ASYLUM`); an answer that tells the situation
goes back to My rights' topics for it (`Opens.SITUATION`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from dialogs.framework import Context, Dialog, Opens, Outcome, Step, StepName, go, on
from dialogs.replies import Options, Reply, Text
from knowledge.schema import Situation

__all__ = ["ASYLUM", "ASYLUM_ENTRY", "At"]


ASYLUM_ENTRY = "asylum-registration"


class At(StepName):
    ASK = "asylum-ask"


async def show_asylum(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t("Have you asked for asylum in France, or do you want to?"),
            rows=(
                (WANT.option(ctx.t("🙋 I want to ask for asylum")),),
                (WAITING.option(ctx.t("⏳ I asked and I am waiting for the answer")),),
                (REFUSED.option(ctx.t("My asylum claim was refused")),),
                (NOT_ASKING.option(ctx.t("No, I do not want to ask for asylum")),),
            ),
        )
    ]


def ninety_days(ctx: Context) -> Text:
    return Text(
        ctx.t(
            "⏰ Ask soon: a claim made more than 90 days after you entered France, without a "
            "valid reason, goes through a faster procedure, and the reception help (housing, "
            "allowance) can be refused. The day that counts is the day you present your claim "
            "at the prefecture."
        )
    )


async def wants_asylum(ctx: Context, value: str) -> Outcome:
    opened = await ctx.open(Opens.ENTRY, ASYLUM_ENTRY)
    return Outcome(replies=(ninety_days(ctx),), goto=opened.goto)


def situation(chosen: Situation) -> Callable[[Context, str], Awaitable[Outcome]]:
    """A press that tells the situation: My rights' topics for it."""

    async def press(ctx: Context, value: str) -> Outcome:
        return await ctx.open(Opens.SITUATION, chosen.value)

    return press


WANT = on("want", wants_asylum)
WAITING = on("waiting", situation(Situation.ASYLUM_SEEKER))
REFUSED = on("refused", situation(Situation.REJECTED_ASYLUM))
NOT_ASKING = on("no", situation(Situation.UNDOCUMENTED))


async def open_asylum(ctx: Context, argument: str) -> Outcome:
    return go(At.ASK)


ASYLUM = Dialog(
    name="asylum",
    start=At.ASK,
    steps=(Step(At.ASK, show_asylum, buttons=(WANT, WAITING, REFUSED, NOT_ASKING)),),
    opens={Opens.ASYLUM: open_asylum},
)
