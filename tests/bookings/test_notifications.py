"""Notifications and reminders: stored jobs, sent in the person's language on any channel,
on a clock the test moves, surviving a restart."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from bookings.models import NotificationRow
from bookings.store import BookingDesk, agent_actor
from bookings.views import Contact
from bot.app import App, build_app
from bot.channels.base import DeliveryError
from bot.channels.console import ConsoleSender
from bot.jobs import job_runner
from bot.settings import Settings
from dialogs.i18n import LRI, PDI
from dialogs.replies import Media, Options, Reply, text_of
from tests.bookings.conftest import (
    Clock,
    Recorder,
    TemplateNotifier,
    open_slots,
    paris,
    person,
    start_chat,
)

AGENT = agent_actor(1)


async def _booked(
    app: App, desk: BookingDesk, clock: Clock, who: str, locale: str, channel: str = "console"
) -> str:
    person_id = await person(app, who, locale=locale, channel=channel)
    await open_slots(desk, clock, [paris(10, 14)], capacity=5)
    async with desk.unit() as unit:
        [slot] = await unit.free_slots("legal-aid", "droits-urgence-pad-18", clock())
        booked = await unit.request(
            person_id=person_id,
            locale=locale,
            service_id="legal-aid",
            request_key="k",
            now=clock(),
            slot_id=slot.id,
        )
    return booked.booking.reference


async def test_reminders_go_the_day_before_and_two_hours_before(
    app: App, desk: BookingDesk, clock: Clock, recorder: Recorder
) -> None:
    reference = await _booked(app, desk, clock, "ana", "en")
    runner = job_runner(app, [recorder])
    assert (await runner.run_once()).sent == 0
    clock.set(paris(9, 13, 59))
    assert (await runner.run_once()).sent == 0
    clock.set(paris(9, 14, 0))
    assert (await runner.run_once()).sent == 1
    [day_before] = recorder.texts("ana")
    t = app.catalogs.translator("en")
    assert t("⏰ Reminder: your appointment is tomorrow.") in day_before
    assert reference in day_before and "Droits d'urgence" in day_before
    assert t.time(paris(10, 14)) in day_before
    assert (await runner.run_once()).sent == 0, "a reminder goes once"
    clock.set(paris(10, 12, 0))
    assert (await runner.run_once()).sent == 1
    assert t("⏰ Reminder: your appointment is in two hours.") in recorder.texts("ana")[-1]


async def test_reminders_survive_a_restart(
    settings: Settings, app: App, desk: BookingDesk, clock: Clock, recorder: Recorder
) -> None:
    await _booked(app, desk, clock, "ben", "fr")
    await app.close()
    clock.set(paris(9, 15))
    again = await build_app(settings, clock=clock)
    try:
        report = await job_runner(again, [recorder]).run_once()
    finally:
        await again.close()
    assert report.sent == 1
    [reminder] = recorder.texts("ben")
    assert app.catalogs.translator("fr")("⏰ Reminder: your appointment is tomorrow.") in reminder
    assert "lundi 10 mars 2031, 14:00" in reminder


async def test_a_reminder_that_no_longer_helps_is_not_sent(
    app: App, desk: BookingDesk, clock: Clock, recorder: Recorder
) -> None:
    reference = await _booked(app, desk, clock, "cid", "en")
    # The runtime was down the whole day before: at noon on the day, only the 2-hour one.
    clock.set(paris(10, 12, 30))
    report = await job_runner(app, [recorder]).run_once()
    assert (report.sent, report.voided) == (1, 1)
    assert "in two hours" in recorder.texts("cid")[0]
    # A cancelled booking's reminders are withdrawn.
    other = await _booked(app, desk, clock, "cid2", "en")
    async with desk.unit() as unit:
        await unit.cancel(other, by=AGENT, now=clock(), reason=None)
    clock.set(paris(10, 13))
    await job_runner(app, [recorder]).run_once()
    assert all("Reminder" not in text for text in recorder.texts("cid2"))
    assert reference


@pytest.mark.parametrize(("locale", "date"), [("fr", "10 mars 2031"), ("ar", "مارس")])
async def test_a_cancelled_slot_is_told_in_each_persons_language(
    app: App, desk: BookingDesk, clock: Clock, recorder: Recorder, locale: str, date: str
) -> None:
    reference = await _booked(app, desk, clock, "dee", locale)
    async with desk.unit() as unit:
        booking = await unit.booking(reference)
        assert booking is not None and booking.slot_id is not None
        await unit.cancel_slot(booking.slot_id, by=AGENT, now=clock(), reason="grève")
    await job_runner(app, [recorder]).run_once()
    [message] = recorder.sent["dee"]
    text = "\n".join(text_of(reply) for reply in message)
    t = app.catalogs.translator(locale)
    for line in (
        t("Reason: {reason}", reason="grève"),
        t("Would you like another time?"),
        t("📅 Choose another time"),
    ):
        assert line in text.replace(LRI, "").replace(PDI, "")
    assert date in text and reference in text
    offers = [o.id for r in message if isinstance(r, Options) for o in r.all_options()]
    assert "appts:s.legal-aid" in offers and "nav:menu" in offers


async def test_confirmation_by_an_agent_reaches_the_person_with_card_and_calendar(
    app: App, desk: BookingDesk, clock: Clock, recorder: Recorder
) -> None:
    person_id = await person(app, "eli", locale="en")
    [slot] = await open_slots(
        desk, clock, [paris(11, 10)], service="mental-health", place="centre-primo-levi"
    )
    async with desk.unit() as unit:
        booked = await unit.request(
            person_id=person_id,
            locale="en",
            service_id="mental-health",
            request_key="k",
            now=clock(),
            slot_id=slot.id,
            contact=Contact(phone="0612345678"),
        )
        await unit.confirm(booked.booking.reference, by=AGENT, now=clock())
    await job_runner(app, [recorder]).run_once()
    [message] = recorder.sent["eli"]
    assert "is confirmed" in text_of(message[0])
    assert any(isinstance(reply, Media) and reply.filename for reply in message)
    assert "107 avenue Parmentier" in "\n".join(text_of(r) for r in message)


async def test_whatsapp_like_channels_get_the_kind_and_template_params(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    reference = await _booked(app, desk, clock, "33612345678", "fr", channel="whatsapp")
    async with desk.unit() as unit:
        await unit.cancel(reference, by=AGENT, now=clock(), reason="fermeture")
    notifier = TemplateNotifier()
    await job_runner(app, [notifier]).run_once()
    [(platform_id, kind, locale, params, replies)] = notifier.notified
    assert (platform_id, kind, locale) == ("33612345678", "booking_cancelled", "fr")
    assert params["reference"] == reference
    assert params["reason"] == "fermeture"
    assert params["time"] == "14:00" and "10 mars 2031" in params["date"]
    assert params["place"].startswith("Droits d'urgence")
    assert replies


class Flaky:
    name = "console"

    def __init__(self, error: DeliveryError) -> None:
        self.error = error
        self.calls = 0

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None:
        self.calls += 1
        raise self.error


async def test_a_failed_send_is_retried_later_and_a_permanent_refusal_gives_up(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    reference = await _booked(app, desk, clock, "fox", "en")
    async with desk.unit() as unit:
        await unit.cancel(reference, by=AGENT, now=clock())
    flaky = Flaky(DeliveryError("timeout"))
    runner = job_runner(app, [flaky])
    assert (await runner.run_once()).retried == 1
    assert (await runner.run_once()).retried == 0, "not before its next attempt"
    clock.advance(minutes=2)
    recorder = Recorder()
    assert (await job_runner(app, [recorder]).run_once()).sent == 1
    assert recorder.texts("fox")

    other = await _booked(app, desk, clock, "fox2", "en")
    async with desk.unit() as unit:
        await unit.cancel(other, by=AGENT, now=clock())
    refused = Flaky(DeliveryError("blocked by the person", permanent=True))
    assert (await job_runner(app, [refused]).run_once()).failed == 1
    async with app.database.sessions() as session:
        failed = await session.scalar(
            select(NotificationRow).where(NotificationRow.failed_at.is_not(None))
        )
    assert failed is not None and failed.attempts == 1


async def test_the_console_prints_its_own_persons_notifications(
    app: App, desk: BookingDesk, clock: Clock
) -> None:
    chat = await start_chat(app, "gil")
    reference = await _booked(app, desk, clock, "gil", "en")
    await _booked(app, desk, clock, "somebody-else", "en")
    async with desk.unit() as unit:
        await unit.cancel(reference, by=AGENT, now=clock())
    runner = job_runner(app, [ConsoleSender(chat.channel)])
    assert (await runner.run_once()).sent == 1
    assert "was cancelled by the team" in chat.out.getvalue()
    # The printed buttons work: their numbers lead to the booking of the same service.
    answer = await chat.choose("appts:s.legal-aid")
    assert "Where would you like to go?" in answer
