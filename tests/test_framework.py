"""Steps declare their buttons, name one another with typed names, and open other journeys
through the registry; the engine alone says "unknown command" and "button expired"."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.app import App
from dialogs import catalog
from dialogs.framework import (
    Context,
    Dialog,
    Opens,
    Outcome,
    Registry,
    Step,
    StepName,
    carrying,
    on,
    to,
)
from dialogs.incoming import Command, Incoming, Pressed
from dialogs.replies import Reply, Text, text_of
from dialogs.state import Role
from tests.bookings.conftest import grant, start_chat


class Trial(StepName):
    ONE = "t-one"
    TWO = "t-two"
    NOWHERE = "t-nowhere"


async def show(ctx: Context) -> Sequence[Reply]:
    return [Text("shown")]


async def echo(ctx: Context, value: str) -> Outcome | None:
    return Outcome(replies=(Text(f"value={value}"),)) if value else None


def test_a_button_leading_to_an_unknown_step_fails_the_build() -> None:
    registry = Registry()
    registry.add(
        Dialog(
            name="trial",
            start=Trial.ONE,
            steps=(Step(Trial.ONE, show, buttons=(to("go", Trial.NOWHERE),)),),
        )
    )
    with pytest.raises(ValueError, match="t-nowhere"):
        registry.check()


def test_the_registry_knows_who_opens_what_and_every_step_is_typed() -> None:
    registry = catalog.build_registry()
    assert set(registry.openers) == set(Opens)
    assert all(isinstance(step.code, StepName) for _dialog, step in registry.steps.values())


def test_a_step_declares_an_id_once() -> None:
    with pytest.raises(ValueError, match="twice"):
        Step(Trial.ONE, show, buttons=(on("a", echo), carrying("a", echo)))


async def test_a_button_finds_its_handler_exact_ids_first_then_the_longest_prefix() -> None:
    step = Step(
        Trial.ONE,
        show,
        buttons=(carrying("", echo), carrying("s.", echo), on("s", echo), to("x", Trial.TWO)),
    )
    ctx = None  # the handlers here read nothing of the context
    exact = await step.press(ctx, "s")  # type: ignore[arg-type]
    assert exact is None  # on("s") hands an empty value: echo declines it
    prefixed = await step.press(ctx, "s.legal-aid")  # type: ignore[arg-type]
    assert prefixed is not None and text_of(prefixed.replies[0]) == "value=legal-aid"
    rest = await step.press(ctx, "42")  # type: ignore[arg-type]
    assert rest is not None and text_of(rest.replies[0]) == "value=42"
    leading = await step.press(ctx, "x")  # type: ignore[arg-type]
    assert leading is not None and leading.goto == Trial.TWO


async def test_an_agents_command_and_button_answer_a_person_as_unknown_ones(app: App) -> None:
    await start_chat(app, "someone")
    await grant(app, "someone", Role.PERSON)

    async def answer(payload: Command | Pressed, update: str) -> str:
        handled = await app.engine.handle(Incoming("console", "someone", update, payload))
        return "\n".join(text_of(reply) for reply in handled.replies)

    assert await answer(Command("today", ""), "c1") == await answer(Command("frobnicate", ""), "c2")
    assert await answer(Pressed("ag-list:refresh"), "p1") == await answer(
        Pressed("no-such-step:x"), "p2"
    )
