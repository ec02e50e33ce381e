"""Near me: the places of the current entry or topic, nearest first, open now or not."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.framework import Context, Dialog, Opens, Outcome, Step, StepName, go, on, stay
from dialogs.replies import Card, Options, Reply, Text
from dialogs.state import Reading, StepData
from dialogs.traps import not_an_area
from knowledge.places import NearPlace, Spot, is_open, nearest, parse_area
from knowledge.views import PlaceView

MAX_PLACES = 5


class Nearby(StepData):
    namespace: str = "near"
    #: The entry whose places are listed; empty means every place that takes people in.
    slug: str = ""


class At(StepName):
    NEAR = "near"


async def open_near(ctx: Context, slug: str) -> Outcome:
    ctx.keep(Nearby(slug=slug))
    return go(At.NEAR)


async def show_near(ctx: Context) -> Sequence[Reply]:
    return [
        Options(
            text=ctx.t(
                "📍 Share your location with the 📎 button, or type your arrondissement "
                "or postcode (for example 19 or 75019)."
            ),
            rows=((ALL_PLACES.option(ctx.t("📋 Show all the places")),),),
        )
    ]


async def places_for(ctx: Context) -> list[PlaceView]:
    slug = ctx.data(Nearby).slug
    locale = ctx.person.locale or "fr"
    if slug:
        entry = await ctx.services.library.entry(slug, locale)
        return list(entry.places) if entry else []
    places: list[PlaceView] = []
    for entry in await ctx.services.library.entries(locale):
        places.extend(entry.places)
    return places


def describe(ctx: Context, near: NearPlace[PlaceView]) -> str:
    place = near.place
    lines = [f"📍 {place.name}"]
    if place.address:
        lines.append(place.address)
    if near.km is not None:
        lines.append(ctx.t("About {km} km", km=ctx.t.number(round(near.km, 1))))
    # Unknown hours are said once, under the list (`list_places`), not on every place.
    state = is_open(place.hours, ctx.now)
    if state is True:
        lines.append(ctx.t("🟢 Open now"))
    elif state is False:
        lines.append(ctx.t("🔴 Closed now"))
    if place.hours is not None and place.hours.uncertain:
        lines.append(ctx.t("⚠️ These hours may be out of date."))
    if place.phone:
        lines.append(f"☎️ {place.phone}")
    if place.access:
        lines.append(place.access)
    return "\n".join(lines)


async def list_places(ctx: Context, spot: Spot | None) -> Outcome:
    places = await places_for(ctx)
    if not places:
        return stay(Text(ctx.t("I know no place for this yet. A social worker can guide you.")))
    if spot is None:
        ranked = [NearPlace(place, None) for place in sorted(places, key=lambda p: p.name)]
    else:
        ranked = nearest(places, spot, limit=MAX_PLACES)
    body = "\n\n".join(describe(ctx, near) for near in ranked)
    if any(is_open(near.place.hours, ctx.now) is None for near in ranked):
        if len(ranked) == 1:
            body += "\n" + ctx.t("Opening hours not known: ask before going.")
        else:
            body += "\n\n" + ctx.t(
                "Where a place shows no open or closed, its opening hours are not known: "
                "ask before going."
            )
    title = ctx.t("Places near you") if spot else ctx.t("Places")
    return stay(Card(title=title, body=body))


async def all_places(ctx: Context, value: str) -> Outcome:
    return await list_places(ctx, None)


ALL_PLACES = on("all", all_places)


async def text_near(ctx: Context, text: str) -> Outcome:
    spot = parse_area(text)
    if spot is None:
        return stay(
            Text(ctx.t("I did not recognise an arrondissement or a postcode. Try 19 or 75019."))
        )
    return await list_places(ctx, spot)


async def location_near(ctx: Context, latitude: float, longitude: float) -> Outcome:
    return await list_places(ctx, Spot(latitude, longitude))


async def location_anywhere(ctx: Context, latitude: float, longitude: float) -> Outcome:
    """A location shared outside "Near me": places for what the person was reading, else all."""
    slug = ctx.data(Reading).slug if ctx.state.dialog == READING_DIALOG else ""
    ctx.keep(Nearby(slug=slug))
    listed = await list_places(ctx, Spot(latitude, longitude))
    return Outcome(replies=listed.replies, goto=At.NEAR)


#: The name of the dialog of dialogs/reading.py.
READING_DIALOG = "reading"

NEAR = Dialog(
    name="near",
    start=At.NEAR,
    steps=(
        Step(
            At.NEAR,
            show_near,
            buttons=(ALL_PLACES,),
            on_text=text_near,
            on_location=location_near,
            is_question=not_an_area,
        ),
    ),
    opens={Opens.NEAR: open_near},
)
