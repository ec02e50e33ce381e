"""Whatever is typed or pressed, nothing breaks and there is always a way to the menu."""

from __future__ import annotations

import pytest

from bookings.store import BookingDesk
from bot.app import App
from dialogs.incoming import Incoming, Pressed
from dialogs.replies import Options, text_of
from dialogs.state import Role
from tests.bookings.conftest import Clock, grant, open_slots, paris, start_chat

WEIRD = ["", "²", "٣", "-1", "99999999999999999999", "x" * 60, "d", "n", "ok.", "..", "s."]
STEPS = ["appts", "bk-place", "bk-day", "bk-time", "bk-review", "bk-contact", "bk-done"]
STEPS += ["my-appts", "my-appt", "my-cancel", "ag-list", "ag-booking", "ag-reason", "ag-slots"]


def _broke(app: App, text: str) -> bool:
    return app.catalogs.translator("en")("Sorry, something went wrong on our side.") in text


@pytest.mark.parametrize("role", [Role.PERSON, Role.AGENT])
async def test_strange_buttons_never_break_a_step(
    app: App, desk: BookingDesk, clock: Clock, role: Role
) -> None:
    await open_slots(desk, clock, [paris(10, 9)])
    await start_chat(app, "odd")
    await grant(app, "odd", role)
    n = 0
    for step in STEPS:
        for value in WEIRD:
            n += 1
            handled = await app.engine.handle(
                Incoming("console", "odd", f"odd-{n}", Pressed(f"{step}:{value}"))
            )
            text = "\n".join(text_of(reply) for reply in handled.replies)
            assert not _broke(app, text), f"{step}:{value} broke: {text}"
            ids = [o.id for r in handled.replies if isinstance(r, Options) for o in r.all_options()]
            assert "nav:menu" in ids or all(i.startswith("menu:") for i in ids), (step, value)


async def test_strange_commands_and_texts_never_break(app: App, clock: Clock) -> None:
    chat = await start_chat(app, "agent")
    await grant(app, "agent", Role.ADMIN)
    for line in [
        "/upcoming ²",
        "/upcoming 99999999999",
        "/confirm",
        "/confirm AAAAAA 2031-02-30 10:00",
        "/confirm AAAAAA 2031-03-10 25:00",
        "/confirm AAAAAA 2031-03-10 10:00 ² x",
        "/decline ??",
        "/move AAAAAA 99999999999999",
        "/move AAAAAA ²",
        "/slots add",
        "/slots add legal-aid droits-urgence-pad-18 2031-03-10 10:00-09:00 1",
        "/slots add legal-aid droits-urgence-pad-18 2031-03-10 10:00-11:00 ²",
        "/slots cancel 99999999999999999",
        "/slots cancel 424242",
        "/slots frobnicate",
        "/booking",
        "/attended ZZZZZZ",
        "/noshow",
    ]:
        answer = await chat.say(line)
        assert answer and not _broke(app, answer), f"{line!r}: {answer}"
    await chat.say("/menu")
    await chat.choose("menu:appointments")
    await chat.choose("appts:s.mental-health")
    for text in ["", "+", "+" * 30, "0" * 40, "١٢٣٤٥٦٧٨٩٠"]:
        answer = await chat.say(text or " ")
        assert not _broke(app, answer)
