"""The dialogs every person meets: language choice, main menu, help, settings and privacy."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.framework import (
    Context,
    Dialog,
    Home,
    Opens,
    Outcome,
    Step,
    StepName,
    ask,
    carrying,
    go,
    on,
    to,
)
from dialogs.i18n import N_, language_info
from dialogs.replies import Options, Reply, Text


class At(StepName):
    SETTINGS = "settings"
    PRIVACY = "privacy"
    FORGET = "forget"


# -- language ---------------------------------------------------------------------------


def _language_order(ctx: Context) -> list[str]:
    """Bundled locales, the person's current one or the platform's hint first."""
    codes = list(ctx.catalogs.locales)
    hint = ctx.catalogs.best_match(str(ctx.state.data.get("_hint") or "")) or ""
    first = ctx.person.locale or hint
    if first in codes:
        codes.remove(first)
        codes.insert(0, first)
    return codes


async def show_language(ctx: Context) -> Sequence[Reply]:
    codes = _language_order(ctx)
    if ctx.person.locale is None:
        # Nobody knows the person's language yet: ask in each of them.
        prompts: list[str] = []
        for code in codes:
            line = ctx.catalogs.translator(code)("Choose your language")
            if line not in prompts:
                prompts.append(line)
        text = "🌐 " + " · ".join(prompts)
    else:
        text = "🌐 " + ctx.t("Choose your language")
    options = [LANGUAGE.option(language_info(code).native_name, code) for code in codes]
    rows = tuple(tuple(options[i : i + 2]) for i in range(0, len(options), 2))
    return [Options(text=text, rows=rows)]


async def choose_language(ctx: Context, value: str) -> Outcome | None:
    if value not in ctx.catalogs:
        return None
    ctx.switch_locale(value)
    ctx.state.data.pop("_hint", None)
    note = Text(ctx.t("Language: {language}", language=language_info(value).native_name))
    pending = ctx.state.data.pop("_pending_start", None)
    if isinstance(pending, str) and pending:
        prefix, _, rest = pending.partition("-")
        handler = ctx.registry.start_payloads.get(prefix)
        if handler is not None:
            outcome = await handler(ctx, rest)
            if outcome is not None:
                return Outcome(replies=(note, *outcome.replies), goto=outcome.goto, replace=True)
    return go(Home.MENU, note, replace=True)


# -- main menu ----------------------------------------------------------------------------


async def show_menu(ctx: Context) -> Sequence[Reply]:
    entries = [
        MENU_ITEM.option(f"{dialog.icon} {ctx.t(dialog.menu_label)}".strip(), dialog.name)
        for dialog in ctx.registry.menu_dialogs()
        if dialog.menu_label
    ]
    rows = tuple((entry,) for entry in entries)
    return [Options(text=ctx.t("🏠 Main menu. What do you need?"), rows=rows)]


async def open_menu_item(ctx: Context, value: str) -> Outcome | None:
    dialog = ctx.registry.dialogs.get(value)
    if dialog is None or not dialog.menu_label:
        return None
    if dialog.on_open is not None:
        return await dialog.on_open(ctx)
    return Outcome(goto=dialog.start)


# -- help -----------------------------------------------------------------------------------


async def show_help(ctx: Context) -> Sequence[Reply]:
    lines = [
        ctx.t("ℹ️ How to use Passerelle"),
        ctx.t("Press the buttons to move around. You can also type a question in your words."),
        ctx.t("Type /menu to go back to the menu at any time, and /back to go one step back."),
        ctx.t("Type /language to change the language."),
        ctx.t(
            "Passerelle gives general information. For your own situation, "
            "a social worker can help you."
        ),
    ]
    # A person is one tap away from every journey's help (`dialogs/handover.py`).
    person = TALK.option(f"🙋 {ctx.t('Talk to a person')}")
    return [Options(text="\n\n".join(lines), rows=((person,),))]


async def talk_to_person(ctx: Context, _value: str) -> Outcome:
    return await ctx.open(Opens.PERSON, "")


TALK = on("person", talk_to_person)


# -- settings and privacy -----------------------------------------------------------------


async def show_settings(ctx: Context) -> Sequence[Reply]:
    return [
        ask(
            ctx.t("⚙️ Language and settings"),
            TO_LANGUAGE.option(ctx.t("🌐 Change language")),
            TO_PRIVACY.option(ctx.t("🔒 What we keep about you")),
            TO_FORGET.option(ctx.t("🗑️ Delete my data")),
            TO_HELP.option(ctx.t("ℹ️ Help")),
        )
    ]


TO_LANGUAGE = to("language", Home.LANGUAGE)
TO_PRIVACY = to("privacy", At.PRIVACY)
TO_FORGET = to("forget", At.FORGET)
TO_HELP = to("help", Home.HELP)


async def show_privacy(ctx: Context) -> Sequence[Reply]:
    remembered = ctx.t("yes") if ctx.person.situation else ctx.t("no")
    lines = [
        ctx.t("🔒 What Passerelle keeps about you"),
        ctx.t("Your language, and where you are in the conversation."),
        ctx.t(
            "Your situation only if you agreed to it. Situation remembered: {answer}",
            answer=remembered,
        ),
        ctx.t("We never share your messages. You can delete your data at any time."),
    ]
    return [Text("\n\n".join(lines))]


async def show_forget(ctx: Context) -> Sequence[Reply]:
    return [
        ask(
            ctx.t("Delete everything Passerelle keeps about you? This cannot be undone."),
            FORGET_YES.option(ctx.t("Yes, delete")),
            FORGET_NO.option(ctx.t("No, keep")),
        )
    ]


async def forget(ctx: Context, value: str) -> Outcome | None:
    await ctx.conversations.forget_person(ctx.person)
    ctx.person.locale = None
    ctx.person.situation = None
    ctx.person.consents.clear()
    ctx.state.data.clear()
    ctx.state.back_stack.clear()
    done = Text(ctx.t("Done. Everything was deleted. Write to me again whenever you want."))
    return go(Home.LANGUAGE, done, replace=True)


LANGUAGE = carrying("", choose_language)
MENU_ITEM = carrying("", open_menu_item)
FORGET_YES = on("yes", forget)
FORGET_NO = to("no", Home.MENU, replace=True)

LANGUAGES = Dialog(
    name="language",
    start=Home.LANGUAGE,
    steps=(Step(Home.LANGUAGE, show_language, buttons=(LANGUAGE,), navigation=True),),
)

CORE = Dialog(
    name="core",
    start=Home.MENU,
    steps=(Step(Home.MENU, show_menu, buttons=(MENU_ITEM,), navigation=False),),
)

SETTINGS = Dialog(
    name="settings",
    start=At.SETTINGS,
    menu_label=N_("Language and settings"),
    icon="⚙️",
    order=900,
    steps=(
        Step(At.SETTINGS, show_settings, buttons=(TO_LANGUAGE, TO_PRIVACY, TO_FORGET, TO_HELP)),
        Step(At.PRIVACY, show_privacy, buttons=()),
        Step(At.FORGET, show_forget, buttons=(FORGET_YES, FORGET_NO), reentrant=False),
    ),
)

HELP = Dialog(
    name="help",
    start=Home.HELP,
    menu_label=N_("Help"),
    icon="ℹ️",
    order=950,
    steps=(Step(Home.HELP, show_help, buttons=(TALK,)),),
)


DIALOGS = (LANGUAGES, CORE, SETTINGS, HELP)
