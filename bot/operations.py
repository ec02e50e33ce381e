"""What an operator asks a running `passerelle serve`: `/metrics`, `/readyz`, and JSON logs.

- `/metrics` (Prometheus text format): the in-memory counters of `bot.metrics`, the
  process's own figures (CPU, memory, open files), and figures read from the database at
  scrape time — one small query each, under a short timeout — so that handling a message
  never pays for them: the outbox's backlog and its oldest reply owed, jobs due and late,
  tickets open, questions the knowledge base could not answer per locale.
- `/readyz`: 200 when the database answers, its schema is the code's Alembic head and the
  outbox's backlog is under `PASSERELLE_READY_MAX_BACKLOG`; else 503 with the reason.
  (`/healthz`, in `bot.web`, only says the process is alive.)
- `JsonFormatter`: one JSON object per log line (`PASSERELLE_LOG_FORMAT=json`). Log
  messages are events (`outbox.retry_failed channel=telegram`), never message contents:
  the formatter keeps that shape, and of an exception it keeps the type and the stack's
  frames, never its message (a database error quotes the statement's parameters).

Labels are channel names, locales, ticket kinds and status codes, each checked against
what the code knows, so that no value typed by a person can become a label.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from alembic.script import ScriptDirectory
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import case, func, select, text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bookings.models import NotificationRow
from bot.db import Database, alembic_config
from bot.storage import OutboxRow, TicketRow, UnansweredCount

if TYPE_CHECKING:
    from bot.app import App

__all__ = [
    "CONTENT_TYPE",
    "JOB_LATE_AFTER",
    "SCRAPE_TIMEOUT",
    "DatabaseFigures",
    "JsonFormatter",
    "Readiness",
    "alembic_head",
    "check_readiness",
    "metrics_endpoint",
    "read_figures",
    "readyz_endpoint",
    "render_metrics",
]

log = logging.getLogger("passerelle.operations")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: How long a scrape or a readiness check waits for the database.
SCRAPE_TIMEOUT = 2.0
#: A job still unsent this long after it was due is late (the runner looks every 5 s).
JOB_LATE_AFTER = dt.timedelta(minutes=5)
#: Reasons a ticket is opened (`dialogs.ports.ConversationStore.open_ticket`).
TICKET_KINDS = frozenset({"question", "crisis", "person", "booking"})
OTHER = "other"


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite gives back the UTC wall time without its offset.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass
class DatabaseFigures:
    """What `/metrics` reads from the database at one scrape; labels already checked."""

    #: channel → unsent replies (all of them, those put off after a refusal included).
    unsent: dict[str, int] = field(default_factory=dict)
    #: channel → unsent replies owed now (not put off to later).
    backlog: dict[str, int] = field(default_factory=dict)
    #: channel → age in seconds of the oldest reply owed now.
    oldest_unsent: dict[str, float] = field(default_factory=dict)
    jobs_due: int = 0
    jobs_late: int = 0
    #: kind → tickets open.
    tickets_open: dict[str, int] = field(default_factory=dict)
    #: locale → questions the knowledge base could not answer, ever counted.
    search_misses: dict[str, int] = field(default_factory=dict)


def _label(value: object, known: Iterable[str]) -> str:
    return value if isinstance(value, str) and value in known else OTHER


def _add(counts: dict[str, int], key: str, value: int) -> None:
    counts[key] = counts.get(key, 0) + value


async def read_figures(
    database: Database, now: dt.datetime, channels: Iterable[str], locales: Iterable[str]
) -> DatabaseFigures:
    """One query per table: the outbox, the notifications, the tickets, the misses."""
    channels, locales = frozenset(channels), frozenset(locales)
    figures = DatabaseFigures()
    owed_now = (OutboxRow.next_attempt_at.is_(None)) | (OutboxRow.next_attempt_at <= now)
    outbox = (
        select(
            OutboxRow.channel,
            func.count(),
            func.count(case((owed_now, 1))),
            func.min(case((owed_now, OutboxRow.created_at))),
        )
        .where(OutboxRow.sent_at.is_(None))
        .group_by(OutboxRow.channel)
    )
    due = (
        NotificationRow.sent_at.is_(None),
        NotificationRow.voided_at.is_(None),
        NotificationRow.failed_at.is_(None),
        NotificationRow.due_at <= now,
    )
    jobs = select(
        func.count(), func.count(case((NotificationRow.due_at <= now - JOB_LATE_AFTER, 1)))
    ).where(*due)
    tickets = (
        select(TicketRow.kind, func.count())
        .where(TicketRow.status == "open")
        .group_by(TicketRow.kind)
    )
    misses = select(UnansweredCount.locale, func.sum(UnansweredCount.count)).group_by(
        UnansweredCount.locale
    )
    async with database.sessions() as session:
        for channel, unsent, owed, oldest in (await session.execute(outbox)).all():
            name = _label(channel, channels)
            _add(figures.unsent, name, int(unsent))
            _add(figures.backlog, name, int(owed))
            if isinstance(oldest, dt.datetime):
                age = max(0.0, (now - _as_utc(oldest)).total_seconds())
                figures.oldest_unsent[name] = max(figures.oldest_unsent.get(name, 0.0), age)
        jobs_due, jobs_late = (await session.execute(jobs)).one()
        figures.jobs_due, figures.jobs_late = int(jobs_due), int(jobs_late)
        for kind, count in (await session.execute(tickets)).all():
            _add(figures.tickets_open, _label(kind, TICKET_KINDS), int(count))
        for locale, count in (await session.execute(misses)).all():
            _add(figures.search_misses, _label(locale, locales), int(count or 0))
    return figures


def _families(figures: DatabaseFigures | None) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "passerelle_database_up",
        "1 when this scrape read its figures from the database within the timeout, else 0.",
    )
    up.add_metric([], 1 if figures is not None else 0)
    yield up
    if figures is None:
        return
    per_channel = (
        ("passerelle_outbox_unsent", "Replies not yet sent, per channel.", figures.unsent),
        (
            "passerelle_outbox_backlog",
            "Replies owed now (unsent, not put off after a refusal), per channel.",
            figures.backlog,
        ),
        (
            "passerelle_outbox_oldest_unsent_age_seconds",
            "Age of the oldest reply owed now, per channel.",
            figures.oldest_unsent,
        ),
    )
    for name, documentation, values in per_channel:
        family = GaugeMetricFamily(name, documentation, labels=["channel"])
        for channel, value in sorted(values.items()):
            family.add_metric([channel], value)
        yield family
    yield GaugeMetricFamily(
        "passerelle_jobs_due", "Notifications due and not yet sent.", value=figures.jobs_due
    )
    yield GaugeMetricFamily(
        "passerelle_jobs_late",
        f"Notifications still unsent {int(JOB_LATE_AFTER.total_seconds())} s after they were due.",
        value=figures.jobs_late,
    )
    tickets = GaugeMetricFamily(
        "passerelle_tickets_open", "Tickets waiting for an agent, per kind.", labels=["kind"]
    )
    for kind, count in sorted(figures.tickets_open.items()):
        tickets.add_metric([kind], count)
    yield tickets
    misses = CounterMetricFamily(
        "passerelle_search_misses",
        "Questions the knowledge base found nothing for, per locale.",
        labels=["locale"],
    )
    for locale, count in sorted(figures.search_misses.items()):
        misses.add_metric([locale], count)
    yield misses


class _Scrape:
    """One scrape: the process's registry, then the database's figures read for it."""

    def __init__(self, registry: CollectorRegistry, figures: DatabaseFigures | None) -> None:
        self.registry = registry
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()
        yield from _families(self.figures)


async def render_metrics(app: App, registry: CollectorRegistry = REGISTRY) -> bytes:
    from bot.channels.registry import channel_names

    figures: DatabaseFigures | None
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT):
            figures = await read_figures(
                app.database, app.engine.clock(), channel_names(), app.catalogs.locales
            )
    except Exception as error:
        log.warning("metrics.database_unread error=%s", type(error).__name__)
        figures = None
    return generate_latest(_Scrape(registry, figures))


async def metrics_endpoint(app: App, _request: Request) -> Response:
    return Response(await render_metrics(app), media_type=CONTENT_TYPE)


# -- readiness -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def alembic_head() -> str | None:
    """The schema revision this code expects (the migrations' one head)."""
    return _scripts().get_current_head()


@lru_cache(maxsize=1)
def _known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _scripts().walk_revisions())


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    revision: str | None = None
    backlog: int | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ready" if self.ready else "unready"}
        body["reason"] = self.reason
        if self.revision is not None:
            body["revision"] = self.revision
        if self.backlog is not None:
            body["backlog"] = self.backlog
        return body


_REVISION = text("SELECT version_num FROM alembic_version")


async def check_readiness(database: Database, now: dt.datetime, max_backlog: int) -> Readiness:
    """The database answers, its schema is the code's, the outbox keeps up."""
    owed_now = (OutboxRow.next_attempt_at.is_(None)) | (OutboxRow.next_attempt_at <= now)
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT), database.engine.connect() as connection:
            revision = (await connection.execute(_REVISION)).scalar()
            backlog = int(
                (
                    await connection.execute(
                        select(func.count()).where(OutboxRow.sent_at.is_(None), owed_now)
                    )
                ).scalar_one()
            )
    except TimeoutError:
        return Readiness(False, f"the database did not answer within {SCRAPE_TIMEOUT:g} s")
    except Exception as error:
        # The class only: a driver's message may carry the URL, and the URL a password.
        return Readiness(False, f"the database is unreachable ({type(error).__name__})")
    head = alembic_head()
    if revision != head:
        # A revision this code does not know: a newer release migrated the database.
        what = (
            "(run `passerelle db upgrade`)"
            if revision is None or revision in _known_revisions()
            else "(the database is newer than this code)"
        )
        return Readiness(
            False,
            f"the database's schema is at {revision or 'no revision'}, the code expects {head} "
            + what,
            revision=revision,
        )
    if backlog > max_backlog:
        return Readiness(
            False,
            f"{backlog} replies owed, above PASSERELLE_READY_MAX_BACKLOG={max_backlog}",
            revision=revision,
            backlog=backlog,
        )
    return Readiness(True, "ok", revision=revision, backlog=backlog)


async def readyz_endpoint(app: App, _request: Request) -> JSONResponse:
    readiness = await check_readiness(
        app.database, app.engine.clock(), app.settings.ready_max_backlog
    )
    if not readiness.ready:
        log.warning("readyz.unready")
    return JSONResponse(readiness.as_json(), status_code=200 if readiness.ready else 503)


# -- JSON logs -------------------------------------------------------------------------------

#: `event.name key=value key=value`: the shape of Passerelle's log messages.
_EVENT = re.compile(r"(?P<event>[A-Za-z_][\w.]*)(?P<fields>(?: [A-Za-z_]\w*=\S*)*)")
_FIELD = re.compile(r"([A-Za-z_]\w*)=(\S*)")


def _value(raw: str) -> Any:
    return int(raw) if re.fullmatch(r"-?\d{1,18}", raw) else raw


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, and the event with its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
        }
        message = record.getMessage()
        matched = _EVENT.fullmatch(message)
        if matched is not None:
            line["event"] = matched["event"]
            for key, value in _FIELD.findall(matched["fields"]):
                line.setdefault(key, _value(value))
        else:
            line["message"] = message
        if record.exc_info and record.exc_info[0] is not None:
            error_type, _error, trace = record.exc_info
            line["error"] = error_type.__name__
            # Where it failed, not what it said: the message may quote a person's words.
            line["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(trace)
            ]
        return json.dumps(line, ensure_ascii=False)
