"""Operations: `/metrics`, `/readyz` and JSON logs, as an operator's tools see them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text, update

from bookings.models import NotificationRow
from bot.app import App, build_app
from bot.db import Database, create_engine
from bot.operations import JsonFormatter, alembic_head
from bot.settings import Settings
from bot.storage import PersonRow, TicketRow
from bot.web import build_web_app
from dialogs.replies import Text
from tests.conftest import Chat

ROOT = Path(__file__).resolve().parent.parent

#: What a person typed or is: none of it may reach a label, a log line or a reason.
NAME = "Amina Diallo"
PHONE = "+33612345678"
SAID = "je suis Amina Diallo, mon numéro +33612345678, zzqxw vlorp"
#: A question the knowledge base has nothing for.
MISSED = "zzqxw vlorp"
PLANTED = ("Amina", "Diallo", "33612345678", "zzqxw", "vlorp")

METRICS = (
    "passerelle_updates_handled",
    "passerelle_update_handling_seconds",
    "passerelle_platform_api_errors",
    "passerelle_outbox_unsent",
    "passerelle_outbox_backlog",
    "passerelle_outbox_oldest_unsent_age_seconds",
    "passerelle_jobs_due",
    "passerelle_jobs_late",
    "passerelle_tickets_open",
    "passerelle_search_misses",
    "passerelle_database_up",
)


async def get(app: App, path: str) -> httpx.Response:
    """A request to `passerelle serve`'s web app (without its lifespan: no channel)."""
    transport = httpx.ASGITransport(app=build_web_app(app, []))
    async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
        return await client.get(path)


def samples(body: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Each family's samples, by sample name (`..._total`, `..._bucket`...)."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def value(found: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for got, v in found.get(name, []) if labels.items() <= got.items())


async def plant_rows(app: App, person_ref: str) -> None:
    """A reply left unsent, a crisis ticket and a notification due ten minutes ago."""
    now = dt.datetime.now(dt.UTC)
    await app.outbox.queue("console", person_ref, "planted-1", [Text(SAID)])
    async with app.database.write_sessions() as session, session.begin():
        person = (
            await session.execute(
                PersonRow.__table__.select().where(PersonRow.platform_id == person_ref)
            )
        ).one()
        session.add(TicketRow(person_id=person.id, locale="fr", question=SAID, kind="crisis"))
        session.add(
            NotificationRow(
                person_id=person.id,
                kind="reminder",
                params={"name": NAME, "phone": PHONE},
                due_at=now - dt.timedelta(minutes=10),
                created_at=now - dt.timedelta(days=1),
            )
        )


async def test_metrics_count_updates_and_read_the_database_without_personal_labels(
    app: App,
) -> None:
    before = samples((await get(app, "/metrics")).text)
    chat = Chat(app, user=PHONE)
    await chat.say("/start")
    await chat.choose("lang:fr")
    await chat.say(MISSED)
    await plant_rows(app, PHONE)

    response = await get(app, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    body = response.text
    for planted in PLANTED:
        assert planted not in body
    found = samples(body)
    for name in METRICS:
        assert re.search(rf"^# TYPE {name}(_total)? ", body, re.MULTILINE), name

    handled = value(found, "passerelle_updates_handled_total", channel="console", outcome="handled")
    was = value(before, "passerelle_updates_handled_total", channel="console", outcome="handled")
    assert handled - was == 3
    timed = value(found, "passerelle_update_handling_seconds_count", channel="console")
    assert timed - value(before, "passerelle_update_handling_seconds_count", channel="console") == 3
    assert value(found, "passerelle_database_up") == 1
    assert value(found, "passerelle_outbox_unsent", channel="console") == 1
    assert value(found, "passerelle_outbox_backlog", channel="console") == 1
    assert 0 <= value(found, "passerelle_outbox_oldest_unsent_age_seconds", channel="console") < 60
    assert value(found, "passerelle_jobs_due") == 1
    assert value(found, "passerelle_jobs_late") == 1
    assert value(found, "passerelle_tickets_open", kind="crisis") == 1
    assert value(found, "passerelle_search_misses_total", locale="fr") == 1

    # Every label value is one the code knows: never a person's id or words.
    allowed = {
        "channel": {"console", "telegram", "whatsapp", "other"},
        "outcome": {"handled", "duplicate", "failed"},
        "kind": {"question", "crisis", "person", "booking", "other"},
        "locale": {*app.catalogs.locales, "other"},
    }
    for name, rows in found.items():
        if not name.startswith("passerelle_"):
            continue
        for labels, _value in rows:
            for key, label in labels.items():
                if key == "code":
                    assert re.fullmatch(r"\d{3}|timeout|network", label), (name, label)
                elif key != "le":
                    assert label in allowed[key], (name, key, label)


async def test_metrics_answer_without_the_database_and_say_so(app: App) -> None:
    good = app.database
    app.database = unreachable_database()
    try:
        response = await get(app, "/metrics")
    finally:
        await app.database.close()
        app.database = good
    assert response.status_code == 200
    found = samples(response.text)
    assert value(found, "passerelle_database_up") == 0
    assert "passerelle_updates_handled" in response.text
    assert "passerelle_outbox_backlog" not in response.text


def unreachable_database() -> Database:
    """A database nobody listens for (a closed port on this machine)."""
    url = "postgresql+asyncpg://nobody:secret-password@127.0.0.1:9/nowhere"
    engine = create_engine(url)
    from sqlalchemy.ext.asyncio import async_sessionmaker

    sessions = async_sessionmaker(engine, expire_on_commit=False)
    return Database(
        url=url, engine=engine, sessions=sessions, write_sessions=sessions, write_engine=engine
    )


async def test_readyz_on_a_migrated_database(app: App) -> None:
    response = await get(app, "/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "reason": "ok",
        "revision": alembic_head(),
        "backlog": 0,
    }
    assert (await get(app, "/healthz")).status_code == 200


async def test_readyz_503_when_the_database_is_behind_the_code(app: App) -> None:
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(
        str(alembic_head())
    )
    assert head is not None and isinstance(head.down_revision, str)
    async with app.database.write_sessions() as session, session.begin():
        await session.execute(
            text("UPDATE alembic_version SET version_num = :previous"),
            {"previous": head.down_revision},
        )
    response = await get(app, "/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert head.down_revision in body["reason"] and str(alembic_head()) in body["reason"]
    assert "passerelle db upgrade" in body["reason"]


async def test_readyz_503_when_the_database_is_newer_than_the_code(app: App) -> None:
    async with app.database.write_sessions() as session, session.begin():
        await session.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    response = await get(app, "/readyz")
    assert response.status_code == 503
    assert "0099_future" in response.json()["reason"]
    assert "newer than this code" in response.json()["reason"]


async def test_readyz_503_when_the_database_is_unreachable(app: App) -> None:
    good = app.database
    app.database = unreachable_database()
    try:
        response = await get(app, "/readyz")
    finally:
        await app.database.close()
        app.database = good
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert body["reason"].startswith("the database is unreachable")
    assert "secret-password" not in response.text and "127.0.0.1" not in response.text


async def test_readyz_503_when_the_outbox_does_not_keep_up(settings: Settings) -> None:
    app = await build_app(settings.model_copy(update={"ready_max_backlog": 1}))
    try:
        await app.outbox.queue("console", PHONE, "planted-1", [Text(SAID), Text(SAID)])
        response = await get(app, "/readyz")
        assert response.status_code == 503
        assert response.json()["backlog"] == 2
        assert "PASSERELLE_READY_MAX_BACKLOG=1" in response.json()["reason"]
        # Replies put off after a refusal are not owed now: ready again.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        async with app.database.write_sessions() as session, session.begin():
            from bot.storage import OutboxRow

            await session.execute(update(OutboxRow).values(next_attempt_at=later))
        assert (await get(app, "/readyz")).status_code == 200
        assert SAID not in response.text
    finally:
        await app.close()


async def test_metrics_and_readyz_on_postgresql(postgres_url: str) -> None:
    app = await build_app(Settings(database_url=postgres_url, _env_file=None))
    try:
        await Chat(app, user=PHONE).say("/start")
        await plant_rows(app, PHONE)
        found = samples((await get(app, "/metrics")).text)
        assert value(found, "passerelle_database_up") == 1
        assert value(found, "passerelle_outbox_backlog", channel="console") == 1
        assert value(found, "passerelle_jobs_late") == 1
        assert value(found, "passerelle_tickets_open", kind="crisis") == 1
        ready = await get(app, "/readyz")
        assert ready.status_code == 200 and ready.json()["revision"] == alembic_head()
    finally:
        await app.close()


# -- JSON logs -----------------------------------------------------------------------------


def test_json_log_lines_carry_the_event_and_its_fields() -> None:
    record = logging.LogRecord(
        "passerelle.delivery",
        logging.WARNING,
        __file__,
        1,
        "outbox.retry_failed channel=%s",
        ("telegram",),
        None,
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "outbox.retry_failed" and line["channel"] == "telegram"
    assert line["level"] == "WARNING" and line["logger"] == "passerelle.delivery"
    assert dt.datetime.fromisoformat(line["time"]).tzinfo is not None


def test_json_logs_keep_an_error_s_type_and_place_never_its_message() -> None:
    try:
        raise ValueError(f"INSERT failed [parameters: ({SAID!r},)]")
    except ValueError:
        record = logging.LogRecord(
            "passerelle.engine",
            logging.ERROR,
            __file__,
            1,
            "step.failed channel=console",
            (),
            sys.exc_info(),
        )
    formatted = JsonFormatter().format(record)
    line = json.loads(formatted)
    assert line["error"] == "ValueError"
    assert any("test_operations.py" in frame for frame in line["stack"])
    for planted in PLANTED:
        assert planted not in formatted


def test_passerelle_logs_json_lines_without_what_people_wrote(
    tmp_path: Path, template_database: Path
) -> None:
    shutil.copyfile(template_database, tmp_path / "p.db")
    env = {
        **os.environ,
        "PASSERELLE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.db",
        "PASSERELLE_LOG_FORMAT": "JSON",
        "PASSERELLE_LOG_LEVEL": "DEBUG",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user", PHONE, "--lang", "fr"],
        input=f"{SAID}\n/menu\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines, "DEBUG logs something (the migration, the knowledge base)"
    for raw in lines:
        line = json.loads(raw)
        assert {"time", "level", "logger"} <= line.keys()
        assert "event" in line or "message" in line
    assert any(json.loads(raw).get("event") == "db.migrated" for raw in lines)
    for planted in PLANTED:
        assert planted not in done.stderr
