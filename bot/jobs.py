"""Jobs stored in the database: notifications (reminders, agents' decisions) and the end
of the retention of booking contact data.

The seam: the booking domain writes `notifications` rows (a kind, parameters, a due
time) in the same transaction as the change that causes them. This runner, one per
process next to the channels, takes the due rows of the channels it can send on, claims
each (a conditional UPDATE, so two processes never send the same one), renders it in the
person's language (`dialogs.appointments.render_notice`) and hands it to the channel:

- a channel with `notify(platform_id, kind, locale, params, replies)` (WhatsApp) decides
  how: free-form inside its 24-hour window, else the template configured for `kind`;
- any other channel gets `deliver(platform_id, replies)` (Telegram, the console).

A failure is retried with a growing delay; a permanent refusal, or too many failures,
marks it failed. Nothing is kept in memory: after a restart, what was due is sent (if
still worth sending: a reminder for a cancelled booking is not).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bookings.models import NotificationRow
from bookings.notices import Notice, still_worth_sending
from bookings.store import BookingDesk
from bookings.views import utc
from bot.app import App
from bot.channels.base import DeliveryError
from bot.storage import PersonRow
from dialogs.booking_words import Wording, render_notice
from dialogs.i18n import Catalogs
from dialogs.ports import Library
from dialogs.replies import Reply

log = logging.getLogger("passerelle.jobs")

MAX_ATTEMPTS = 10
LEASE = dt.timedelta(minutes=2)
MAX_BACKOFF = dt.timedelta(hours=1)


class Sender(Protocol):
    """What a channel offers the runner (every `bot.channels` channel is one)."""

    name: str

    async def deliver(self, platform_id: str, replies: Sequence[Reply]) -> None: ...


@runtime_checkable
class Notifier(Protocol):
    """A channel that chooses itself how an unrequested message goes (WhatsApp templates)."""

    name: str

    async def notify(
        self,
        platform_id: str,
        kind: str,
        locale: str,
        params: Mapping[str, str],
        replies: Sequence[Reply] = (),
    ) -> None: ...


@dataclass(frozen=True)
class Due:
    id: int
    kind: str
    params: dict[str, Any]
    attempts: int
    channel: str
    platform_id: str
    locale: str | None


@dataclass(frozen=True)
class JobReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: Not worth sending any more (a reminder of a cancelled booking...).
    voided: int = 0
    #: Bookings whose contact data was erased at the end of the retention.
    erased: int = 0


def _changed(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=30 * 2**attempts), MAX_BACKOFF)


class JobRunner:
    """Runs due jobs every `interval` seconds until stopped; `run_once` for tests and tools."""

    def __init__(
        self,
        *,
        desk: BookingDesk,
        library: Library,
        catalogs: Catalogs,
        sessions: async_sessionmaker[AsyncSession],
        write_sessions: async_sessionmaker[AsyncSession],
        senders: Sequence[Sender],
        clock: Callable[[], dt.datetime],
        default_locale: str = "fr",
        interval: float = 5.0,
        batch: int = 50,
    ) -> None:
        self.desk = desk
        self.library = library
        self.catalogs = catalogs
        self.sessions = sessions
        self.write_sessions = write_sessions
        self.senders = {sender.name: sender for sender in senders}
        self.clock = clock
        self.default_locale = default_locale
        self.interval = interval
        self.batch = batch
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def run_once(self, now: dt.datetime | None = None) -> JobReport:
        now = now or self.clock()
        async with self.desk.unit() as unit:
            erased = await unit.erase_expired(now)
        counts = {"sent": 0, "retried": 0, "failed": 0, "voided": 0}
        for due in await self._due(now):
            if self._stopping.is_set():
                break  # the one being sent is finished; the others wait for the next process
            outcome = await self._send(due, now)
            if outcome:
                counts[outcome] += 1
        if erased:
            log.info("bookings.contacts_erased count=%d", erased)
        return JobReport(erased=erased, **counts)

    async def _due(self, now: dt.datetime) -> list[Due]:
        if not self.senders:
            return []
        cutoff = utc(now)
        query = (
            select(NotificationRow, PersonRow)
            .join(PersonRow, PersonRow.id == NotificationRow.person_id)
            .where(
                NotificationRow.sent_at.is_(None),
                NotificationRow.voided_at.is_(None),
                NotificationRow.failed_at.is_(None),
                NotificationRow.due_at <= cutoff,
                or_(
                    NotificationRow.next_attempt_at.is_(None),
                    NotificationRow.next_attempt_at <= cutoff,
                ),
                or_(
                    NotificationRow.claimed_until.is_(None),
                    NotificationRow.claimed_until < cutoff,
                ),
                PersonRow.channel.in_(list(self.senders)),
            )
            .order_by(NotificationRow.due_at, NotificationRow.id)
            .limit(self.batch)
        )
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        found = [
            Due(
                id=notification.id,
                kind=notification.kind,
                params=dict(notification.params or {}),
                attempts=notification.attempts,
                channel=person.channel,
                platform_id=person.platform_id,
                locale=person.locale,
            )
            for notification, person in rows
        ]
        return [due for due in found if self._reaches(due)]

    def _reaches(self, due: Due) -> bool:
        reaches = getattr(self.senders[due.channel], "reaches", None)
        return reaches(due.platform_id) if callable(reaches) else True

    async def _claim(self, due: Due, now: dt.datetime) -> bool:
        async with self.write_sessions() as session, session.begin():
            result = await session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == due.id,
                    NotificationRow.sent_at.is_(None),
                    NotificationRow.voided_at.is_(None),
                    or_(
                        NotificationRow.claimed_until.is_(None),
                        NotificationRow.claimed_until < utc(now),
                    ),
                )
                .values(claimed_until=utc(now + LEASE))
            )
            return _changed(result) == 1

    async def _finish(self, due: Due, **values: Any) -> None:
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                update(NotificationRow)
                .where(NotificationRow.id == due.id)
                .values(claimed_until=None, **values)
            )

    async def _send(self, due: Due, now: dt.datetime) -> str | None:
        if not await self._claim(due, now):
            return None
        notice = Notice.of(due.kind, due.params)
        async with self.desk.unit() as unit:
            booking = await unit.booking(notice.reference) if notice.reference else None
        if not still_worth_sending(notice, booking, now):
            await self._finish(due, voided_at=utc(now))
            return "voided"
        locale = due.locale or (booking.locale if booking else None) or self.default_locale
        if locale not in self.catalogs:
            locale = self.default_locale
        words = Wording(self.catalogs.translator(locale), self.library, self.desk.catalogue)
        rendered = await render_notice(words, notice, booking, now)
        sender = self.senders[due.channel]
        try:
            if isinstance(sender, Notifier):
                await sender.notify(
                    due.platform_id, due.kind, locale, rendered.params, rendered.replies
                )
            else:
                await sender.deliver(due.platform_id, rendered.replies)
        except DeliveryError as error:
            return await self._failed(due, now, error.permanent, error.retry_after)
        except Exception as error:  # a channel bug must not stop the other notifications
            log.error("notify.error kind=%s error=%s", due.kind, type(error).__name__)
            return await self._failed(due, now, permanent=False, retry_after=None)
        await self._finish(due, sent_at=utc(self.clock()), attempts=due.attempts + 1)
        log.info("notify.sent kind=%s channel=%s", due.kind, due.channel)
        return "sent"

    async def _failed(
        self, due: Due, now: dt.datetime, permanent: bool, retry_after: float | None
    ) -> str:
        attempts = due.attempts + 1
        if permanent or attempts >= MAX_ATTEMPTS:
            await self._finish(due, failed_at=utc(now), attempts=attempts)
            log.error(
                "notify.failed kind=%s channel=%s attempts=%d", due.kind, due.channel, attempts
            )
            return "failed"
        delay = dt.timedelta(seconds=retry_after) if retry_after else backoff(attempts)
        await self._finish(due, next_attempt_at=utc(now + delay), attempts=attempts)
        log.warning("notify.retry kind=%s channel=%s attempts=%d", due.kind, due.channel, attempts)
        return "retried"

    # -- the loop --------------------------------------------------------------------------

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception as error:
                log.error("jobs.loop_failed error=%s", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop())

    async def stop(self, grace: float = 10.0) -> None:
        """Let the notification being sent finish (a cut send would go twice after the
        restart), up to `grace` seconds; then stop."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            log.warning("jobs.stop.unfinished")
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None


def job_runner(app: App, senders: Sequence[Sender], *, interval: float = 5.0) -> JobRunner:
    """The runner of a built `bot.app.App`, sending on `senders` (its started channels)."""
    return JobRunner(
        desk=app.bookings,
        library=app.engine.services.library,
        catalogs=app.catalogs,
        sessions=app.database.sessions,
        write_sessions=app.database.write_sessions,
        senders=senders,
        clock=app.engine.clock,
        default_locale=app.settings.default_locale,
        interval=interval,
    )
