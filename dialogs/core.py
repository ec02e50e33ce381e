"""The dialogs every person meets: language choice, main menu, help, settings and privacy."""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.framework import (
    Context,
    Dialog,
    Outcome,
    Step,
    ask,
    go,
    option,
)
from dialogs.i18n import N_, language_info
from dialogs.replies import Options, Reply, Text

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
    options = [option(code, language_info(code).native_name) for code in codes]
    rows = tuple(tuple(options[i : i + 2]) for i in range(0, len(options), 2))
    return [Options(text=text, rows=rows)]


async def press_language(ctx: Context, value: str) -> Outcome | None:
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
    return go("menu", note, replace=True)


# -- main menu ----------------------------------------------------------------------------


async def show_menu(ctx: Context) -> Sequence[Reply]:
    entries = [
        option(dialog.name, f"{dialog.icon} {ctx.t(dialog.menu_label)}".strip())
        for dialog in ctx.registry.menu_dialogs()
        if dialog.menu_label
    ]
    rows = tuple((entry,) for entry in entries)
    return [Options(text=ctx.t("🏠 Main menu. What do you need?"), rows=rows)]


async def press_menu(ctx: Context, value: str) -> Outcome | None:
    dialog = ctx.registry.dialogs.get(value)
    if dialog is None or not dialog.menu_label:
        return None
    if dialog.on_open is not None:
        return await dialog.on_open(ctx)
    return go(dialog.start)


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
    person = option("person", f"🙋 {ctx.t('Talk to a person')}")
    return [Options(text="\n\n".join(lines), rows=((person,),))]


async def press_help(ctx: Context, value: str) -> Outcome | None:
    return go("tp") if value == "person" else None


# -- settings and privacy -----------------------------------------------------------------


async def show_settings(ctx: Context) -> Sequence[Reply]:
    return [
        ask(
            ctx.t("⚙️ Language and settings"),
            option("language", ctx.t("🌐 Change language")),
            option("privacy", ctx.t("🔒 What we keep about you")),
            option("forget", ctx.t("🗑️ Delete my data")),
            option("help", ctx.t("ℹ️ Help")),
        )
    ]


async def press_settings(ctx: Context, value: str) -> Outcome | None:
    targets = {"language": "lang", "privacy": "privacy", "forget": "forget", "help": "help"}
    target = targets.get(value)
    return go(target) if target else None


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
            option("yes", ctx.t("Yes, delete")),
            option("no", ctx.t("No, keep")),
        )
    ]


async def press_forget(ctx: Context, value: str) -> Outcome | None:
    if value == "no":
        return go("menu", replace=True)
    if value != "yes":
        return None
    await ctx.conversations.forget_person(ctx.person)
    ctx.person.locale = None
    ctx.person.situation = None
    ctx.person.consents.clear()
    ctx.state.data.clear()
    ctx.state.back_stack.clear()
    done = Text(ctx.t("Done. Everything was deleted. Write to me again whenever you want."))
    return go("lang", done, replace=True)


async def no_buttons(ctx: Context, value: str) -> Outcome | None:
    return None


LANGUAGE = Dialog(
    name="language",
    start="lang",
    steps=(Step("lang", show_language, press_language, navigation=True),),
)

CORE = Dialog(
    name="core",
    start="menu",
    steps=(Step("menu", show_menu, press_menu, navigation=False),),
)

SETTINGS = Dialog(
    name="settings",
    start="settings",
    menu_label=N_("Language and settings"),
    icon="⚙️",
    order=900,
    steps=(
        Step("settings", show_settings, press_settings),
        Step("privacy", show_privacy, no_buttons),
        Step("forget", show_forget, press_forget, reentrant=False),
    ),
)

HELP = Dialog(
    name="help",
    start="help",
    menu_label=N_("Help"),
    icon="ℹ️",
    order=950,
    steps=(Step("help", show_help, press_help),),
)


DIALOGS = (LANGUAGE, CORE, SETTINGS, HELP)
