"""Where places are and whether they are open: distances, Paris areas, opening hours."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

import holidays

from knowledge.locales import native_digits
from knowledge.schema import OpeningHours, Weekday

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = (Weekday.MO, Weekday.TU, Weekday.WE, Weekday.TH, Weekday.FR, Weekday.SA, Weekday.SU)

#: Approximate centre of each arrondissement's built-up area, to rank places by distance
#: when a person types an arrondissement or a postcode instead of sharing a location.
ARRONDISSEMENT_CENTRES: dict[int, tuple[float, float]] = {
    1: (48.8626, 2.3363),
    2: (48.8683, 2.3428),
    3: (48.8630, 2.3601),
    4: (48.8543, 2.3576),
    5: (48.8445, 2.3497),
    6: (48.8491, 2.3328),
    7: (48.8562, 2.3122),
    8: (48.8727, 2.3125),
    9: (48.8770, 2.3375),
    10: (48.8761, 2.3607),
    11: (48.8591, 2.3800),
    12: (48.8412, 2.3876),
    13: (48.8283, 2.3623),
    14: (48.8292, 2.3265),
    15: (48.8401, 2.2928),
    16: (48.8637, 2.2769),
    17: (48.8873, 2.3067),
    18: (48.8925, 2.3484),
    19: (48.8871, 2.3848),
    20: (48.8634, 2.4012),
}

_POSTCODE = re.compile(r"\b75(?:0(0[1-9]|1\d|20)|116)\b")
_ARRONDISSEMENT = re.compile(
    r"^\s*(?:paris\s*)?(\d{1,2})\s*(?:e|er|eme|ème|ième|è|th|st|nd|rd|arr\w*)?\.?\s*$",
    re.IGNORECASE,
)
#: Digits of other scripts people type: each locale's native digits (knowledge/locales/).
_DIGITS = native_digits()


class Located(Protocol):
    """Anything with a place's whereabouts: a bundled place or a store view of one."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def latitude(self) -> float | None: ...

    @property
    def longitude(self) -> float | None: ...

    @property
    def arrondissement(self) -> int | None: ...

    @property
    def postcode(self) -> str | None: ...


PlaceT = TypeVar("PlaceT", bound=Located)


@dataclass(frozen=True)
class Spot:
    """A point people are near: a shared location or the centre of an arrondissement."""

    latitude: float
    longitude: float
    arrondissement: int | None = None


def parse_area(text: str) -> Spot | None:
    """An arrondissement ("19", "19e", "Paris 19") or a Paris postcode ("75019")."""
    cleaned = text.translate(_DIGITS).strip()
    postcode = _POSTCODE.search(cleaned)
    if postcode:
        number = 16 if postcode.group(0) == "75116" else int(postcode.group(1))
        return _centre(number)
    match = _ARRONDISSEMENT.match(cleaned)
    if match and 1 <= int(match.group(1)) <= 20:
        return _centre(int(match.group(1)))
    return None


def _centre(arrondissement: int) -> Spot:
    latitude, longitude = ARRONDISSEMENT_CENTRES[arrondissement]
    return Spot(latitude, longitude, arrondissement)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine), plenty precise within a city."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def position(place: Located) -> tuple[float, float] | None:
    """The place's own coordinates, else its arrondissement's centre, else unknown."""
    if place.latitude is not None and place.longitude is not None:
        return (place.latitude, place.longitude)
    arrondissement = place.arrondissement
    if arrondissement is None and place.postcode:
        spot = parse_area(place.postcode)
        arrondissement = spot.arrondissement if spot else None
    if arrondissement is not None:
        return ARRONDISSEMENT_CENTRES[arrondissement]
    return None


@dataclass(frozen=True)
class NearPlace(Generic[PlaceT]):
    place: PlaceT
    #: None when the place has no known position.
    km: float | None


def nearest(places: Iterable[PlaceT], spot: Spot, limit: int = 5) -> list[NearPlace[PlaceT]]:
    """Places by distance; those without a known position come last, by name."""
    ranked: list[NearPlace[PlaceT]] = []
    unknown: list[NearPlace[PlaceT]] = []
    seen: set[str] = set()
    for place in places:
        if place.id in seen:
            continue
        seen.add(place.id)
        where = position(place)
        if where is None:
            unknown.append(NearPlace(place, None))
        else:
            ranked.append(NearPlace(place, distance_km((spot.latitude, spot.longitude), where)))
    ranked.sort(key=lambda near: (near.km or 0.0, near.place.name))
    unknown.sort(key=lambda near: near.place.name)
    return [*ranked, *unknown][:limit]


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_public_holiday(day: dt.date) -> bool:
    return day in _public_holidays(day.year)


def _ranges(hours: OpeningHours, day: dt.date) -> Sequence[str]:
    for exception in hours.exceptions:
        if exception.date == day:
            return exception.hours
    if hours.closed_on_public_holidays and is_public_holiday(day):
        return ()
    return hours.weekly.get(WEEKDAYS[day.weekday()], ())


def is_open(hours: OpeningHours | None, at: dt.datetime) -> bool | None:
    """Open at that moment (Paris time), closed, or None when the hours are not known."""
    if hours is None or (not hours.weekly and not hours.exceptions):
        return None
    local = at.astimezone(PARIS)
    now = local.strftime("%H:%M")
    for item in _ranges(hours, local.date()):
        start, end = item.split("-")
        if start <= now < end:
            return True
    return False
