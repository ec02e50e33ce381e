"""Reading one knowledge entry: the summary card, "More" page by page, related entries."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.framework import (
    Context,
    Dialog,
    Opens,
    Outcome,
    PressFn,
    Step,
    StepName,
    carrying,
    go,
    on,
    to,
)
from dialogs.replies import Card, Option, Options, Reply, Text
from dialogs.state import Reading
from knowledge.views import LocalizedEntry

PAGE_CHARS = 1200
MAX_RELATED = 3
SOURCE_LOCALE = "fr"


class At(StepName):
    CARD = "card"
    MORE = "more"


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


async def open_entry(ctx: Context, slug: str) -> Outcome:
    ctx.keep(Reading(slug=slug))
    return go(At.CARD)


async def current_entry(ctx: Context) -> LocalizedEntry | None:
    reading = ctx.data(Reading)
    if not reading.slug:
        return None
    locale = SOURCE_LOCALE if reading.french else (ctx.person.locale or SOURCE_LOCALE)
    return await ctx.services.library.entry(reading.slug, locale)


def footer(ctx: Context, entry: LocalizedEntry) -> str:
    date = ctx.t.date(entry.last_checked)
    if entry.old_source_year is not None:
        # Checked lately, yet resting on an old source: the reader sees both.
        return ctx.t(
            "Last checked: {date} (it relies on a source from {year})",
            date=date,
            year=str(entry.old_source_year),
        )
    return ctx.t("Last checked: {date}", date=date)


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
        rows.append((MORE.option(ctx.t("📖 More"), slug),))
    if reading.french:
        rows.append((MY_LANGUAGE.option(ctx.t("🌐 Back to my language"), slug),))
    elif entry.needs_review_label or entry.is_fallback:
        if ctx.person.locale != SOURCE_LOCALE:
            rows.append((IN_FRENCH.option(ctx.t("🇫🇷 Show in French"), slug),))
    if entry.checklist:
        rows.append((CHECKLIST.option(ctx.t("☑️ Documents to bring"), slug),))
    if entry.places:
        rows.append((NEAR.option(ctx.t("📍 Places near me"), slug),))
    desk = ctx.conversations.bookings()
    if desk is not None and desk.catalogue.for_entry(slug):
        rows.append((BOOK.option(ctx.t("📅 Book"), slug),))
    for slug in entry.related[:MAX_RELATED]:
        related = await ctx.services.library.entry(slug, ctx.person.locale or SOURCE_LOCALE)
        if related is not None:
            rows.append((RELATED.option(f"➡️ {related.label}", slug),))
    return tuple(rows)


def _reading(ctx: Context, slug: str) -> Reading:
    """What is read, now the entry of the pressed button (an old card's may be another)."""
    reading = ctx.data(Reading)
    return reading if reading.slug == slug else Reading(slug=slug)


async def read_more(ctx: Context, slug: str) -> Outcome | None:
    if not slug:
        return None
    reading = _reading(ctx, slug)
    reading.page = 0
    ctx.keep(reading)
    return go(At.MORE)


async def _in(ctx: Context, slug: str, french: bool) -> Outcome | None:
    if not slug:
        return None
    reading = _reading(ctx, slug)
    reading.french = french
    ctx.keep(reading)
    return go(At.CARD, replace=True)


async def in_french(ctx: Context, slug: str) -> Outcome | None:
    return await _in(ctx, slug, french=True)


async def in_my_language(ctx: Context, slug: str) -> Outcome | None:
    return await _in(ctx, slug, french=False)


def _opening(what: Opens) -> PressFn:
    """A card's button that opens `what` of its entry in another journey."""

    async def press(ctx: Context, slug: str) -> Outcome | None:
        if not slug:
            return None
        ctx.keep(_reading(ctx, slug))
        return await ctx.open(what, slug)

    return press


# Each button names its entry, so an old card's buttons still act on that entry.
MORE = carrying("more.", read_more)
MY_LANGUAGE = carrying("mine.", in_my_language)
IN_FRENCH = carrying("fr.", in_french)
CHECKLIST = carrying("check.", _opening(Opens.CHECKLIST))
NEAR = carrying("near.", _opening(Opens.NEAR))
BOOK = carrying("book.", _opening(Opens.BOOKING))
RELATED = carrying("r-", open_entry)


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
        choices.append(NEXT_PAGE.option(ctx.t("▶️ Continue")))
    choices.append(SUMMARY.option(ctx.t("📄 Summary")))
    reply.append(Options(text=ctx.t("What next?"), rows=tuple((c,) for c in choices)))
    return reply


async def next_page(ctx: Context, value: str) -> Outcome:
    reading = ctx.data(Reading)
    reading.page += 1
    ctx.keep(reading)
    return go(At.MORE, replace=True)


NEXT_PAGE = on("next", next_page)
SUMMARY = to("summary", At.CARD, replace=True)


async def open_from_link(ctx: Context, slug: str) -> Outcome | None:
    """Deep link `e-<slug>`: an entry opened in the reader's own language."""
    if await ctx.services.library.entry(slug, ctx.person.locale or SOURCE_LOCALE) is None:
        return None
    return await open_entry(ctx, slug)


READING = Dialog(
    name="reading",
    start=At.CARD,
    steps=(
        Step(
            At.CARD,
            show_card,
            buttons=(MORE, MY_LANGUAGE, IN_FRENCH, CHECKLIST, NEAR, BOOK, RELATED),
        ),
        Step(At.MORE, show_more, buttons=(NEXT_PAGE, SUMMARY)),
    ),
    opens={Opens.ENTRY: open_entry},
)
