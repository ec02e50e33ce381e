"""The asylum path: a person with no papers is first asked about asylum.

Many who answer "I have no papers" in My rights have just arrived and may ask for
asylum; filing them as undocumented would hide the one procedure that protects
them, and its clock: a claim made more than 90 days after entering France, without
a legitimate reason, goes through the accelerated procedure (CESEDA L531-27), and
reception conditions may be refused (facts-more §A3).
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.framework import Context, Dialog, Outcome, Step, option
from dialogs.reading import open_entry
from dialogs.replies import Options, Reply, Text
from dialogs.rights import ASYLUM_STEP, choose
from knowledge.schema import Situation

__all__ = ["ASYLUM", "ASYLUM_ENTRY", "ASYLUM_STEP"]


ASYLUM_ENTRY = "asylum-registration"


async def show_asylum(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t("Have you asked for asylum in France, or do you want to?"),
            rows=(
                (option("want", ctx.t("🙋 I want to ask for asylum")),),
                (option("waiting", ctx.t("⏳ I asked and I am waiting for the answer")),),
                (option("refused", ctx.t("My asylum claim was refused")),),
                (option("no", ctx.t("No, I do not want to ask for asylum")),),
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


async def press_asylum(ctx: Context, value: str) -> Outcome | None:
    if value == "want":
        opened = open_entry(ctx, ASYLUM_ENTRY)
        return Outcome(replies=(ninety_days(ctx),), goto=opened.goto)
    if value == "waiting":
        return choose(ctx, Situation.ASYLUM_SEEKER)
    if value == "refused":
        return choose(ctx, Situation.REJECTED_ASYLUM)
    if value == "no":
        return choose(ctx, Situation.UNDOCUMENTED)
    return None


ASYLUM = Dialog(
    name="asylum",
    start=ASYLUM_STEP,
    steps=(Step(ASYLUM_STEP, show_asylum, press_asylum),),
)
