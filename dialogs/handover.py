"""The person's side of the agents' inbox: talk to a person, answer the staff, `/myquestions`,
and a conversation an agent has taken over.

While an agent has taken the conversation over, the workspace sets `TAKEOVER_KEY` in the
person's conversation data to the ticket's number: their free text then goes to that
ticket instead of the search, until the agent hands back or closes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.framework import (
    SEP,
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
)
from dialogs.i18n import N_
from dialogs.replies import Option, Options, Reply, Text
from dialogs.state import StepData

#: Conversation data (kept across conversations: it starts with "_") naming the ticket of
#: an agent who took the conversation over.
TAKEOVER_KEY = "_takeover"
MAX_TEXT = 2000
MAX_LISTED = 5
ANSWER_PREFIX = "answer-"


class At(StepName):
    TALK = "tp"
    SEND = "tp-send"
    QUESTIONS = "tkt"
    WRITE = "tkt-write"


STATUS_LABELS = {
    "open": N_("waiting for an answer"),
    "answered": N_("answered"),
    "closed": N_("closed"),
}


def answer_option_id(number: int) -> str:
    """The id of an "Answer" button under a staff member's reply (it works days later)."""
    return f"{At.QUESTIONS.value}{SEP}{ANSWER_PREFIX}{number}"


class Handover(StepData):
    namespace: str = "handover"
    #: What the person typed for a person, kept until they send it or not.
    text: str = ""
    #: The question they are answering.
    number: int = 0


# -- taken over -------------------------------------------------------------------------------


async def while_taken_over(ctx: Context, text: str) -> Outcome | None:
    """Free text goes to the agent who took the conversation over (emergency words still
    open the emergency numbers first)."""
    number = ctx.state.data.get(TAKEOVER_KEY)
    threads = ctx.services.tickets
    if not isinstance(number, int) or threads is None:
        return None
    urgent = await emergency_words(ctx, text)
    if urgent is not None:
        return urgent
    added = await threads.add_from_person(
        ctx.conversations, ctx.person, number, text.strip()[:MAX_TEXT]
    )
    if not added:
        ctx.state.data.pop(TAKEOVER_KEY, None)
        return None
    return stay(Text(ctx.t("✉️ Sent to the staff member who is answering you.")))


# -- talk to a person ---------------------------------------------------------------------------


async def show_talk(ctx: Context) -> Sequence[Reply]:
    return [
        Text(
            ctx.t(
                "🙋 Write in a few words what you need, in your language. A social-work "
                "agent will read it and answer here. Please do not write your name or "
                "your file number."
            )
        )
    ]


async def text_talk(ctx: Context, text: str) -> Outcome:
    urgent = await emergency_words(ctx, text)
    if urgent is not None:
        return urgent
    ctx.keep(Handover(text=text.strip()[:MAX_TEXT]))
    return go(At.SEND)


async def show_send(ctx: Context) -> Sequence[Reply]:
    if not ctx.data(Handover).text:
        return list(await show_talk(ctx))
    return [
        Options(
            text=ctx.t(
                "A social-work agent will read your message and answer here. "
                "Your message and your language are kept for that, nothing else. Send it?"
            ),
            rows=(
                (SEND.option(ctx.t("📨 Yes, send it")),),
                (CANCEL.option(ctx.t("No")),),
            ),
        )
    ]


async def cancel(ctx: Context, _value: str) -> Outcome:
    ctx.keep(Handover())
    return go(Home.MENU)


async def send(ctx: Context, _value: str) -> Outcome | None:
    kept = ctx.data(Handover)
    if not kept.text:
        return None
    number = await ctx.conversations.open_ticket(
        ctx.person, ctx.person.locale or "fr", kept.text, kind="person"
    )
    ctx.keep(Handover())
    done = Text(
        ctx.t(
            "Thank you. Your question number is {number}. Agents read questions on "
            "working days, so an answer can take a few days; it will come here. "
            "If it is urgent, use the emergency numbers.",
            number=number,
        )
    )
    return stay(done)


# -- my questions -------------------------------------------------------------------------------


async def show_questions(ctx: Context) -> Sequence[Reply]:
    threads = ctx.services.tickets
    found = list(await threads.questions_of(ctx.conversations, ctx.person)) if threads else []
    if not found:
        return [Text(ctx.t("You have no open question. You can ask one from the menu."))]
    lines: list[str] = [ctx.t("📋 Your questions")]
    buttons: list[tuple[Option, ...]] = []
    for question in found[:MAX_LISTED]:
        status = ctx.t(STATUS_LABELS.get(question.status, STATUS_LABELS["open"]))
        block = ctx.t(
            "Question {number} ({status}): {question}",
            number=question.number,
            status=status,
            question=question.question,
        )
        if question.last_answer:
            block += "\n" + ctx.t("Answer: {answer}", answer=question.last_answer)
        lines.append(block)
        buttons.append(
            (
                ANSWER.option(
                    ctx.t("↩️ Answer question {number}", number=question.number),
                    str(question.number),
                ),
            )
        )
    return [Options(text="\n\n".join(lines), rows=tuple(buttons))]


async def answer(ctx: Context, value: str) -> Outcome | None:
    try:
        number = int(value)
    except ValueError:
        return None
    ctx.keep(Handover(number=number))
    return go(At.WRITE)


async def show_write(ctx: Context) -> Sequence[Reply]:
    number = ctx.data(Handover).number
    return [Text(ctx.t("✏️ Write your answer to question {number}.", number=number))]


async def text_write(ctx: Context, text: str) -> Outcome:
    urgent = await emergency_words(ctx, text)
    if urgent is not None:
        return urgent
    number = ctx.data(Handover).number
    threads = ctx.services.tickets
    added = threads is not None and await threads.add_from_person(
        ctx.conversations, ctx.person, number, text.strip()[:MAX_TEXT]
    )
    ctx.keep(Handover())
    if not added:
        return go(
            Home.MENU, Text(ctx.t("This question is closed. You can ask a new one from the menu."))
        )
    done = ctx.t(
        "Thank you. Your answer was added to question {number}; the staff will read it.",
        number=number,
    )
    return go(Home.MENU, Text(done), replace=True)


async def my_questions(ctx: Context, _argument: str) -> Outcome:
    return go(At.QUESTIONS)


async def open_talk(ctx: Context, _argument: str) -> Outcome:
    """Another journey's "Talk to a person" (help) lands on the prompt."""
    return go(At.TALK)


SEND = on("send", send)
CANCEL = on("cancel", cancel)
#: Under `/myquestions` and under a staff member's reply (`answer_option_id`): the id
#: carries the question's number, and still works days later.
ANSWER = carrying(ANSWER_PREFIX, answer)

PERSON = Dialog(
    name="person",
    start=At.TALK,
    menu_label=N_("Talk to a person"),
    icon="🙋",
    order=55,
    steps=(
        Step(At.TALK, show_talk, on_text=text_talk),
        Step(At.SEND, show_send, buttons=(SEND, CANCEL), reentrant=False),
    ),
    opens={Opens.PERSON: open_talk},
)

QUESTIONS = Dialog(
    name="questions",
    start=At.QUESTIONS,
    steps=(
        Step(At.QUESTIONS, show_questions, buttons=(ANSWER,)),
        Step(At.WRITE, show_write, on_text=text_write),
    ),
)

COMMANDS = {"myquestions": my_questions}
