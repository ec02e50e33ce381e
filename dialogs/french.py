"""Learn French: a short questionnaire, then the course types that fit and why (EIF-FEL)."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.framework import (
    Context,
    Dialog,
    Opens,
    Outcome,
    Step,
    StepName,
    carrying,
    go,
    on,
)
from dialogs.i18n import N_
from dialogs.replies import Card, Option, Options, Reply, Text
from dialogs.state import StepData
from dialogs.traps import not_an_area
from knowledge.orientation import QUESTIONS, Answers, localized, recommend
from knowledge.places import ARRONDISSEMENT_CENTRES, distance_km, parse_area

#: Each question, then a label per answer: simple words and examples, no CEFR jargon.
PROMPTS: dict[str, str] = {
    "literacy": N_("✍️ Can you read and write in your own language?"),
    "schooling": N_("🎒 How long did you go to school?"),
    "french": N_("🗣️ How is your French today?"),
    "goal": N_("🎯 Why do you want to learn French first?"),
    "availability": N_("🕒 When are you free for classes?"),
    "shelter": N_("🛏️ Are you staying in a shelter (centre d'hébergement) in Paris?"),
    "ofii": N_("📝 Did you sign the integration contract (CIR) with OFII?"),
}
ANSWERS: dict[str, dict[str, str]] = {
    "literacy": {
        "well": N_("Yes, well"),
        "little": N_("A little"),
        "unable": N_("No"),
    },
    "schooling": {
        "none": N_("Never"),
        "primary": N_("A few years (primary school)"),
        "secondary": N_("Secondary school"),
        "higher": N_("University or higher"),
    },
    "french": {
        "none": N_("I don't understand French"),
        "words": N_("A few words: bonjour, merci"),
        "simple": N_("Simple things: my name, shopping"),
        "conversation": N_("I can talk about my life"),
        "fluent": N_("I read letters and speak easily"),
    },
    "goal": {
        "daily": N_("Daily life: doctor, shops, school"),
        "work": N_("To find work"),
        "training": N_("To follow a training"),
        "papers": N_("For my papers (residence card)"),
    },
    "availability": {
        "day": N_("During the day"),
        "evening": N_("In the evening"),
        "weekend": N_("At the weekend"),
        "any": N_("Any time"),
    },
    "shelter": {"sheltered": N_("Yes"), "elsewhere": N_("No")},
    "ofii": {"signed": N_("Yes"), "not_signed": N_("No"), "unknown": N_("I don't know")},
}
ORDER = tuple(QUESTIONS)
EIF_FEL_ENTRY = "french-eif-fel"


class At(StepName):
    INTRO = "french"
    AREA = "q-area"
    RESULT = "result"


class Question(StepName):
    """One step per question of knowledge/orientation.yaml, "q-<question>"."""

    LITERACY = "q-literacy"
    SCHOOLING = "q-schooling"
    FRENCH = "q-french"
    GOAL = "q-goal"
    AVAILABILITY = "q-availability"
    SHELTER = "q-shelter"
    OFII = "q-ofii"


# The rules' questions and these steps are the same, or the import fails.
if [step.value for step in Question] != [f"q-{question}" for question in ORDER]:
    raise ImportError("dialogs/french.py: Question does not match the orientation's questions")


class Orientation(StepData):
    namespace: str = "french"
    answers: dict[str, str] = {}
    arrondissement: int | None = None


async def show_intro(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t(
                "🗣️ Learn French. Answer a few short questions and I will tell you "
                "which classes fit you, and where the EIF-FEL evaluations are."
            ),
            rows=(
                (START.option(ctx.t("▶️ Start the questions")),),
                (ENTRY.option(ctx.t("ℹ️ What is EIF-FEL?"), "french-eif-fel"),),
                (ENTRY.option(ctx.t("🏫 Where to learn French"), "french-courses"),),
            ),
        )
    ]


def question_step_name(question: str) -> StepName:
    return Question(f"q-{question}")


async def start_questions(ctx: Context, value: str) -> Outcome:
    ctx.keep(Orientation())
    return go(question_step_name(ORDER[0]))


async def open_entry(ctx: Context, slug: str) -> Outcome:
    return await ctx.open(Opens.ENTRY, slug)


START = on("start", start_questions)
ENTRY = carrying("e-", open_entry)


def question_step(question: str) -> Step:
    async def show(ctx: Context) -> Sequence[Reply]:
        number = ORDER.index(question) + 1
        progress = ctx.t("Question {n} of {total}", n=number, total=len(ORDER) + 1)
        rows = tuple(
            (ANSWER.option(ctx.t(ANSWERS[question][answer]), answer),)
            for answer in QUESTIONS[question]
        )
        return [Options(text=f"{progress}\n{ctx.t(PROMPTS[question])}", rows=rows)]

    async def press(ctx: Context, value: str) -> Outcome | None:
        if value not in QUESTIONS[question]:
            return None
        orientation = ctx.data(Orientation)
        orientation.answers[question] = value
        ctx.keep(orientation)
        position = ORDER.index(question)
        following = (
            question_step_name(ORDER[position + 1]) if position + 1 < len(ORDER) else At.AREA
        )
        return go(following)

    #: An answer's value.
    ANSWER = carrying("", press)
    return Step(question_step_name(question), show, buttons=(ANSWER,))


#: Where the person lives: buttons for the arrondissements, or typed text.
async def show_area(ctx: Context) -> Sequence[Reply]:
    progress = ctx.t("Question {n} of {total}", n=len(ORDER) + 1, total=len(ORDER) + 1)
    buttons = [AREA.option(str(n), str(n)) for n in range(1, 21)]
    rows: list[tuple[Option, ...]] = [tuple(buttons[i : i + 4]) for i in range(0, 20, 4)]
    rows.append((AREA.option(ctx.t("Outside Paris"), "out"),))
    rows.append((AREA.option(ctx.t("I prefer not to say"), "skip"),))
    text = ctx.t("🏠 In which arrondissement do you live? You can also type your postcode.")
    return [Options(text=f"{progress}\n{text}", rows=tuple(rows))]


async def pick_area(ctx: Context, value: str) -> Outcome | None:
    """An arrondissement's number, "out" (outside Paris) or "skip"."""
    orientation = ctx.data(Orientation)
    if value in ("out", "skip"):
        orientation.arrondissement = None
    elif value.isdigit() and 1 <= int(value) <= 20:
        orientation.arrondissement = int(value)
    else:
        return None
    ctx.keep(orientation)
    return go(At.RESULT)


AREA = carrying("", pick_area)


async def text_area(ctx: Context, text: str) -> Outcome:
    spot = parse_area(text)
    if spot is None or spot.arrondissement is None:
        return Outcome(
            replies=(
                Text(
                    ctx.t("I did not recognise an arrondissement or a postcode. Try 19 or 75019.")
                ),
            )
        )
    orientation = ctx.data(Orientation)
    orientation.arrondissement = spot.arrondissement
    ctx.keep(orientation)
    return go(At.RESULT)


def nearest_evaluations(evaluation: list[int], home: int | None) -> list[int]:
    if home is None:
        return sorted(evaluation)
    here = ARRONDISSEMENT_CENTRES[home]
    return sorted(evaluation, key=lambda n: distance_km(here, ARRONDISSEMENT_CENTRES[n]))


async def show_result(ctx: Context) -> Sequence[Reply]:
    rules = ctx.services.orientation
    orientation = ctx.data(Orientation)
    if rules is None or len(orientation.answers) < len(ORDER):
        return [Text(ctx.t("Let us start the questions again.")), *await show_intro(ctx)]
    locale = ctx.person.locale or "fr"
    results = recommend(rules, Answers(orientation.answers))
    lines: list[str] = []
    fell_back = False
    for result in results:
        title, fallback_title = localized(result.course.title, locale)
        description, fallback_text = localized(result.course.description, locale)
        reasons = []
        for rule in result.because:
            reason, fallback_reason = localized(rule.reason, locale)
            reasons.append(reason)
            fell_back = fell_back or fallback_reason
        fell_back = fell_back or fallback_title or fallback_text
        why = ctx.t("Why: {reason}", reason=" ".join(dict.fromkeys(reasons)))
        lines.append(f"• {title}\n{description}\n{why}")
    note, fallback_note = localized(rules.evaluation_note, locale)
    places = nearest_evaluations(rules.evaluation_arrondissements, orientation.arrondissement)
    where = ", ".join(ctx.t("Paris {n}", n=n) for n in places[:3])
    closest = ctx.t("Closest to you: {places}", places=where)
    evaluation = f"{note}\n{closest}"
    badges = (ctx.t("Part of this text is shown in French."),) if fell_back or fallback_note else ()
    card = Card(
        title=ctx.t("🎓 Classes that fit you"),
        body="\n\n".join([*lines, evaluation]),
        footer=ctx.t("Last checked: {date}", date=ctx.t.date(rules.last_checked())),
        badges=badges,
    )
    rows: list[tuple[Option, ...]] = []
    desk = ctx.conversations.bookings()
    if desk is not None and desk.catalogue.for_entry(EIF_FEL_ENTRY):
        rows.append((BOOK_EVALUATION.option(ctx.t("📅 Ask for an evaluation")),))
    rows += [
        (ENTRY.option(ctx.t("🤝 Find a social worker"), "social-services-psa"),),
        (ENTRY.option(ctx.t("🏫 Where to learn French"), "french-courses"),),
        (AGAIN.option(ctx.t("🔁 Answer again")),),
    ]
    next_steps = Options(
        text=ctx.t(
            "What to do next: ask your social worker or referent to send you to an "
            "EIF-FEL evaluation. They will find the right class with you."
        ),
        rows=tuple(rows),
    )
    return [card, next_steps]


async def answer_again(ctx: Context, value: str) -> Outcome:
    ctx.keep(Orientation())
    return go(question_step_name(ORDER[0]), replace=True)


async def book_evaluation(ctx: Context, value: str) -> Outcome:
    return await ctx.open(Opens.BOOKING, EIF_FEL_ENTRY)


AGAIN = on("again", answer_again)
BOOK_EVALUATION = on("book", book_evaluation)


FRENCH = Dialog(
    name="french",
    start=At.INTRO,
    menu_label=N_("Learn French"),
    icon="🗣️",
    order=20,
    steps=(
        Step(At.INTRO, show_intro, buttons=(START, ENTRY)),
        *(question_step(question) for question in ORDER),
        Step(At.AREA, show_area, buttons=(AREA,), on_text=text_area, is_question=not_an_area),
        Step(At.RESULT, show_result, buttons=(AGAIN, BOOK_EVALUATION, ENTRY)),
    ),
)
