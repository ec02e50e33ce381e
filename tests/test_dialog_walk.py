"""Walk every screen reachable from the menu, pressing every option.

Proves that no option leads nowhere (an "expired" or "not available" answer to
a button just shown), that no step crashes, and that every screen but the main
menu offers the way back to it.
"""

from __future__ import annotations

import itertools

import pytest

from bot.app import App
from dialogs.framework import NAV_BACK, NAV_MENU
from dialogs.incoming import Command, Incoming, Pressed
from dialogs.replies import Options, Reply, text_of

MAX_SCREENS = 800
#: Each option id is pressed once, from the first screen that showed it: every screen is
#: reached, and every button of every entry is tried, without replaying every path.
counter = itertools.count()


def option_ids(replies: list[Reply]) -> list[str]:
    return [o.id for r in replies if isinstance(r, Options) for o in r.all_options()]


async def replay(app: App, locale: str, path: tuple[str, ...]) -> list[Reply]:
    person = f"walker-{next(counter)}"
    await app.engine.handle(Incoming("console", person, f"{person}-s", Command("start")))
    chosen = Incoming("console", person, f"{person}-l", Pressed(f"lang:{locale}"))
    replies = (await app.engine.handle(chosen)).replies
    for n, option_id in enumerate(path):
        pressed = Incoming("console", person, f"{person}-{n}", Pressed(option_id))
        replies = (await app.engine.handle(pressed)).replies
    return replies


@pytest.mark.parametrize(("locale", "max_depth"), [("fr", 8), ("ar", 3)])
async def test_every_option_leads_somewhere_with_a_way_back(
    app: App, locale: str, max_depth: int
) -> None:
    t = app.catalogs.translator(locale)
    dead_ends = {
        t("This button has expired. Here is the menu."),
        t("This choice is not available any more."),
        t("Sorry, something went wrong on our side. Here is the menu."),
        t("This information is not available any more."),
        t("This document list is not available any more."),
    }
    queue: list[tuple[str, ...]] = [()]
    pressed: set[str] = set()
    screens = 0
    while queue and screens < MAX_SCREENS:
        path = queue.pop(0)
        replies = await replay(app, locale, path)
        screens += 1
        assert replies, f"no answer after {path}"
        first = text_of(replies[0])
        assert not any(dead in first for dead in dead_ends), f"{path} led nowhere: {first!r}"
        ids = option_ids(replies)
        at_menu = ids and all(i.startswith("menu:") for i in ids)
        # After "delete my data" the person is new again and first picks a language.
        at_first_contact = ids and all(i.startswith("lang:") for i in ids)
        assert at_menu or at_first_contact or NAV_MENU in ids, (
            f"no way back to the menu after {path}"
        )
        if len(path) >= max_depth:
            continue
        for option_id in ids:
            if option_id in pressed or option_id in (NAV_MENU, NAV_BACK):
                continue
            if option_id.startswith("lang:"):
                continue
            pressed.add(option_id)
            queue.append((*path, option_id))
    assert screens > 3
