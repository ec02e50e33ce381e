"""An agent's reply to a WhatsApp person outside the 24-hour window: the `ticket_reply`
template says an answer is waiting, and the reply follows once the person writes back."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bot.workspace import accounts, inbox
from bot.workspace.accounts import WorkspaceRole
from bot.workspace.courier import Courier
from tests.conftest import sqlite_url
from tests.whatsapp.conftest import APPROVED, TEMPLATES
from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.harness import SECRET, TOKEN, VERIFY_TOKEN, Clock, Harness, describe
from tests.whatsapp.payloads import PHONE_NUMBER_ID

WITH_TICKETS: dict[str, Any] = {
    **TEMPLATES,
    "ticket_reply": {
        "fr": {
            "name": "reponse_question",
            "language": "fr",
            "params": ["number"],
            "buttons": ["nav:menu"],
        }
    },
}


@pytest.fixture
async def fake_graph(clock: Clock) -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(
        PHONE_NUMBER_ID, TOKEN, clock, templates={**APPROVED, "reponse_question": (1, 1)}
    )
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
def wa_settings(tmp_path: Path, fake_graph: FakeGraph, prepared_database: Path) -> Settings:
    shutil.copy(prepared_database, tmp_path / "t.db")
    return Settings(
        database_url=sqlite_url(tmp_path / "t.db"),
        whatsapp_token=TOKEN,
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_app_secret=SECRET,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_api_url=fake_graph.url,
        whatsapp_templates=WITH_TICKETS,
        _env_file=None,
    )


async def test_a_reply_outside_the_window_waits_for_the_person(harness: Harness) -> None:
    app = harness.app
    amina = harness.person()
    await amina.says("bonjour")
    await amina.presses("Français")
    await amina.presses("Parler à une personne")
    await amina.says("Je cherche un cours de français le soir")
    sent = await amina.presses("Oui, envoyer")
    number = int(re.findall(r"\d+", sent)[0])
    agent, _token = await accounts.add_account(
        app.database.write_sessions, "wa@example.org", WorkspaceRole.AGENT, harness.clock()
    )
    courier = Courier(app, [harness.channel], clock=harness.clock)

    harness.clock.advance(hours=25)
    before = len(amina.received)
    await inbox.reply(
        app.database.write_sessions,
        courier,
        number,
        agent,
        "Voici les cours du soir.",
        ["french-eif-fel"],
        harness.clock(),
    )
    assert len(amina.received) == before  # nothing free-form outside the window
    await courier.run_once(harness.clock())
    template = amina.received[-1]
    assert template.kind == "template"
    assert template.body["template"]["name"] == "reponse_question"
    body = template.body["template"]["components"][0]
    assert [p["text"] for p in body["parameters"]] == [str(number)]
    assert harness.fake.refused == []
    await courier.run_once(harness.clock())
    assert amina.received[-1] is template  # told once, not at every round

    detail = await inbox.ticket_detail(app.database.sessions, number)
    assert detail is not None and detail.messages[-1].waits_for_window

    await amina.says("bonjour")
    await courier.run_once(harness.clock())
    transcript = "\n".join(describe(sent) for sent in amina.received)
    assert f"Une personne de l'équipe a répondu à votre question {number}" in transcript
    assert "Voici les cours du soir." in transcript
    detail = await inbox.ticket_detail(app.database.sessions, number)
    assert detail is not None and not detail.messages[-1].waits_for_window
