"""Distances, Paris areas typed by people, and opening hours with holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.places import PARIS, is_open, nearest, parse_area
from knowledge.schema import HoursException, OpeningHours, Place, Weekday


@pytest.mark.parametrize(
    ("text", "arrondissement"),
    [
        ("75019", 19),
        ("19", 19),
        ("19e", 19),
        ("19ème", 19),
        ("Paris 19", 19),
        ("1er", 1),
        ("75116", 16),
        ("٧٥٠١٨", 18),
        ("۱۳", 13),
        ("j'habite 75011 paris", 11),
    ],
)
def test_areas_people_type(text: str, arrondissement: int) -> None:
    spot = parse_area(text)
    assert spot is not None and spot.arrondissement == arrondissement


@pytest.mark.parametrize("text", ["21", "0", "93200", "bonjour", "", "750190"])
def test_not_an_area(text: str) -> None:
    assert parse_area(text) is None


def test_nearest_ranks_by_distance_and_puts_unknown_last() -> None:
    places = [
        Place(id="far", name="Far", arrondissement=15),
        Place(id="near", name="Near", latitude=48.887, longitude=2.385),
        Place(id="nowhere", name="Nowhere"),
        Place(id="near", name="Near again"),
    ]
    spot = parse_area("75019")
    assert spot is not None
    ranked = nearest(places, spot)
    assert [n.place.id for n in ranked] == ["near", "far", "nowhere"]
    assert ranked[0].km is not None and ranked[0].km < 1
    assert ranked[2].km is None


HOURS = OpeningHours(
    weekly={Weekday.MO: ["09:00-12:00", "13:00-17:00"], Weekday.SA: ["10:00-12:00"]},
    exceptions=[HoursException(date=dt.date(2026, 12, 7), hours=[])],
)


def paris(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 11, 30, 9, 30), True),  # Monday morning
        (paris(2026, 11, 30, 12, 30), False),  # lunch break
        (paris(2026, 11, 30, 17, 0), False),  # closing time
        (paris(2026, 12, 1, 10, 0), False),  # Tuesday: closed
        (paris(2026, 12, 7, 10, 0), False),  # a Monday closed by exception
        (paris(2027, 3, 29, 10, 0), False),  # Easter Monday, a public holiday
        (paris(2026, 12, 5, 11, 0), True),  # Saturday
        (dt.datetime(2026, 11, 30, 8, 30, tzinfo=dt.UTC), True),  # 9:30 in Paris
    ],
)
def test_open_now(moment: dt.datetime, expected: bool) -> None:
    assert is_open(HOURS, moment) is expected


def test_unknown_hours_are_unknown() -> None:
    assert is_open(None, paris(2026, 11, 30, 10, 0)) is None
    assert is_open(OpeningHours(), paris(2026, 11, 30, 10, 0)) is None
