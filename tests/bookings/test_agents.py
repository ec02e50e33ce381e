"""An agent's day, run from chat; and nobody else can run it, or even see that it exists."""

from __future__ import annotations

import ast

from bookings.states import Status
from bookings.store import BookingDesk
from bot.app import App
from bot.jobs import job_runner
from dialogs.agents import PLAN_ERRORS
from dialogs.replies import text_of
from dialogs.state import Role
from tests.bookings.conftest import Clock, Recorder, grant, paris, start_chat
from tests.conftest import Chat
from tests.test_layers import ROOT


async def _book(chat: Chat, service: str, place: str, slot_id: int) -> str:
    await chat.say("/menu")
    await chat.choose("menu:appointments")
    await chat.choose(f"appts:s.{service}")
    await chat.choose(f"bk-place:{service}.{place}")
    await chat.choose(f"bk-day:d{slot_id}")
    await chat.choose(f"bk-time:{slot_id}")
    await chat.choose("bk-review:ok.")
    if "bk-contact:no" in chat.option_ids():
        await chat.say("06 11 22 33 44")
    await chat.choose("bk-done:mine")
    [reference] = [i.split(":")[1] for i in chat.option_ids() if i.startswith("my-appts:")][:1]
    return reference


async def _slot_ids(desk: BookingDesk, clock: Clock, service: str, place: str) -> list[int]:
    async with desk.unit() as unit:
        return [slot.id for slot in await unit.free_slots(service, place, clock())]


async def test_an_agent_runs_the_day_from_chat(
    app: App, desk: BookingDesk, clock: Clock, recorder: Recorder
) -> None:
    agent = await start_chat(app, "ann", "fr")
    await grant(app, "ann", Role.AGENT)
    fr, ar = app.catalogs.translator("fr"), app.catalogs.translator("ar")
    added = await agent.say(
        "/slots add legal-aid droits-urgence-pad-18 2031-03-03 14:00-15:00 2 30"
    )
    assert (
        fr("Slots added: {created}. Already there: {unchanged}.", created="2", unchanged="0")
        in added
    )
    assert "droits-urgence-pad-18 · 0/2" in added, "the slots ahead are listed"
    await agent.say("/slots add mental-health centre-primo-levi 2031-03-03 15:00-15:30 1")
    legal = await _slot_ids(desk, clock, "legal-aid", "droits-urgence-pad-18")
    [mental] = await _slot_ids(desk, clock, "mental-health", "centre-primo-levi")

    pat, quinn, ray = (
        await start_chat(app, "pat", "fr"),
        await start_chat(app, "quinn", "ar"),
        await start_chat(app, "ray", "en"),
    )
    pat_ref = await _book(pat, "legal-aid", "droits-urgence-pad-18", legal[0])
    quinn_ref = await _book(quinn, "legal-aid", "droits-urgence-pad-18", legal[0])
    ray_ref = await _book(ray, "mental-health", "centre-primo-levi", mental)

    today = await agent.say("/today")
    for reference in (pat_ref, quinn_ref, ray_ref):
        assert reference in today
    assert "0611223344" in today, "the contact the service asked for is the agent's to see"
    assert f"ag-list:b.{ray_ref}" in agent.option_ids()

    await agent.choose(f"ag-list:b.{ray_ref}")
    assert "ag-booking:confirm." + ray_ref in agent.option_ids()
    confirmed = await agent.choose(f"ag-booking:confirm.{ray_ref}")
    assert ray_ref in confirmed and Status.CONFIRMED.value in confirmed

    assert ray_ref not in await agent.say("/requests")

    cancelled = await agent.say(f"/slots cancel {legal[0]} grève des transports")
    assert (
        fr(
            "Slot {number} is cancelled. People told and offered another time: {count}.",
            number=legal[0],
            count="2",
        )
        in cancelled
    )
    report = await job_runner(app, [recorder]).run_once()
    assert report.sent == 3  # ray's confirmation, pat's and quinn's cancellations
    [to_pat] = recorder.texts("pat")
    assert pat_ref in to_pat and fr("Would you like another time?") in to_pat
    assert "grève des transports" in to_pat and "lundi 3 mars 2031" in to_pat
    [to_quinn] = recorder.texts("quinn")
    plain = to_quinn.replace("\u2066", "").replace("\u2069", "")
    assert quinn_ref in plain and ar("Would you like another time?") in plain
    assert "مارس" in plain, "the date is in Arabic"
    assert "is confirmed" in recorder.texts("ray")[0]
    for chat in (pat, quinn):
        async with desk.unit() as unit:
            booking = await unit.booking(pat_ref if chat is pat else quinn_ref)
        assert booking is not None and booking.status is Status.CANCELLED

    early = await agent.say(f"/attended {ray_ref}")
    assert ray_ref in early and Status.ATTENDED.value in early, "on the day, attendance can be told"
    await agent.say("/upcoming 3")
    assert "ag-list:refresh" in agent.option_ids()


async def test_an_agent_declines_with_a_reason_typed_after_the_button(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    agent = await start_chat(app, "bea")
    await grant(app, "bea", Role.ADMIN)
    sue = await start_chat(app, "sue")
    await sue.choose("menu:appointments")
    await sue.choose("appts:s.ame-help")
    await sue.choose("bk-review:ok.")
    await sue.choose("bk-done:mine")
    [reference] = [i.split(":")[1] for i in sue.option_ids() if i.startswith("my-appts:")][:1]

    waiting = await agent.say("/requests")
    assert reference in waiting
    await agent.choose(f"ag-list:b.{reference}")
    assert f"ag-booking:confirm.{reference}" not in agent.option_ids(), "a request needs a time"
    await agent.choose(f"ag-booking:decline.{reference}")
    answer = await agent.say("Nous ne faisons plus ce dossier ici")
    assert Status.DECLINED.value in answer
    async with desk.unit() as unit:
        history = await unit.history(reference)
    assert history[-1].note == "Nous ne faisons plus ce dossier ici"
    assert history[-1].by.startswith("agent:")

    other = await start_chat(app, "tom")
    await other.choose("menu:appointments")
    await other.choose("appts:s.css-help")
    await other.choose("bk-review:ok.")
    await other.choose("bk-done:mine")
    [second] = [i.split(":")[1] for i in other.option_ids() if i.startswith("my-appts:")][:1]
    bad = await agent.say(f"/confirm {second}")
    assert "give it a time" in bad
    nowhere = await agent.say(f"/confirm {second.lower()} 2031-03-05 10:30 45")
    assert "Say where it takes place" in nowhere, "a request is confirmed with a place"
    done = await agent.say(f"/confirm {second.lower()} 2031-03-05 10:30 45 CPAM, 2nd floor")
    assert Status.CONFIRMED.value in done
    async with desk.unit() as unit:
        booking = await unit.booking(second)
    assert booking is not None and booking.starts_at == paris(5, 10, 30)
    assert booking.place_text == "CPAM, 2nd floor"


async def test_without_the_role_the_commands_do_not_exist(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    person = await start_chat(app, "eve")
    unknown = await person.say("/nosuchcommand")
    for command in ("/today", "/upcoming", "/requests", "/confirm ABCDEF", "/slots", "/agent"):
        assert await person.say(command) == unknown
    # An agent's button, forged or forwarded, answers like a button that never existed.
    person.channel.numbers["99"] = "ag-booking:confirm.ABCDEF"
    agents_button = await person.say("99")
    person.channel.numbers["99"] = "zz-nothing:here"
    no_button = await person.say("99")
    assert agents_button == no_button
    assert app.catalogs.translator("en")("This button has expired. Here is the menu.") in no_button


async def test_the_role_is_checked_at_every_action(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    agent = await start_chat(app, "kim")
    await grant(app, "kim", Role.AGENT)
    await agent.say("/today")
    assert "ag-list:refresh" in agent.option_ids()
    await grant(app, "kim", Role.PERSON)
    answer = await agent.choose("ag-list:refresh")
    assert text_of(agent.last[0]) == app.catalogs.translator("en")(
        "This button has expired. Here is the menu."
    )
    assert answer
    unknown = await agent.say("/nosuchcommand")
    assert await agent.say("/today") == unknown


def test_every_slot_plan_error_reaches_the_translators() -> None:
    tree = ast.parse((ROOT / "bookings" / "slots.py").read_text(encoding="utf-8"))
    templates = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "PlanError"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(templates) >= 15
    assert templates <= set(PLAN_ERRORS), templates - set(PLAN_ERRORS)


async def test_a_french_agent_reads_the_errors_in_french(app: App, clock: Clock) -> None:
    agent = await start_chat(app, "lea", "fr")
    await grant(app, "lea", Role.AGENT)
    wrong_day = await agent.say(
        "/slots add legal-aid droits-urgence-pad-18 2031-02-30 10:00-11:00 1"
    )
    assert "'2031-02-30' n'est pas une date (AAAA-MM-JJ)" in wrong_day
    wrong_span = await agent.say("/slots add legal-aid droits-urgence-pad-18 2031-03-10 10:00 1")
    assert "n'est pas une plage horaire" in wrong_span
    assert "is not" not in wrong_day + wrong_span
