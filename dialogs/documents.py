"""Documents for a procedure: a checklist the person ticks, and a card to show at a desk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from dialogs.framework import Context, Dialog, Opens, Outcome, Step, StepName, carrying, go
from dialogs.i18n import N_
from dialogs.replies import Card, Option, Options, Reply, Text
from dialogs.state import Consent, StepData
from knowledge.schema import Kind
from knowledge.views import LocalizedEntry


class At(StepName):
    LIST = "docs"
    KEEP = "keep"
    CHECK = "check"
    DESK = "desk"


HAVE = "✅"
NOT_YET = "⬜"


class Checklists(StepData):
    """Ticks per procedure. Kept past this conversation only with the person's consent."""

    namespace: str = "checklists"
    kept_with: ClassVar[Consent | None] = Consent.KEEP_CHECKLISTS
    #: slug → ids of the documents the person has.
    ticked: dict[str, list[str]] = {}
    open: str = ""


async def open_checklist(ctx: Context, slug: str) -> Outcome:
    checklists = ctx.data(Checklists)
    checklists.open = slug
    ctx.keep(checklists)
    if Consent.KEEP_CHECKLISTS.value not in ctx.person.consents:
        return go(At.KEEP)
    return go(At.CHECK)


async def procedures(ctx: Context) -> list[LocalizedEntry]:
    locale = ctx.person.locale or "fr"
    found = await ctx.services.library.entries(locale, kind=Kind.PROCEDURE)
    return [entry for entry in found if entry.checklist]


async def show_list(ctx: Context) -> Sequence[Reply]:
    checklists = ctx.data(Checklists)
    rows: list[tuple[Option, ...]] = []
    for entry in await procedures(ctx):
        done = len(set(checklists.ticked.get(entry.slug, [])) & {i.id for i in entry.checklist})
        progress = f" ({done}/{len(entry.checklist)})" if entry.slug in checklists.ticked else ""
        rows.append((PROCEDURE.option(f"📄 {entry.label}{progress}", entry.slug, entry.title),))
    if not rows:
        return [Text(ctx.t("No document list is available yet."))]
    return [
        Options(
            text=ctx.t("📄 Which procedure? I will list the documents it needs."), rows=tuple(rows)
        )
    ]


async def pick_procedure(ctx: Context, value: str) -> Outcome | None:
    if not any(entry.slug == value for entry in await procedures(ctx)):
        return None
    return await open_checklist(ctx, value)


#: A procedure's slug.
PROCEDURE = carrying("", pick_procedure)


async def show_keep(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t(
                "Shall I keep your ticks so you can come back to this list later? "
                "Only the ticks are kept. You can delete them at any time."
            ),
            rows=(
                (KEEP.option(ctx.t("Yes, keep them"), "yes"),),
                (KEEP.option(ctx.t("No, only for now"), "no"),),
            ),
        )
    ]


async def keep_ticks(ctx: Context, value: str) -> Outcome | None:
    if value not in ("yes", "no"):
        return None
    ctx.person.consents[Consent.KEEP_CHECKLISTS.value] = value == "yes"
    return go(At.CHECK, replace=True)


#: "yes" or "no".
KEEP = carrying("", keep_ticks)


async def _open_entry(ctx: Context) -> LocalizedEntry | None:
    slug = ctx.data(Checklists).open
    if not slug:
        return None
    return await ctx.services.library.entry(slug, ctx.person.locale or "fr")


async def show_check(ctx: Context) -> Sequence[Reply]:
    entry = await _open_entry(ctx)
    if entry is None or not entry.checklist:
        return [Text(ctx.t("This document list is not available any more."))]
    ticked = set(ctx.data(Checklists).ticked.get(entry.slug, []))
    rows: list[tuple[Option, ...]] = []
    for item in entry.checklist:
        mark = HAVE if item.id in ticked else NOT_YET
        suffix = " " + ctx.t("(if it applies)") if item.optional else ""
        rows.append(
            (TICK.option(f"{mark} {item.label}{suffix}", f"{entry.slug}.{item.id}", item.label),)
        )
    rows.append((AT_THE_DESK.option(ctx.t("🪪 Show at the desk"), entry.slug),))
    done = len(ticked & {item.id for item in entry.checklist})
    text = "\n".join(
        [
            ctx.t("☑️ {title}", title=entry.title),
            ctx.t(
                "Tap a document to tick it: {have} I have it · {not_yet} Not yet",
                have=HAVE,
                not_yet=NOT_YET,
            ),
            ctx.t("You have {done} of {total}.", done=done, total=len(entry.checklist)),
        ]
    )
    return [Options(text=text, rows=tuple(rows))]


async def _checklist_of(ctx: Context, slug: str) -> LocalizedEntry | None:
    entry = await ctx.services.library.entry(slug, ctx.person.locale or "fr") if slug else None
    return entry if entry is not None and entry.checklist else None


async def at_the_desk(ctx: Context, value: str) -> Outcome | None:
    slug, _, _ = value.partition(".")
    if await _checklist_of(ctx, slug) is None:
        return None
    checklists = ctx.data(Checklists)
    checklists.open = slug
    ctx.keep(checklists)
    return go(At.DESK)


async def tick(ctx: Context, value: str) -> Outcome | None:
    """`<slug>.<item>`: the document is there, or not any more."""
    slug, _, item_id = value.partition(".")
    entry = await _checklist_of(ctx, slug)
    if entry is None:
        return None
    checklists = ctx.data(Checklists)
    checklists.open = slug
    if item_id not in {item.id for item in entry.checklist}:
        return None
    ticked = checklists.ticked.setdefault(slug, [])
    if item_id in ticked:
        ticked.remove(item_id)
    else:
        ticked.append(item_id)
    ctx.keep(checklists)
    return go(At.CHECK, replace=True)


TICK = carrying("t.", tick)
AT_THE_DESK = carrying("desk.", at_the_desk)


async def show_desk(ctx: Context) -> Sequence[Reply]:
    entry = await _open_entry(ctx)
    if entry is None or not entry.checklist:
        return [Text(ctx.t("This document list is not available any more."))]
    french = await ctx.services.library.entry(entry.slug, "fr")
    ticked = set(ctx.data(Checklists).ticked.get(entry.slug, []))
    lines = []
    for item in entry.checklist:
        mark = HAVE if item.id in ticked else NOT_YET
        if item.label == item.french_label:
            lines.append(f"{mark} {item.french_label}")
        else:
            lines.append(f"{mark} {item.label}\n      🇫🇷 {item.french_label}")
    title = entry.title
    if french is not None and french.title != entry.title:
        title = f"{entry.title}\n🇫🇷 {french.title}"
    # The desk's legend is French; a French reader gets it once, not twice.
    footer = f"{HAVE} = {DESK_HAVE}  ·  {NOT_YET} = {DESK_NOT_YET}"
    if (ctx.person.locale or "fr") != "fr":
        legend = ctx.t("{have} I have it · {not_yet} Not yet", have=HAVE, not_yet=NOT_YET)
        footer = f"{legend}\n{footer}"
    return [Card(title=title, body="\n".join(lines), footer=footer)]


#: For the agent at the desk, always in French.
DESK_HAVE = "j'ai ce document"
DESK_NOT_YET = "pas encore"


DOCUMENTS = Dialog(
    name="documents",
    start=At.LIST,
    menu_label=N_("Documents for a procedure"),
    icon="📄",
    order=30,
    steps=(
        Step(At.LIST, show_list, buttons=(PROCEDURE,)),
        Step(At.KEEP, show_keep, buttons=(KEEP,), reentrant=False),
        Step(At.CHECK, show_check, buttons=(TICK, AT_THE_DESK)),
        Step(At.DESK, show_desk, buttons=()),
    ),
    opens={Opens.CHECKLIST: open_checklist},
)
