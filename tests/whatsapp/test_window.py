"""The 24-hour customer-service window: free-form inside it, templates outside it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.channels.base import DeliveryError
from bot.storage.whatsapp import WhatsAppNotification
from dialogs.replies import Text
from tests.whatsapp import payloads
from tests.whatsapp.harness import Harness, WhatsAppPerson

PARAMS = {"service": "Permanence juridique", "when": "lundi 1 décembre à 10:00"}
REMINDER = Text("⏰ Rappel : Permanence juridique, lundi 1 décembre à 10:00.")


async def in_french(person: WhatsAppPerson) -> None:
    await person.says("bonjour")
    await person.presses("Français")


def key_of(person: WhatsAppPerson) -> str:
    assert person.bsuid is not None
    return person.bsuid


async def test_a_reminder_outside_the_window_goes_as_a_template(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    harness.clock.advance(hours=25)
    await harness.channel.notify(key_of(amina), "booking_reminder", "fr", PARAMS, [REMINDER])
    last = amina.received[-1]
    assert last.kind == "template"
    template = last.body["template"]
    assert template["name"] == "rappel_rendez_vous"
    assert template["language"] == {"code": "fr"}
    body, button = template["components"]
    assert [p["text"] for p in body["parameters"]] == [PARAMS["service"], PARAMS["when"]]
    assert button["parameters"] == [{"type": "payload", "payload": "nav:menu"}]
    assert harness.fake.refused == []  # no free-form attempt outside the window


async def test_pressing_the_template_button_opens_the_menu(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    harness.clock.advance(hours=30)
    await harness.channel.notify(key_of(amina), "booking_reminder", "fr", PARAMS, [REMINDER])
    assert "Menu principal" in await amina.send(payloads.quick_reply("nav:menu", "Menu"))


async def test_a_reminder_inside_the_window_goes_as_it_is(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    harness.clock.advance(hours=23)
    await harness.channel.notify(key_of(amina), "booking_reminder", "fr", PARAMS, [REMINDER])
    last = amina.received[-1]
    assert last.kind == "text"
    assert last.body["text"]["body"] == REMINDER.text
    async with harness.app.database.sessions() as session:
        kept = await session.scalar(select(func.count()).select_from(WhatsAppNotification))
    assert kept == 1


async def test_without_free_form_replies_the_template_is_used(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    await harness.channel.notify(key_of(amina), "booking_reminder", "en", PARAMS)
    template = amina.received[-1].body["template"]
    assert template["name"] == "appointment_reminder"
    assert template["language"] == {"code": "en_GB"}


async def test_a_refused_free_form_message_falls_back_to_the_template(harness: Harness) -> None:
    """We think the window is open; WhatsApp knows better (131047)."""
    amina = harness.person()
    await in_french(amina)
    harness.fake.expected_refusals.add(131047)
    harness.fake.person_wrote(amina.wa_id, amina.bsuid, at=harness.clock().replace(year=2020))
    await harness.channel.notify(key_of(amina), "booking_reminder", "fr", PARAMS, [REMINDER])
    assert [code for code, _ in harness.fake.refused] == [131047]
    assert amina.received[-1].kind == "template"


async def test_a_failed_status_131047_sends_the_template(harness: Harness) -> None:
    """The Cloud API may accept the message and report 131047 in a status webhook later."""
    amina = harness.person()
    await in_french(amina)
    harness.fake.window_refusal_later = True
    harness.fake.person_wrote(amina.wa_id, amina.bsuid, at=harness.clock().replace(year=2020))
    await harness.channel.notify(key_of(amina), "booking_reminder", "fr", PARAMS, [REMINDER])
    (late,) = harness.fake.late_refusals
    assert amina.received[-1].kind != "template"
    failed = payloads.status(
        "failed",
        wamid=late.message_id,
        recipient_id="33612345678",
        at=harness.clock(),
        error_code=131047,
    )
    await harness.post(failed)
    await harness.post(failed)  # the status delivered again: one template only
    assert [sent.kind for sent in amina.received].count("template") == 1
    assert amina.received[-1].body["template"]["name"] == "rappel_rendez_vous"
    assert harness.channel.statuses["failed"] == 2


async def test_a_locale_without_its_template_uses_the_default_one(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    await harness.channel.notify(key_of(amina), "booking_reminder", "ar", PARAMS)
    assert amina.received[-1].body["template"]["name"] == "rappel_rendez_vous"


async def test_template_parameters_are_made_acceptable(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    params = {"service": "Permanence\njuridique\t(CASVP)", "when": "   "}
    await harness.channel.notify(key_of(amina), "booking_reminder", "fr", params)
    values = [p["text"] for p in amina.received[-1].body["template"]["components"][0]["parameters"]]
    assert values == ["Permanence juridique (CASVP)", "-"]


@pytest.mark.parametrize(
    ("kind", "params"),
    [("no_such_kind", PARAMS), ("booking_reminder", {"service": "Permanence juridique"})],
)
async def test_a_notification_that_cannot_be_built_is_a_permanent_error(
    harness: Harness, kind: str, params: dict[str, str]
) -> None:
    amina = harness.person()
    await in_french(amina)
    harness.clock.advance(hours=48)
    before = len(amina.received)
    with pytest.raises(DeliveryError) as raised:
        await harness.channel.notify(key_of(amina), kind, "fr", params, [REMINDER])
    assert raised.value.permanent
    assert len(amina.received) == before
