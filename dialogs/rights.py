"""My rights: the person's situation (or finding it from their papers), then a topic."""

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
    to,
)
from dialogs.i18n import N_
from dialogs.replies import Option, Options, Reply, Text
from dialogs.state import Consent, StepData
from knowledge.schema import Kind, Situation, Topic
from knowledge.views import LocalizedEntry


class At(StepName):
    START = "rights"
    SITUATION = "situation"
    PAPERS = "papers"
    OFPRA = "ofpra"
    OQTF = "oqtf"
    REMEMBER = "remember"
    TOPICS = "topics"
    CHOICES = "choices"


#: One plain sentence per situation, as the person would say it.
SITUATIONS: dict[Situation, str] = {
    Situation.ASYLUM_SEEKER: N_("I asked for asylum"),
    Situation.DUBLIN: N_("I am in the Dublin procedure"),
    Situation.REFUGEE: N_("I got refugee status"),
    Situation.SUBSIDIARY_PROTECTION: N_("I got subsidiary protection"),
    # Its own rights (people from Ukraine): never shown subsidiary protection's as hers.
    Situation.TEMPORARY_PROTECTION: N_("I have temporary protection (Ukraine)"),
    Situation.STATELESS: N_("I am stateless or asked to be"),
    Situation.REJECTED_ASYLUM: N_("My asylum claim was refused"),
    Situation.UNDOCUMENTED: N_("I have no residence papers"),
    Situation.RESIDENCE_PERMIT: N_("I have a residence permit"),
}

#: The status entry describing each situation.
STATUS_ENTRY: dict[Situation, str] = {s: f"status-{s.value}" for s in Situation}

TOPICS: dict[Topic, str] = {
    Topic.PAPERS: N_("📄 My status and papers"),
    Topic.HEALTH: N_("🏥 Health"),
    Topic.SHELTER: N_("🛏️ Shelter"),
    Topic.WORK: N_("💼 Work"),
    Topic.MONEY: N_("💶 Money"),
    Topic.TRANSPORT: N_("🚇 Transport"),
    Topic.FRENCH: N_("🗣️ French"),
    Topic.LEGAL: N_("⚖️ Legal help"),
    Topic.CHILDREN: N_("🧒 Children and school"),
    Topic.BANK: N_("🏦 Bank"),
}

#: Which kinds answer a topic best, first first.
KIND_ORDER = (Kind.RIGHT, Kind.PROCEDURE, Kind.SERVICE, Kind.COURSE, Kind.CONTACT, Kind.FAQ)


class Rights(StepData):
    namespace: str = "rights"
    situation: Situation | None = None
    topic: Topic | None = None


def current_situation(ctx: Context) -> Situation | None:
    chosen = ctx.data(Rights).situation
    if chosen is not None:
        return chosen
    remembered = ctx.person.situation
    if remembered and ctx.person.agreed(Consent.REMEMBER_SITUATION):
        try:
            return Situation(remembered)
        except ValueError:
            return None
    return None


# -- which situation ---------------------------------------------------------------------


async def show_start(ctx: Context) -> Sequence[Reply]:
    situation = current_situation(ctx)
    if situation is None:
        return await show_situations(ctx)
    return [
        Options(
            text=ctx.t("⚖️ Your situation: {situation}", situation=ctx.t(SITUATIONS[situation])),
            rows=(
                (SHOW_TOPICS.option(ctx.t("✅ Yes, show the topics")),),
                (CHANGE.option(ctx.t("🔄 My situation changed")),),
            ),
        )
    ]


async def show_topics_if_known(ctx: Context, value: str) -> Outcome | None:
    return go(At.TOPICS) if current_situation(ctx) is not None else None


async def show_situations(ctx: Context) -> Sequence[Reply]:
    rows = [(PICK_SITUATION.option(ctx.t(label), s.value),) for s, label in SITUATIONS.items()]
    rows.append((UNSURE.option(ctx.t("❓ I don't know")),))
    return [Options(text=ctx.t("⚖️ Which is your situation?"), rows=tuple(rows))]


async def pick_situation(ctx: Context, value: str) -> Outcome | None:
    if value == Situation.UNDOCUMENTED.value:
        return await asylum_first(ctx, value)
    try:
        situation = Situation(value)
    except ValueError:
        return None
    return choose(ctx, situation)


async def asylum_first(ctx: Context, value: str) -> Outcome:
    """No papers may mean just arrived: the question about asylum comes first
    (dialogs/asylum.py), and its answers come back here (`Opens.SITUATION`)."""
    return await ctx.open(Opens.ASYLUM, "")


def choose(ctx: Context, situation: Situation) -> Outcome:
    rights = ctx.data(Rights)
    rights.situation = situation
    ctx.keep(rights)
    if ctx.person.agreed(Consent.REMEMBER_SITUATION):
        ctx.person.situation = situation.value
        return go(At.TOPICS)
    if Consent.REMEMBER_SITUATION.value not in ctx.person.consents:
        return go(At.REMEMBER)
    return go(At.TOPICS)


SHOW_TOPICS = on("topics", show_topics_if_known)
CHANGE = to("change", At.SITUATION)
UNSURE = to("unsure", At.PAPERS)
#: A situation's value, pressed on the situations' list.
PICK_SITUATION = carrying("", pick_situation)


# -- "I don't know": from the papers the person holds -------------------------------------

PAPERS: dict[str, str] = {
    "ada": N_('A paper saying "attestation de demande d\'asile"'),
    "dublin": N_('A paper about the "Dublin" procedure'),
    "temporary": N_('A paper saying "protection temporaire" (people from Ukraine)'),
    "ofpra": N_("A letter from OFPRA or the CNDA"),
    "oqtf": N_("An OQTF (order to leave France)"),
    "permit": N_('A "titre de séjour" or a "récépissé"'),
    "nothing": N_("No paper"),
}


async def show_papers(ctx: Context) -> Sequence[Reply]:
    rows = tuple((PAPER.option(ctx.t(label), key),) for key, label in PAPERS.items())
    return [Options(text=ctx.t("📄 Which paper do you have? Choose the closest."), rows=rows)]


async def paper_says(ctx: Context, value: str) -> Outcome | None:
    """A paper that tells the situation at once."""
    direct = {
        "ada": Situation.ASYLUM_SEEKER,
        "dublin": Situation.DUBLIN,
        "temporary": Situation.TEMPORARY_PROTECTION,
        "permit": Situation.RESIDENCE_PERMIT,
    }
    return choose(ctx, direct[value]) if value in direct else None


#: Every paper of PAPERS; OFPRA's letter and an OQTF need one more question, and no
#: paper at all the question about asylum.
PAPER = carrying("", paper_says)
PAPER_BUTTONS = (
    to("ofpra", At.OFPRA),
    to("oqtf", At.OQTF),
    on("nothing", asylum_first),
    PAPER,
)


async def show_ofpra(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t("What does the letter say?"),
            rows=(
                (LETTER.option(ctx.t('"réfugié" (refugee status)'), "refugee"),),
                (LETTER.option(ctx.t('"protection subsidiaire"'), "subsidiary"),),
                (LETTER.option(ctx.t('"rejet" (refusal)'), "rejected"),),
                (LETTER_UNCLEAR.option(ctx.t("I don't understand it")),),
            ),
        )
    ]


async def letter_says(ctx: Context, value: str) -> Outcome | None:
    outcomes = {
        "refugee": Situation.REFUGEE,
        "subsidiary": Situation.SUBSIDIARY_PROTECTION,
        "rejected": Situation.REJECTED_ASYLUM,
    }
    return choose(ctx, outcomes[value]) if value in outcomes else None


async def letter_unclear(ctx: Context, value: str) -> Outcome:
    note = Text(
        ctx.t(
            "Show the letter to a social worker or a free legal help point: "
            "they will explain it. Here is where to find them."
        )
    )
    opened = await ctx.open(Opens.ENTRY, "legal-aid")
    return Outcome(replies=(note,), goto=opened.goto)


LETTER = carrying("", letter_says)
LETTER_UNCLEAR = on("unsure", letter_unclear)


async def show_oqtf(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t("Did you ask for asylum in France before?"),
            rows=(
                (ASKED_ASYLUM.option(ctx.t("Yes")),),
                (NEVER_ASKED.option(ctx.t("No")),),
            ),
        )
    ]


async def asked_asylum(ctx: Context, value: str) -> Outcome:
    return choose(ctx, Situation.REJECTED_ASYLUM)


async def never_asked(ctx: Context, value: str) -> Outcome:
    return choose(ctx, Situation.UNDOCUMENTED)


ASKED_ASYLUM = on("asked", asked_asylum)
NEVER_ASKED = on("never", never_asked)


# -- consent to remember -------------------------------------------------------------------


async def show_remember(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t(
                "Shall I remember your situation for next time? It is only used to show you "
                "the right information, never shared. You can delete it at any time."
            ),
            rows=(
                (REMEMBER.option(ctx.t("Yes, remember it"), "yes"),),
                (REMEMBER.option(ctx.t("No, only for now"), "no"),),
            ),
        )
    ]


async def remember(ctx: Context, value: str) -> Outcome | None:
    if value not in ("yes", "no"):
        return None
    agreed = value == "yes"
    ctx.person.consents[Consent.REMEMBER_SITUATION.value] = agreed
    situation = ctx.data(Rights).situation
    ctx.person.situation = situation.value if agreed and situation else None
    return go(At.TOPICS, replace=True)


#: "yes" or "no".
REMEMBER = carrying("", remember)


# -- topics ----------------------------------------------------------------------------------


async def show_topics(ctx: Context) -> Sequence[Reply]:
    situation = current_situation(ctx)
    if situation is None:
        return await show_situations(ctx)
    rows = tuple((TOPIC.option(ctx.t(label), topic.value),) for topic, label in TOPICS.items())
    text = ctx.t(
        "{situation}. What do you want to know about?", situation=ctx.t(SITUATIONS[situation])
    )
    return [Options(text=text, rows=(*rows, (CHANGE.option(ctx.t("🔄 Change situation")),)))]


async def pick_topic(ctx: Context, value: str) -> Outcome | None:
    situation = current_situation(ctx)
    if situation is None:
        return go(At.SITUATION)
    try:
        topic = Topic(value)
    except ValueError:
        return None
    rights = ctx.data(Rights)
    rights.topic = topic
    ctx.keep(rights)
    if topic is Topic.PAPERS:
        return await ctx.open(Opens.ENTRY, STATUS_ENTRY[situation])
    found = await entries_for(ctx, situation, topic)
    if len(found) == 1:
        return await ctx.open(Opens.ENTRY, found[0].slug)
    return go(At.CHOICES)


TOPIC = carrying("", pick_topic)


async def entries_for(ctx: Context, situation: Situation, topic: Topic) -> list[LocalizedEntry]:
    """Entries for this topic that apply to the situation (or to everyone), best kinds first."""
    locale = ctx.person.locale or "fr"
    found = await ctx.services.library.entries(locale, situation=situation, topic=topic)
    if not found:
        found = [
            entry
            for entry in await ctx.services.library.entries(locale, topic=topic)
            if not entry.situations
        ]
    ranked = sorted(
        (entry for entry in found if entry.kind is not Kind.STATUS),
        key=lambda entry: KIND_ORDER.index(entry.kind) if entry.kind in KIND_ORDER else 99,
    )
    return ranked


async def show_choices(ctx: Context) -> Sequence[Reply]:
    rights = ctx.data(Rights)
    situation = current_situation(ctx)
    if situation is None or rights.topic is None:
        return await show_situations(ctx)
    found = await entries_for(ctx, situation, rights.topic)
    if not found:
        return [
            Options(
                text=ctx.t(
                    "I have no information on this for your situation yet. "
                    "A social worker can help you."
                ),
                rows=((ENTRY.option(ctx.t("🤝 Find social services"), "social-services-psa"),),),
            )
        ]
    rows: list[tuple[Option, ...]] = [(ENTRY.option(e.label, e.slug, e.title),) for e in found]
    return [Options(text=ctx.t(TOPICS[rights.topic]), rows=tuple(rows))]


async def open_entry(ctx: Context, slug: str) -> Outcome:
    return await ctx.open(Opens.ENTRY, slug)


ENTRY = carrying("e-", open_entry)


async def open_situation(ctx: Context, value: str) -> Outcome:
    """A situation the person told another journey (the asylum question): its topics."""
    return choose(ctx, Situation(value))


RIGHTS = Dialog(
    name="rights",
    start=At.START,
    menu_label=N_("My rights"),
    icon="⚖️",
    order=10,
    steps=(
        # Without a known situation, the start shows the situations' list.
        Step(At.START, show_start, buttons=(SHOW_TOPICS, CHANGE, UNSURE, PICK_SITUATION)),
        Step(At.SITUATION, show_situations, buttons=(UNSURE, PICK_SITUATION)),
        Step(At.PAPERS, show_papers, buttons=PAPER_BUTTONS),
        Step(At.OFPRA, show_ofpra, buttons=(LETTER_UNCLEAR, LETTER)),
        Step(At.OQTF, show_oqtf, buttons=(ASKED_ASYLUM, NEVER_ASKED)),
        Step(At.REMEMBER, show_remember, buttons=(REMEMBER,), reentrant=False),
        # Without a known situation, the topics show the situations' list: any press
        # there leads to the situations (`pick_topic`).
        Step(At.TOPICS, show_topics, buttons=(CHANGE, TOPIC)),
        Step(At.CHOICES, show_choices, buttons=(ENTRY,)),
    ),
    opens={Opens.SITUATION: open_situation},
)
