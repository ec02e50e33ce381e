"""The way of one message: dedupe, load, run the step, save, queue the replies — in one unit."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from weakref import WeakValueDictionary

from dialogs import crisis
from dialogs.framework import (
    NAV_BACK,
    NAV_MENU,
    SEP,
    Context,
    Home,
    Outcome,
    Registry,
    Step,
    qualify,
)
from dialogs.i18n import Catalogs, isolate_reply
from dialogs.incoming import Command, Incoming, Pressed, Said, SentMedia, SharedLocation
from dialogs.ports import ConversationStore, Services, StaleState
from dialogs.replies import Option, Options, Reply, Text
from dialogs.state import start_conversation

log = logging.getLogger("passerelle.engine")

MAX_ATTEMPTS = 8
#: Silence after which the next message starts a new conversation.
CONVERSATION_GAP = dt.timedelta(hours=12)
START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Handled:
    """The replies of one update and their outbox ids (empty for a duplicate delivery)."""

    replies: list[Reply]
    outbox_ids: list[int] = field(default_factory=list)
    duplicate: bool = False


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Engine:
    def __init__(
        self,
        store: ConversationStore,
        registry: Registry,
        catalogs: Catalogs,
        services: Services,
        default_locale: str = "fr",
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.registry = registry
        self.catalogs = catalogs
        self.default_locale = default_locale if default_locale in catalogs else "fr"
        self.services = services
        self.clock = clock
        # One lock per person in this process keeps their updates in order; the
        # state's version number protects against other processes.
        self._locks: WeakValueDictionary[tuple[str, str], asyncio.Lock] = WeakValueDictionary()

    def _lock(self, incoming: Incoming) -> asyncio.Lock:
        key = (incoming.channel, incoming.person_ref)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, incoming: Incoming) -> Handled:
        async with self._lock(incoming):
            for attempt in range(MAX_ATTEMPTS):
                try:
                    return await self._handle_once(incoming, failed=False)
                except StaleState:
                    log.info("state.conflict attempt=%d channel=%s", attempt, incoming.channel)
                    await asyncio.sleep(0.01 * (attempt + 1))
                except Exception:
                    log.exception("step.failed channel=%s", incoming.channel)
                    return await self._handle_once(incoming, failed=True)
            log.error("state.conflict.gave_up channel=%s", incoming.channel)
            return await self._handle_once(incoming, failed=True)

    async def _handle_once(self, incoming: Incoming, failed: bool) -> Handled:
        async with self.store.unit() as conversations:
            if not await conversations.claim_update(incoming.channel, incoming.update_id):
                log.info("update.duplicate channel=%s", incoming.channel)
                return Handled(replies=[], duplicate=True)
            person = await conversations.person(incoming.channel, incoming.person_ref)
            state = await conversations.state(person)
            locale = person.locale or self.catalogs.best_match(incoming.locale_hint)
            ctx = Context(
                person=person,
                state=state,
                t=self.catalogs.translator(locale or self.default_locale),
                catalogs=self.catalogs,
                registry=self.registry,
                conversations=conversations,
                now=self.clock(),
                services=self.services,
            )
            self._mark_conversation(ctx, incoming)
            if failed:
                replies = await self._recover(ctx)
            else:
                replies = await self._dispatch(ctx, incoming)
            replies = self._finish(ctx, replies)
            await conversations.save_state(person, ctx.state)
            await conversations.save_person(person)
            outbox_ids = await conversations.queue(person, replies)
            return Handled(replies=replies, outbox_ids=outbox_ids)

    def _mark_conversation(self, ctx: Context, incoming: Incoming) -> None:
        """After a long silence, or at /start, a new conversation begins."""
        data = ctx.state.data
        last = data.get("_at")
        now = ctx.now
        stale = True
        if isinstance(last, str):
            try:
                stale = now - dt.datetime.fromisoformat(last) > CONVERSATION_GAP
            except ValueError:
                stale = True
        restart = isinstance(incoming.payload, Command) and incoming.payload.name == "start"
        if stale or restart:
            start_conversation(ctx.state, ctx.person)
        data["_at"] = now.isoformat()
        if incoming.locale_hint:
            data.setdefault("_hint", incoming.locale_hint)

    # -- dispatch -----------------------------------------------------------------

    async def _dispatch(self, ctx: Context, incoming: Incoming) -> list[Reply]:
        payload = incoming.payload
        crisis.forget_text(ctx, payload)
        if ctx.person.locale is None:
            return await self._first_contact(ctx, incoming)
        match payload:
            case Command(name=name, argument=argument):
                return await self._command(ctx, name, argument)
            case Pressed(option_id=option_id):
                return await self._pressed(ctx, option_id)
            case Said(text=text):
                return await self._said(ctx, text)
            case SharedLocation(latitude=latitude, longitude=longitude):
                return await self._location(ctx, latitude, longitude)
            case SentMedia():
                note = Text(
                    ctx.t(
                        "I cannot read voice messages, photos or files. "
                        "Please use the buttons, or type a few words."
                    )
                )
                return [note, *await self._show_current(ctx)]
        raise TypeError(f"unknown payload {payload!r}")

    async def _first_contact(self, ctx: Context, incoming: Incoming) -> list[Reply]:
        payload = incoming.payload
        if isinstance(payload, Pressed) and payload.option_id.startswith(Home.LANGUAGE + SEP):
            return await self._pressed(ctx, payload.option_id)
        if isinstance(payload, Said):
            # Danger first, even before a language is chosen: answered in the one it is written in.
            urgent = crisis.first_contact(ctx, payload.text)
            if urgent is not None:
                return await self._apply(ctx, urgent)
        if isinstance(payload, Command) and payload.name == "start" and payload.argument:
            if START_PAYLOAD.match(payload.argument):
                ctx.state.data["_pending_start"] = payload.argument
        return await self._enter(ctx, Home.LANGUAGE, push=False)

    async def _command(self, ctx: Context, name: str, argument: str) -> list[Reply]:
        if name == "start":
            if argument:
                return await self._start_payload(ctx, argument)
            return await self.menu(ctx)
        if name == "menu":
            return await self.menu(ctx)
        if name in ("language", "lang", "langue"):
            return await self._enter(ctx, Home.LANGUAGE)
        if name == "help":
            return await self._enter(ctx, Home.HELP)
        if name == "back":
            return await self._apply(ctx, Outcome(back=True))
        handler = self.registry.commands.get(name)
        outcome = await handler(ctx, argument) if handler is not None else None
        if outcome is not None:
            return await self._apply(ctx, outcome)
        # Unknown, or not for this person: the same answer, so that nothing tells a
        # person a command they may not use exists.
        notice = Text(ctx.t("I do not know this command. Here is the menu."))
        return [notice, *await self.menu(ctx)]

    async def _start_payload(self, ctx: Context, argument: str) -> list[Reply]:
        if START_PAYLOAD.match(argument):
            prefix, _, rest = argument.partition("-")
            handler = self.registry.start_payloads.get(prefix)
            if handler is not None:
                outcome = await handler(ctx, rest)
                if outcome is not None:
                    return await self._apply(ctx, outcome)
        notice = Text(ctx.t("This link is not valid any more. Here is the menu."))
        return [notice, *await self.menu(ctx)]

    async def _pressed(self, ctx: Context, option_id: str) -> list[Reply]:
        if option_id == NAV_MENU:
            return await self.menu(ctx)
        if option_id == NAV_BACK:
            return await self._apply(ctx, Outcome(back=True))
        code, _, value = option_id.partition(SEP)
        found = self.registry.step(code)
        # A step not for this person answers as a button that does not exist.
        if found is None or not found[1].pressable or not found[1].allows(ctx):
            return await self._expired(ctx)
        dialog, step = found
        if code != ctx.state.step:
            if not step.reentrant:
                return await self._expired(ctx)
            # An older button of another step: handle it there, as if the person were back on it.
            ctx.state.push(ctx.state.step)
            ctx.state.dialog, ctx.state.step = dialog.name, code
        outcome = await step.press(ctx, value)
        if outcome is None:
            notice = Text(ctx.t("This choice is not available any more."))
            return [notice, *await self._show_current(ctx)]
        return await self._apply(ctx, outcome)

    async def _said(self, ctx: Context, text: str) -> list[Reply]:
        # Danger first: the check runs before the step, whatever the step expects.
        checked = await crisis.check_text(ctx, text)
        if checked.outcome is not None:
            return await self._apply(ctx, checked.outcome)
        return crisis.ask_if_unsure(ctx, checked, await self._said_to_step(ctx, text))

    async def _said_to_step(self, ctx: Context, text: str) -> list[Reply]:
        if _is_menu_word(text, ctx.t("menu")):
            return await self.menu(ctx)
        for first in self.registry.text_first:
            taken = await first(ctx, text)
            if taken is not None:
                return await self._apply(ctx, taken)
        found = self.registry.step(ctx.state.step)
        step = found[1] if found is not None else None
        # A sentence on a screen that waits for a postcode or a name is a question.
        asks = step is not None and step.is_question is not None and step.is_question(text)
        if step is not None and step.on_text is not None and not asks:
            if not step.allows(ctx):
                return await self._expired(ctx)
            return await self._apply(ctx, await step.on_text(ctx, text))
        for fallback in self.registry.text_fallbacks:
            outcome = await fallback(ctx, text)
            if outcome is not None:
                return await self._apply(ctx, outcome)
        notice = Text(ctx.t("I did not understand. Please choose one of the buttons."))
        return [notice, *await self._show_current(ctx)]

    async def _location(self, ctx: Context, latitude: float, longitude: float) -> list[Reply]:
        found = self.registry.step(ctx.state.step)
        if found is not None and found[1].on_location is not None:
            return await self._apply(ctx, await found[1].on_location(ctx, latitude, longitude))
        if self.registry.location_fallback is not None:
            return await self._apply(
                ctx, await self.registry.location_fallback(ctx, latitude, longitude)
            )
        notice = Text(ctx.t("Thank you. I cannot use a location here."))
        return [notice, *await self._show_current(ctx)]

    async def _expired(self, ctx: Context) -> list[Reply]:
        notice = Text(ctx.t("This button has expired. Here is the menu."))
        return [notice, *await self.menu(ctx)]

    async def _recover(self, ctx: Context) -> list[Reply]:
        ctx.state.back_stack.clear()
        notice = Text(ctx.t("Sorry, something went wrong on our side. Here is the menu."))
        if ctx.person.locale is None:
            return [notice, *await self._enter(ctx, Home.LANGUAGE, push=False)]
        return [notice, *await self.menu(ctx)]

    # -- moving between steps -------------------------------------------------------

    async def menu(self, ctx: Context) -> list[Reply]:
        ctx.state.back_stack.clear()
        return await self._enter(ctx, Home.MENU, push=False)

    async def _apply(self, ctx: Context, outcome: Outcome) -> list[Reply]:
        replies = qualify(outcome.replies, ctx.state.step)
        if outcome.back:
            target = ctx.state.back_stack.pop() if ctx.state.back_stack else Home.MENU
            if self.registry.step(target) is None:
                target = Home.MENU
            return [*replies, *await self._enter(ctx, target, push=False)]
        if outcome.goto is not None:
            push = not outcome.replace and outcome.goto != ctx.state.step
            return [*replies, *await self._enter(ctx, outcome.goto, push=push)]
        return replies

    async def _enter(self, ctx: Context, code: str, push: bool = True) -> list[Reply]:
        found = self.registry.step(code)
        if found is None:
            raise LookupError(f"no step {code!r}")
        dialog, step = found
        if not step.allows(ctx):
            return await self._expired(ctx)
        if code == Home.MENU:
            ctx.state.back_stack.clear()
        elif push and ctx.state.step != code:
            ctx.state.push(ctx.state.step)
        # The state keeps plain strings: it is JSON, read by other processes.
        ctx.state.dialog, ctx.state.step = dialog.name, str(code)
        return qualify(await step.show(ctx), code)

    async def _show_current(self, ctx: Context) -> list[Reply]:
        found = self.registry.step(ctx.state.step)
        if found is None:
            return await self.menu(ctx)
        if not found[1].allows(ctx):
            return await self._expired(ctx)
        return qualify(await found[1].show(ctx), ctx.state.step)

    # -- finishing touches ------------------------------------------------------------

    def _finish(self, ctx: Context, replies: Sequence[Reply]) -> list[Reply]:
        found = self.registry.step(ctx.state.step)
        step: Step | None = found[1] if found else None
        result = list(replies)
        if step is not None and step.navigation and ctx.person.locale is not None:
            result = self._with_navigation(ctx, result)
        if ctx.t.rtl:
            result = [isolate_reply(reply) for reply in result]
        return result

    def _with_navigation(self, ctx: Context, replies: list[Reply]) -> list[Reply]:
        """Every screen but the menu offers a way back and a way home."""
        nav = (
            Option(id=NAV_BACK, label=ctx.t("⬅️ Back")),
            Option(id=NAV_MENU, label=ctx.t("🏠 Menu")),
        )
        last_options = max(
            (i for i, reply in enumerate(replies) if isinstance(reply, Options)), default=None
        )
        if last_options is None:
            return [*replies, Options(text=ctx.t("What would you like to do now?"), rows=(nav,))]
        current = replies[last_options]
        assert isinstance(current, Options)
        ids = {item.id for item in current.all_options()}
        if NAV_MENU in ids:
            return replies
        extended = Options(
            text=current.text, rows=(*current.rows, nav), replaceable=current.replaceable
        )
        return [*replies[:last_options], extended, *replies[last_options + 1 :]]


def _is_menu_word(text: str, translated: str) -> bool:
    """ "menu", "0", or the word for menu in the person's language, give or take an article."""
    word = text.strip().strip(".!?؟").casefold()
    local = translated.casefold()
    return word in {"menu", "/menu", "0", local} or word.removeprefix("ال") == local.removeprefix(
        "ال"
    )
