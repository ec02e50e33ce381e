"""Reading one knowledge entry: the summary card, "More" page by page, related entries."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.appointments import open_for_entry
from dialogs.documents import open_checklist
from dialogs.framework import Context, Dialog, Outcome, Step, go, option
from dialogs.near import Nearby, list_places, open_near
from dialogs.replies import Card, Option, Options, Reply, Text
from dialogs.state import StepData
from knowledge.places import Spot
from knowledge.views import LocalizedEntry

PAGE_CHARS = 1200
MAX_RELATED = 3
SOURCE_LOCALE = "fr"


class Reading(StepData):
    namespace: str = "reading"
    slug: str = ""
    page: int = 0
    #: The reader asked to see the French source instead of a machine draft.
    french: bool = False


def pages_of(body: str, size: int = PAGE_CHARS) -> list[str]:
    """Cut a body into pages at paragraph boundaries, never mid-paragraph unless it is huge."""
    pages: list[str] = []
    current = ""
    for paragraph in [p.strip() for p in body.split("\n\n") if p.strip()]:
        while len(paragraph) > size:
            cut = paragraph.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            if current:
                pages.append(current)
                current = ""
            pages.append(paragraph[:cut].rstrip())
            paragraph = paragraph[cut:].lstrip()
        if current and len(current) + 2 + len(paragraph) > size:
            pages.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        pages.append(current)
    return pages or [""]


def open_entry(ctx: Context, slug: str) -> Outcome:
    ctx.keep(Reading(slug=slug))
    return go("card")


async def current_entry(ctx: Context) -> LocalizedEntry | None:
    reading = ctx.data(Reading)
    if not reading.slug:
        return None
    locale = SOURCE_LOCALE if reading.french else (ctx.person.locale or SOURCE_LOCALE)
    return await ctx.services.library.entry(reading.slug, locale)


def footer(ctx: Context, entry: LocalizedEntry) -> str:
    return ctx.t("Last checked: {date}", date=ctx.t.date(entry.last_checked))


def badges(ctx: Context, entry: LocalizedEntry) -> tuple[str, ...]:
    marks: list[str] = []
    if entry.is_fallback:
        marks.append(ctx.t("Not yet translated into your language: shown in French."))
    elif entry.needs_review_label:
        marks.append(ctx.t("Machine translation, not yet checked by a person."))
    if entry.review_overdue(ctx.now.date()):
        marks.append(
            ctx.t("This information is due for a check: ask a social worker to confirm it.")
        )
    return tuple(marks)


async def show_card(ctx: Context) -> Sequence[Reply]:
    entry = await current_entry(ctx)
    if entry is None:
        return [Text(ctx.t("This information is not available any more."))]
    card = Card(
        title=entry.title,
        body=entry.summary,
        footer=footer(ctx, entry),
        badges=badges(ctx, entry),
    )
    return [card, Options(text=ctx.t("What next?"), rows=await card_options(ctx, entry))]


async def card_options(ctx: Context, entry: LocalizedEntry) -> tuple[tuple[Option, ...], ...]:
    # Each button names its entry, so an old card's buttons still act on that entry.
    reading = ctx.data(Reading)
    slug = entry.slug
    rows: list[tuple[Option, ...]] = []
    if entry.body.strip():
        rows.append((option(f"more.{slug}", ctx.t("📖 More")),))
    if reading.french:
        rows.append((option(f"mine.{slug}", ctx.t("🌐 Back to my language")),))
    elif entry.needs_review_label or entry.is_fallback:
        if ctx.person.locale != SOURCE_LOCALE:
            rows.append((option(f"fr.{slug}", ctx.t("🇫🇷 Show in French")),))
    if entry.checklist:
        rows.append((option(f"check.{slug}", ctx.t("☑️ Documents to bring")),))
    if entry.places:
        rows.append((option(f"near.{slug}", ctx.t("📍 Places near me")),))
    desk = ctx.conversations.bookings()
    if desk is not None and desk.catalogue.for_entry(slug):
        rows.append((option(f"book.{slug}", ctx.t("📅 Book")),))
    for slug in entry.related[:MAX_RELATED]:
        related = await ctx.services.library.entry(slug, ctx.person.locale or SOURCE_LOCALE)
        if related is not None:
            rows.append((option(f"r-{slug}", f"➡️ {related.label}"),))
    return tuple(rows)


async def press_card(ctx: Context, value: str) -> Outcome | None:
    if value.startswith("r-"):
        return open_entry(ctx, value[2:])
    action, _, slug = value.partition(".")
    if not slug:
        return None
    reading = ctx.data(Reading)
    if reading.slug != slug:
        reading = Reading(slug=slug)
    if action == "more":
        reading.page = 0
        ctx.keep(reading)
        return go("more")
    if action in ("fr", "mine"):
        reading.french = action == "fr"
        ctx.keep(reading)
        return go("card", replace=True)
    ctx.keep(reading)
    if action == "check":
        return await open_checklist(ctx, slug)
    if action == "near":
        return open_near(ctx, slug)
    if action == "book":
        return await open_for_entry(ctx, slug)
    return None


async def show_more(ctx: Context) -> Sequence[Reply]:
    entry = await current_entry(ctx)
    if entry is None:
        return [Text(ctx.t("This information is not available any more."))]
    reading = ctx.data(Reading)
    pages = pages_of(entry.body)
    page = min(max(reading.page, 0), len(pages) - 1)
    heading = entry.title
    if len(pages) > 1:
        heading += " " + ctx.t("({page}/{pages})", page=page + 1, pages=len(pages))
    reply: list[Reply] = [Card(title=heading, body=pages[page], footer=footer(ctx, entry))]
    choices: list[Option] = []
    if page + 1 < len(pages):
        choices.append(option("next", ctx.t("▶️ Continue")))
    choices.append(option("summary", ctx.t("📄 Summary")))
    reply.append(Options(text=ctx.t("What next?"), rows=tuple((c,) for c in choices)))
    return reply


async def press_more(ctx: Context, value: str) -> Outcome | None:
    reading = ctx.data(Reading)
    if value == "next":
        reading.page += 1
        ctx.keep(reading)
        return go("more", replace=True)
    if value == "summary":
        return go("card", replace=True)
    return None


async def open_from_link(ctx: Context, slug: str) -> Outcome | None:
    """Deep link `e-<slug>`: an entry opened in the reader's own language."""
    if await ctx.services.library.entry(slug, ctx.person.locale or SOURCE_LOCALE) is None:
        return None
    return open_entry(ctx, slug)


async def location_anywhere(ctx: Context, latitude: float, longitude: float) -> Outcome:
    """A location shared outside "Near me": places for what the person was reading, else all."""
    slug = ctx.data(Reading).slug if ctx.state.dialog == "reading" else ""
    ctx.keep(Nearby(slug=slug))
    listed = await list_places(ctx, Spot(latitude, longitude))
    return Outcome(replies=listed.replies, goto="near")


READING = Dialog(
    name="reading",
    start="card",
    steps=(
        Step("card", show_card, press_card),
        Step("more", show_more, press_more),
    ),
)
