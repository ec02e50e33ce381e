"""Documents for a procedure: a checklist the person ticks, and a card to show at a desk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from dialogs.framework import Context, Dialog, Outcome, Step, go, option
from dialogs.i18n import N_
from dialogs.replies import Card, Option, Options, Reply, Text
from dialogs.state import Consent, StepData
from knowledge.schema import Kind
from knowledge.views import LocalizedEntry

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
        return go("keep")
    return go("check")


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
        rows.append((option(entry.slug, f"📄 {entry.label}{progress}", entry.title),))
    if not rows:
        return [Text(ctx.t("No document list is available yet."))]
    return [
        Options(
            text=ctx.t("📄 Which procedure? I will list the documents it needs."), rows=tuple(rows)
        )
    ]


async def press_list(ctx: Context, value: str) -> Outcome | None:
    if not any(entry.slug == value for entry in await procedures(ctx)):
        return None
    return await open_checklist(ctx, value)


async def show_keep(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t(
                "Shall I keep your ticks so you can come back to this list later? "
                "Only the ticks are kept. You can delete them at any time."
            ),
            rows=(
                (option("yes", ctx.t("Yes, keep them")),),
                (option("no", ctx.t("No, only for now")),),
            ),
        )
    ]


async def press_keep(ctx: Context, value: str) -> Outcome | None:
    if value not in ("yes", "no"):
        return None
    ctx.person.consents[Consent.KEEP_CHECKLISTS.value] = value == "yes"
    return go("check", replace=True)


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
            (option(f"t.{entry.slug}.{item.id}", f"{mark} {item.label}{suffix}", item.label),)
        )
    rows.append((option(f"desk.{entry.slug}", ctx.t("🪪 Show at the desk")),))
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


async def press_check(ctx: Context, value: str) -> Outcome | None:
    action, _, rest = value.partition(".")
    slug, _, item_id = rest.partition(".")
    entry = await ctx.services.library.entry(slug, ctx.person.locale or "fr") if slug else None
    if entry is None or not entry.checklist:
        return None
    checklists = ctx.data(Checklists)
    checklists.open = slug
    if action == "desk":
        ctx.keep(checklists)
        return go("desk")
    if action != "t" or item_id not in {item.id for item in entry.checklist}:
        return None
    ticked = checklists.ticked.setdefault(slug, [])
    if item_id in ticked:
        ticked.remove(item_id)
    else:
        ticked.append(item_id)
    ctx.keep(checklists)
    return go("check", replace=True)


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
    legend = ctx.t("{have} I have it · {not_yet} Not yet", have=HAVE, not_yet=NOT_YET)
    footer = f"{legend}\n{HAVE} = {DESK_HAVE}  ·  {NOT_YET} = {DESK_NOT_YET}"
    return [Card(title=title, body="\n".join(lines), footer=footer)]


#: For the agent at the desk, always in French.
DESK_HAVE = "j'ai ce document"
DESK_NOT_YET = "pas encore"


async def no_choice(ctx: Context, value: str) -> Outcome | None:
    return None


DOCUMENTS = Dialog(
    name="documents",
    start="docs",
    menu_label=N_("Documents for a procedure"),
    icon="📄",
    order=30,
    steps=(
        Step("docs", show_list, press_list),
        Step("keep", show_keep, press_keep, reentrant=False),
        Step("check", show_check, press_check),
        Step("desk", show_desk, no_choice),
    ),
)
