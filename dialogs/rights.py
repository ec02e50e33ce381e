"""My rights: the person's situation (or finding it from their papers), then a topic."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.framework import Context, Dialog, Outcome, Step, go, option
from dialogs.i18n import N_
from dialogs.reading import open_entry
from dialogs.replies import Option, Options, Reply, Text
from dialogs.state import Consent, StepData
from knowledge.schema import Kind, Situation, Topic
from knowledge.views import LocalizedEntry

#: The question about asylum asked before "no papers" (dialogs/asylum.py).
ASYLUM_STEP = "asylum-ask"

#: One plain sentence per situation, as the person would say it.
SITUATIONS: dict[Situation, str] = {
    Situation.ASYLUM_SEEKER: N_("I asked for asylum"),
    Situation.DUBLIN: N_("I am in the Dublin procedure"),
    Situation.REFUGEE: N_("I got refugee status"),
    Situation.SUBSIDIARY_PROTECTION: N_("I got subsidiary protection"),
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
                (option("topics", ctx.t("✅ Yes, show the topics")),),
                (option("change", ctx.t("🔄 My situation changed")),),
            ),
        )
    ]


async def press_start(ctx: Context, value: str) -> Outcome | None:
    if value == "topics" and current_situation(ctx) is not None:
        return go("topics")
    if value == "change":
        return go("situation")
    return await press_situation(ctx, value)


async def show_situations(ctx: Context) -> Sequence[Reply]:
    rows = [(option(s.value, ctx.t(label)),) for s, label in SITUATIONS.items()]
    rows.append((option("unsure", ctx.t("❓ I don't know")),))
    return [Options(text=ctx.t("⚖️ Which is your situation?"), rows=tuple(rows))]


async def press_situation(ctx: Context, value: str) -> Outcome | None:
    if value == "unsure":
        return go("papers")
    if value == Situation.UNDOCUMENTED.value:
        return go(ASYLUM_STEP)  # "no papers" may mean "just arrived": asylum first
    try:
        situation = Situation(value)
    except ValueError:
        return None
    return choose(ctx, situation)


def choose(ctx: Context, situation: Situation) -> Outcome:
    rights = ctx.data(Rights)
    rights.situation = situation
    ctx.keep(rights)
    if ctx.person.agreed(Consent.REMEMBER_SITUATION):
        ctx.person.situation = situation.value
        return go("topics")
    if Consent.REMEMBER_SITUATION.value not in ctx.person.consents:
        return go("remember")
    return go("topics")


# -- "I don't know": from the papers the person holds -------------------------------------

PAPERS: dict[str, str] = {
    "ada": N_('A paper saying "attestation de demande d\'asile"'),
    "dublin": N_('A paper about the "Dublin" procedure'),
    "ofpra": N_("A letter from OFPRA or the CNDA"),
    "oqtf": N_("An OQTF (order to leave France)"),
    "permit": N_('A "titre de séjour" or a "récépissé"'),
    "nothing": N_("No paper"),
}


async def show_papers(ctx: Context) -> Sequence[Reply]:
    rows = tuple((option(key, ctx.t(label)),) for key, label in PAPERS.items())
    return [Options(text=ctx.t("📄 Which paper do you have? Choose the closest."), rows=rows)]


async def press_papers(ctx: Context, value: str) -> Outcome | None:
    direct = {
        "ada": Situation.ASYLUM_SEEKER,
        "dublin": Situation.DUBLIN,
        "permit": Situation.RESIDENCE_PERMIT,
    }
    if value == "nothing":
        return go(ASYLUM_STEP)
    if value in direct:
        return choose(ctx, direct[value])
    if value == "ofpra":
        return go("ofpra")
    if value == "oqtf":
        return go("oqtf")
    return None


async def show_ofpra(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t("What does the letter say?"),
            rows=(
                (option("refugee", ctx.t('"réfugié" (refugee status)')),),
                (option("subsidiary", ctx.t('"protection subsidiaire"')),),
                (option("rejected", ctx.t('"rejet" (refusal)')),),
                (option("unsure", ctx.t("I don't understand it")),),
            ),
        )
    ]


async def press_ofpra(ctx: Context, value: str) -> Outcome | None:
    outcomes = {
        "refugee": Situation.REFUGEE,
        "subsidiary": Situation.SUBSIDIARY_PROTECTION,
        "rejected": Situation.REJECTED_ASYLUM,
    }
    if value in outcomes:
        return choose(ctx, outcomes[value])
    if value == "unsure":
        note = Text(
            ctx.t(
                "Show the letter to a social worker or a free legal help point: "
                "they will explain it. Here is where to find them."
            )
        )
        opened = open_entry(ctx, "legal-aid")
        return Outcome(replies=(note,), goto=opened.goto)
    return None


async def show_oqtf(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t("Did you ask for asylum in France before?"),
            rows=(
                (option("asked", ctx.t("Yes")),),
                (option("never", ctx.t("No")),),
            ),
        )
    ]


async def press_oqtf(ctx: Context, value: str) -> Outcome | None:
    if value == "asked":
        return choose(ctx, Situation.REJECTED_ASYLUM)
    if value == "never":
        return choose(ctx, Situation.UNDOCUMENTED)
    return None


# -- consent to remember -------------------------------------------------------------------


async def show_remember(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t(
                "Shall I remember your situation for next time? It is only used to show you "
                "the right information, never shared. You can delete it at any time."
            ),
            rows=(
                (option("yes", ctx.t("Yes, remember it")),),
                (option("no", ctx.t("No, only for now")),),
            ),
        )
    ]


async def press_remember(ctx: Context, value: str) -> Outcome | None:
    if value not in ("yes", "no"):
        return None
    agreed = value == "yes"
    ctx.person.consents[Consent.REMEMBER_SITUATION.value] = agreed
    situation = ctx.data(Rights).situation
    ctx.person.situation = situation.value if agreed and situation else None
    return go("topics", replace=True)


# -- topics ----------------------------------------------------------------------------------


async def show_topics(ctx: Context) -> Sequence[Reply]:
    situation = current_situation(ctx)
    if situation is None:
        return await show_situations(ctx)
    rows = tuple((option(topic.value, ctx.t(label)),) for topic, label in TOPICS.items())
    text = ctx.t(
        "{situation}. What do you want to know about?", situation=ctx.t(SITUATIONS[situation])
    )
    return [Options(text=text, rows=(*rows, (option("change", ctx.t("🔄 Change situation")),)))]


async def press_topics(ctx: Context, value: str) -> Outcome | None:
    situation = current_situation(ctx)
    if value == "change":
        return go("situation")
    if situation is None:
        return go("situation")
    try:
        topic = Topic(value)
    except ValueError:
        return None
    rights = ctx.data(Rights)
    rights.topic = topic
    ctx.keep(rights)
    if topic is Topic.PAPERS:
        return open_entry(ctx, STATUS_ENTRY[situation])
    found = await entries_for(ctx, situation, topic)
    if len(found) == 1:
        return open_entry(ctx, found[0].slug)
    return go("choices")


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
                rows=((option("e-social-services-psa", ctx.t("🤝 Find social services")),),),
            )
        ]
    rows: list[tuple[Option, ...]] = [(option(f"e-{e.slug}", e.label, e.title),) for e in found]
    return [Options(text=ctx.t(TOPICS[rights.topic]), rows=tuple(rows))]


async def press_choices(ctx: Context, value: str) -> Outcome | None:
    if value.startswith("e-"):
        return open_entry(ctx, value[2:])
    return None


RIGHTS = Dialog(
    name="rights",
    start="rights",
    menu_label=N_("My rights"),
    icon="⚖️",
    order=10,
    steps=(
        Step("rights", show_start, press_start),
        Step("situation", show_situations, press_situation),
        Step("papers", show_papers, press_papers),
        Step("ofpra", show_ofpra, press_ofpra),
        Step("oqtf", show_oqtf, press_oqtf),
        Step("remember", show_remember, press_remember, reentrant=False),
        Step("topics", show_topics, press_topics),
        Step("choices", show_choices, press_choices),
    ),
)
