"""Planning slots: one at a time, a weekly pattern over dates, or a CSV file.

Times are Paris wall-clock times; they are stored in UTC. A weekly pattern skips French
public holidays, when the services are closed.

CSV format (UTF-8, comma-separated, a header row naming the columns, in any order):

    service,place,date,start,end,capacity[,length][,until][,weekdays]

    service    a service id of bookings/services.yaml (legal-aid, mental-health...)
    place      a place id of that service (droits-urgence-pad-18...)
    date       YYYY-MM-DD, the (first) day
    start,end  HH:MM, Paris time, end after start
    capacity   people per slot, 1 to 500
    length     optional: minutes per slot; the start-end span is then cut into slots of
               that length (09:00-12:00 with 30 gives six slots)
    until      optional: YYYY-MM-DD, repeat weekly on `weekdays` from `date` until then
    weekdays   optional with `until`: mo tu we th fr sa su, separated by spaces or "+"
               (default: the weekday of `date`)

Example:

    service,place,date,start,end,capacity,length,until,weekdays
    legal-aid,droits-urgence-pad-18,2026-12-01,09:00,12:00,1,30,2026-12-31,tu+th
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import holidays

from bookings.catalogue import Catalogue, Mode
from bookings.reference import parse_number
from bookings.views import PARIS, utc

MAX_CAPACITY = 500
MAX_SLOTS_PER_LINE = 1000
WEEKDAY_CODES = ("mo", "tu", "we", "th", "fr", "sa", "su")
REQUIRED_COLUMNS = ("service", "place", "date", "start", "end", "capacity")
OPTIONAL_COLUMNS = ("length", "until", "weekdays")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")


class PlanError(ValueError):
    """A slot plan that cannot be: the message says what, for the person who typed it.

    `template` is English with named placeholders, filled by `params`: `str()` gives the
    English (the CLI's), and the agents' chat translates the template (dialogs/agents.py
    lists every one for the translators)."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = {name: str(value) for name, value in params.items()}
        super().__init__(template.format(**self.params))


@dataclass(frozen=True)
class SlotPlan:
    service_id: str
    place_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("FR", years=year))


def is_public_holiday(day: dt.date) -> bool:
    return day in _public_holidays(day.year)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PlanError("{text} is not a date (YYYY-MM-DD)", text=repr(text.strip())) from None


def parse_time(text: str) -> dt.time:
    match = _TIME.match(text.strip())
    if match is None:
        raise PlanError("{text} is not a time (HH:MM)", text=repr(text.strip()))
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_capacity(text: str) -> int:
    value = parse_number(text)
    if value is None or not 1 <= value <= MAX_CAPACITY:
        raise PlanError(
            "capacity {text} must be a whole number from 1 to {most}",
            text=repr(text.strip()),
            most=MAX_CAPACITY,
        )
    return value


def parse_minutes(text: str) -> int:
    value = parse_number(text)
    if value is None or not 5 <= value <= 480:
        raise PlanError(
            "length {text} must be a number of minutes from 5 to 480", text=repr(text.strip())
        )
    return value


def parse_weekdays(text: str) -> frozenset[int]:
    codes = [code for code in re.split(r"[\s+,;/]+", text.strip().lower()) if code]
    unknown = [code for code in codes if code not in WEEKDAY_CODES]
    if unknown or not codes:
        raise PlanError(
            "weekdays {text}: use {codes}", text=repr(text.strip()), codes=" ".join(WEEKDAY_CODES)
        )
    return frozenset(WEEKDAY_CODES.index(code) for code in codes)


def paris(day: dt.date, time: dt.time) -> dt.datetime:
    return utc(dt.datetime.combine(day, time, PARIS))


def expand(
    service_id: str,
    place_id: str,
    first: dt.date,
    start: dt.time,
    end: dt.time,
    capacity: int,
    *,
    length: int | None = None,
    until: dt.date | None = None,
    weekdays: frozenset[int] | None = None,
) -> list[SlotPlan]:
    """Every slot of one line: one day or weekly days, one span or cut into `length`."""
    if end <= start:
        raise PlanError(
            "end {end} must be after start {start}", end=f"{end:%H:%M}", start=f"{start:%H:%M}"
        )
    if until is not None and until < first:
        raise PlanError("until {until} is before the date {first}", until=until, first=first)
    if until is None and weekdays is not None:
        raise PlanError("weekdays need an `until` date")
    days = [first]
    if until is not None:
        wanted = weekdays if weekdays is not None else frozenset({first.weekday()})
        span = (until - first).days
        days = [
            day
            for day in (first + dt.timedelta(days=n) for n in range(span + 1))
            if day.weekday() in wanted and not is_public_holiday(day)
        ]
    plans: list[SlotPlan] = []
    for day in days:
        for begin, finish in _spans(day, start, end, length):
            plans.append(SlotPlan(service_id, place_id, begin, finish, capacity))
            if len(plans) > MAX_SLOTS_PER_LINE:
                raise PlanError("more than {most} slots at once: split it", most=MAX_SLOTS_PER_LINE)
    return plans


def _spans(
    day: dt.date, start: dt.time, end: dt.time, length: int | None
) -> Iterable[tuple[dt.datetime, dt.datetime]]:
    begin, finish = paris(day, start), paris(day, end)
    if length is None:
        yield begin, finish
        return
    step = dt.timedelta(minutes=length)
    while begin + step <= finish:
        yield begin, begin + step
        begin += step


def check_plan(catalogue: Catalogue, plan: SlotPlan, now: dt.datetime) -> None:
    """Raise PlanError when the slot cannot be opened."""
    service = catalogue.get(plan.service_id)
    if service is None:
        known = ", ".join(s.id for s in catalogue.services if s.mode is Mode.SLOTS)
        raise PlanError(
            "unknown service {service} (known: {known})",
            service=repr(plan.service_id),
            known=known,
        )
    if service.mode is not Mode.SLOTS:
        raise PlanError(
            "{service} takes requests, not slots: confirm each with a time", service=service.id
        )
    if plan.place_id not in service.places:
        raise PlanError(
            "{place} is not a place of {service} (known: {known})",
            place=repr(plan.place_id),
            service=service.id,
            known=", ".join(service.places),
        )
    if plan.starts_at <= now:
        raise PlanError("this slot is in the past")
    if not 1 <= plan.capacity <= MAX_CAPACITY:
        raise PlanError("capacity must be from 1 to {most}", most=MAX_CAPACITY)


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class CsvPlans:
    plans: tuple[SlotPlan, ...]
    errors: tuple[LineError, ...]


def read_csv(text: str, catalogue: Catalogue, now: dt.datetime) -> CsvPlans:
    """Every slot the file asks for, or the errors naming their line (the header is line 1)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = list(reader)
    if not rows:
        return CsvPlans((), (LineError(1, "the file is empty"),))
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        expected = ",".join((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
        return CsvPlans((), (LineError(1, f"{'; '.join(parts)} (expected {expected})"),))
    plans: list[SlotPlan] = []
    errors: list[LineError] = []
    seen: dict[tuple[str, str, dt.datetime], int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(LineError(number, f"{len(row)} values for {len(header)} columns"))
            continue
        values = dict(zip(header, row, strict=True))
        try:
            line_plans = _line(values)
            for plan in line_plans:
                check_plan(catalogue, plan, now)
                key = (plan.service_id, plan.place_id, plan.starts_at)
                if key in seen:
                    raise PlanError("the same slot is already on line {line}", line=seen[key])
                seen[key] = number
        except PlanError as error:
            errors.append(LineError(number, str(error)))
            continue
        plans.extend(line_plans)
    return CsvPlans(tuple(plans), tuple(errors))


def _line(values: dict[str, str]) -> list[SlotPlan]:
    def optional(name: str) -> str:
        return values.get(name, "").strip()

    service = values["service"].strip()
    place = values["place"].strip()
    if not service or not place:
        raise PlanError("service and place are required")
    return expand(
        service,
        place,
        parse_date(values["date"]),
        parse_time(values["start"]),
        parse_time(values["end"]),
        parse_capacity(values["capacity"]),
        length=parse_minutes(optional("length")) if optional("length") else None,
        until=parse_date(optional("until")) if optional("until") else None,
        weekdays=parse_weekdays(optional("weekdays")) if optional("weekdays") else None,
    )


def parse_command(words: Sequence[str]) -> list[SlotPlan]:
    """`/slots add` as agents type it:

        SERVICE PLACE DATE START-END CAPACITY [LENGTH] [until DATE [WEEKDAYS]]

    e.g. `legal-aid droits-urgence-pad-18 2026-12-03 14:00-16:00 1 30 until 2026-12-31 tu+th`.
    """
    if len(words) < 5:
        raise PlanError("usage: SERVICE PLACE DATE START-END CAPACITY [LENGTH] [until DATE DAYS]")
    service, place, date, span, capacity, *rest = words
    start_text, separator, end_text = span.partition("-")
    if not separator:
        raise PlanError("{span} is not a time span (HH:MM-HH:MM)", span=repr(span))
    length: int | None = None
    if rest and rest[0].lower() != "until":
        length = parse_minutes(rest.pop(0))
    until: dt.date | None = None
    weekdays: frozenset[int] | None = None
    if rest:
        if rest[0].lower() != "until" or len(rest) < 2:
            raise PlanError("after the capacity and length: until DATE [WEEKDAYS]")
        until = parse_date(rest[1])
        if len(rest) > 2:
            weekdays = parse_weekdays(" ".join(rest[2:]))
    return expand(
        service,
        place,
        parse_date(date),
        parse_time(start_text),
        parse_time(end_text),
        parse_capacity(capacity),
        length=length,
        until=until,
        weekdays=weekdays,
    )
