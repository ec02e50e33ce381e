"""Getting the workspace's words to people and agents in their chats.

An agent's reply is rendered in the person's language and put in the outbox in the same
transaction as the thread's message; the channel of this process (if it is the person's)
sends it at once, the outbox retrier later if that failed, the terminal's mailbox in the
terminal's own process. On WhatsApp outside the 24-hour window the reply waits: the
`ticket_reply` template tells the person an answer is waiting, and the reply goes out as
soon as they write back. Crisis notices and a digest of new tickets go to on-duty agents
with a linked chat identity: a number, a language and a link, never what the person wrote.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from babel import Locale, UnknownLocaleError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.channels.base import DeliveryError
from bot.storage import OutboxRow, PersonRow, TicketRow
from bot.storage.whatsapp import WINDOW, WINDOW_MARGIN, last_inbound
from bot.workspace.accounts import utc
from bot.workspace.render import staff_reply
from bot.workspace.tables import (
    AccountLinkRow,
    AccountRow,
    AuditRow,
    DigestMarkRow,
    TicketMessageRow,
    TicketWorkRow,
)
from bot.workspace.threads import work_of
from dialogs.codec import decode_reply, encode_reply
from dialogs.i18n import Translator
from dialogs.replies import Reply, Text

log = logging.getLogger("passerelle.workspace.courier")

TEMPLATE_KIND = "ticket_reply"
#: A crisis older than this when first seen (a restart after days) is not announced any more.
CRISIS_FRESH = dt.timedelta(hours=24)
DIGEST_EVERY = dt.timedelta(hours=4)
AUDIT_KEPT = dt.timedelta(days=365)
PRUNE_EVERY = dt.timedelta(hours=6)


class Sender(Protocol):
    name: str

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None: ...


class Templates(Protocol):
    async def send_template(
        self, platform_id: str, kind: str, locale: str, params: dict[str, object]
    ) -> str: ...


def admin_base(app: App) -> str:
    root = app.settings.public_url or "http://127.0.0.1:8080"
    return f"{root}/admin"


def language_name(code: str, reader: str) -> str:
    try:
        return Locale.parse(code).get_display_name(reader) or code
    except (UnknownLocaleError, ValueError):
        return code


class Periodic:
    """A pass every `interval` seconds in the background, until stopped; a failing pass is
    logged (its kind only) and the next one comes as usual."""

    interval: float
    _task: asyncio.Task[None] | None
    #: The log event of a failed pass.
    failure_event = "workspace.pass_failed"

    async def run_once(self, now: dt.datetime | None = None) -> object:
        raise NotImplementedError

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as error:
                log.error("%s error=%s", self.failure_event, type(error).__name__)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None


class Courier(Periodic):
    failure_event = "workspace.courier_failed"

    def __init__(
        self,
        app: App,
        senders: Sequence[Sender] = (),
        *,
        clock: Callable[[], dt.datetime] | None = None,
        interval: float = 5.0,
    ) -> None:
        self.app = app
        self.senders = {sender.name: sender for sender in senders}
        self.clock = clock or app.engine.clock
        self.interval = interval
        self._task = None
        self._pruned_at: dt.datetime | None = None

    # -- a reply -----------------------------------------------------------------------------

    async def last_inbound(self, platform_id: str) -> dt.datetime | None:
        async with self.app.database.sessions() as session:
            return await last_inbound(session, platform_id)

    async def window_open(self, person: PersonRow, now: dt.datetime) -> bool:
        """Whether a free-form message may reach the person now (always, but on WhatsApp)."""
        if person.channel != "whatsapp":
            return True
        last = await self.last_inbound(person.platform_id)
        return last is not None and now - last < WINDOW - WINDOW_MARGIN

    async def stage(
        self,
        session: AsyncSession,
        ticket: TicketRow,
        person: PersonRow,
        message: TicketMessageRow,
        now: dt.datetime,
        window_open: bool,
    ) -> list[int]:
        """Put an agent's message in the person's outbox (or keep it for the window)."""
        if not window_open:
            message.waits_for_window = True
            return []
        locale = person.locale or ticket.locale
        replies = await staff_reply(
            self.translator(locale),
            self.app.engine.services.library,
            ticket.id,
            message.text,
            list(message.entries or []),
            now.date(),
        )
        message.queued_at = now
        message.waits_for_window = False
        return await queue(session, person, replies, now)

    def translator(self, locale: str | None) -> Translator:
        catalogs = self.app.catalogs
        code = locale if locale in catalogs else self.app.settings.default_locale
        return catalogs.translator(code or "fr")

    async def push(self, channel: str, ids: Sequence[int]) -> int:
        """Send queued replies now when this process runs their channel; else they wait for
        the process that does (the outbox retrier, the terminal's mailbox)."""
        sender = self.senders.get(channel)
        if sender is None or not ids:
            return 0
        async with self.app.database.sessions() as session:
            rows = list(
                await session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.id.in_(list(ids)), OutboxRow.sent_at.is_(None))
                    .order_by(OutboxRow.id)
                )
            )
        sent = 0
        for row in rows:
            try:
                await sender.deliver(row.platform_id, [decode_reply(row.reply)])
            except DeliveryError as error:
                delay = 3600.0 if error.permanent else (error.retry_after or 30.0)
                await self.app.outbox.mark_failed(
                    [row.id], self.clock() + dt.timedelta(seconds=delay)
                )
                log.warning("workspace.push_failed channel=%s", channel)
                break
            await self.app.outbox.mark_sent([row.id])
            sent += 1
        return sent

    # -- the loop ------------------------------------------------------------------------------

    async def run_once(self, now: dt.datetime | None = None) -> None:
        now = now or self.clock()
        await self._windows(now)
        await self._crisis_notices(now)
        await self._digest(now)
        if self._pruned_at is None or now - self._pruned_at > PRUNE_EVERY:
            await self._prune(now)

    async def _prune(self, now: dt.datetime) -> None:
        """The audit log is kept one year."""
        async with self.app.database.write_sessions() as session, session.begin():
            await session.execute(delete(AuditRow).where(AuditRow.at < now - AUDIT_KEPT))
        self._pruned_at = now

    async def _windows(self, now: dt.datetime) -> None:
        async with self.app.database.sessions() as session:
            waiting = list(
                (
                    await session.execute(
                        select(
                            TicketMessageRow.id, PersonRow.platform_id, TicketMessageRow.created_at
                        )
                        .join(TicketRow, TicketRow.id == TicketMessageRow.ticket_id)
                        .join(PersonRow, PersonRow.id == TicketRow.person_id)
                        .where(
                            TicketMessageRow.waits_for_window.is_(True),
                            PersonRow.channel == "whatsapp",
                        )
                        .order_by(TicketMessageRow.id)
                    )
                ).all()
            )
        for message_id, platform_id, created_at in waiting:
            last = await self.last_inbound(platform_id)
            if (
                last is not None
                and last >= (utc(created_at) or now)
                and now - last < WINDOW - WINDOW_MARGIN
            ):
                await self._release(message_id, now)
            else:
                await self._announce(message_id, now)

    async def _release(self, message_id: int, now: dt.datetime) -> None:
        async with self.app.database.write_sessions() as session, session.begin():
            message = await session.get(TicketMessageRow, message_id)
            if message is None or not message.waits_for_window:
                return
            ticket = await session.get(TicketRow, message.ticket_id)
            person = await session.get(PersonRow, ticket.person_id) if ticket else None
            if ticket is None or person is None:
                return
            ids = await self.stage(session, ticket, person, message, now, window_open=True)
        await self.push("whatsapp", ids)
        log.info("workspace.reply_released")

    async def _announce(self, message_id: int, now: dt.datetime) -> None:
        sender = self.senders.get("whatsapp")
        if not hasattr(sender, "send_template"):
            return
        async with self.app.database.sessions() as session:
            found = (
                await session.execute(
                    select(TicketMessageRow, TicketRow, PersonRow)
                    .join(TicketRow, TicketRow.id == TicketMessageRow.ticket_id)
                    .join(PersonRow, PersonRow.id == TicketRow.person_id)
                    .where(TicketMessageRow.id == message_id)
                )
            ).first()
        if found is None:
            return
        message, ticket, person = found
        if message.template_at is not None:
            return
        # One template per ticket is enough: the person writes back once to get them all.
        async with self.app.database.sessions() as session:
            told = await session.scalar(
                select(func.count())
                .select_from(TicketMessageRow)
                .where(
                    TicketMessageRow.ticket_id == ticket.id,
                    TicketMessageRow.waits_for_window.is_(True),
                    TicketMessageRow.template_at.is_not(None),
                )
            )
        if not told:
            templates: Templates = sender  # type: ignore[assignment]
            try:
                await templates.send_template(
                    person.platform_id,
                    TEMPLATE_KIND,
                    person.locale or ticket.locale,
                    {"number": str(ticket.id)},
                )
            except DeliveryError as error:
                if not error.permanent:
                    log.warning("workspace.template_retry")
                    return
                log.error("workspace.template_failed error=%s", error)
        async with self.app.database.write_sessions() as session, session.begin():
            row = await session.get(TicketMessageRow, message_id)
            if row is not None:
                row.template_at = now

    async def _recipients(self) -> list[tuple[str, str, str | None]]:
        """(channel, platform id, chat locale) of on-duty agents this process can reach."""
        async with self.app.database.sessions() as session:
            rows = (
                await session.execute(
                    select(AccountLinkRow.channel, AccountLinkRow.platform_id, PersonRow.locale)
                    .join(AccountRow, AccountRow.id == AccountLinkRow.account_id)
                    .outerjoin(
                        PersonRow,
                        (PersonRow.channel == AccountLinkRow.channel)
                        & (PersonRow.platform_id == AccountLinkRow.platform_id),
                    )
                    .where(AccountRow.on_duty.is_(True))
                )
            ).all()
        return [
            (channel, platform_id, locale)
            for channel, platform_id, locale in rows
            if channel in self.senders
        ]

    async def _tell_agents(self, message: Callable[[Translator], str]) -> int:
        told = 0
        for channel, platform_id, locale in await self._recipients():
            try:
                await self.senders[channel].deliver(
                    platform_id, [Text(message(self.translator(locale)))]
                )
                told += 1
            except DeliveryError:
                log.warning("workspace.agent_notice_failed channel=%s", channel)
        return told

    async def _crisis_notices(self, now: dt.datetime) -> None:
        async with self.app.database.sessions() as session:
            fresh = list(
                (
                    await session.execute(
                        select(TicketRow.id, TicketRow.locale)
                        .outerjoin(TicketWorkRow, TicketWorkRow.ticket_id == TicketRow.id)
                        .where(
                            TicketRow.kind == "crisis",
                            TicketRow.created_at >= now - CRISIS_FRESH,
                            TicketWorkRow.notified_at.is_(None),
                        )
                        .order_by(TicketRow.id)
                    )
                ).all()
            )
        for number, locale in fresh:

            def notice(
                t: Translator,
                number: int = number,
                locale: str = locale,
                link: str = f"{admin_base(self.app)}/tickets/{number}",
            ) -> str:
                return t(
                    "🆘 New crisis ticket {number} ({language}): {link}",
                    number=number,
                    language=language_name(locale, t.code),
                    link=link,
                )

            if not await self._claim_notice(number, now):
                continue
            told = await self._tell_agents(notice)
            log.info("workspace.crisis_notice agents=%d", told)

    async def _claim_notice(self, number: int, now: dt.datetime) -> bool:
        """Of several processes, the one that marks the crisis first tells the agents."""
        try:
            async with self.app.database.write_sessions() as session, session.begin():
                await work_of(session, number)
                await session.flush()
                claimed = await session.execute(
                    update(TicketWorkRow)
                    .where(TicketWorkRow.ticket_id == number, TicketWorkRow.notified_at.is_(None))
                    .values(notified_at=now)
                    .execution_options(synchronize_session=False)
                )
                return bool(getattr(claimed, "rowcount", 0))
        except IntegrityError:
            # Another process made the ticket's work row at the same moment: theirs to tell.
            return False

    async def _digest(self, now: dt.datetime) -> None:
        async with self.app.database.sessions() as session:
            last = utc(await session.scalar(select(func.max(DigestMarkRow.sent_at))))
            if last is not None and now - last < DIGEST_EVERY:
                return
            since = last or now - DIGEST_EVERY
            counts = dict(
                (
                    await session.execute(
                        select(TicketRow.locale, func.count())
                        .where(TicketRow.created_at > since, TicketRow.status != "closed")
                        .group_by(TicketRow.locale)
                    )
                ).all()
            )
        total = sum(counts.values())
        if not total or not await self._recipients():
            return
        link = f"{admin_base(self.app)}/inbox"

        def digest(t: Translator) -> str:
            languages = ", ".join(
                f"{language_name(code, t.code)} {count}" for code, count in sorted(counts.items())
            )
            return t(
                "📬 New tickets in the inbox: {count} ({languages}). {link}",
                count=total,
                languages=languages,
                link=link,
            )

        await self._tell_agents(digest)
        async with self.app.database.write_sessions() as session, session.begin():
            session.add(DigestMarkRow(sent_at=now, tickets=total))
        log.info("workspace.digest tickets=%d", total)


async def queue(
    session: AsyncSession, person: PersonRow, replies: Sequence[Reply], now: dt.datetime
) -> list[int]:
    rows = [
        OutboxRow(
            person_id=person.id,
            channel=person.channel,
            platform_id=person.platform_id,
            reply=encode_reply(reply),
            created_at=now,
            attempts=0,
        )
        for reply in replies
    ]
    for row in rows:
        session.add(row)
        # One by one: the ids keep the replies' order.
        await session.flush()
    return [row.id for row in rows]


class ConsoleMailbox(Periodic):
    """`passerelle chat`: what the workspace sent to the person at this terminal (an agent's
    reply, a take-over notice) is printed between their messages."""

    failure_event = "workspace.mailbox_failed"

    def __init__(self, app: App, console: ConsolePrinter, interval: float = 2.0) -> None:
        self.app = app
        self.console = console
        self.interval = interval
        self._task = None

    async def run_once(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        # Not the replies the terminal is printing itself: the engine claimed those for
        # this process as it queued them, and `pending` leaves claimed replies alone.
        pending = await self.app.outbox.pending("console", now)
        mine = [
            (oid, reply) for oid, platform_id, reply in pending if platform_id == self.console.user
        ]
        if mine:
            self.console.render([reply for _, reply in mine])
            await self.app.outbox.mark_sent([oid for oid, _ in mine])
        return len(mine)


class ConsolePrinter(Protocol):
    user: str

    def render(self, replies: Sequence[Reply]) -> None: ...
