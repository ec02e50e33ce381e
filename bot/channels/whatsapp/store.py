"""The channel's store: inbound messages held until handled, the 24-hour window, aliases,
long lists' pages and notifications awaiting their status (tables in `bot.storage.whatsapp`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.whatsapp.constants import CHANNEL, NOTIFICATIONS_KEPT, PAGES_KEPT
from bot.channels.whatsapp.inbound import (
    InboundMessage,
    Sender,
    decode_payload,
    encode_payload,
    is_bsuid,
)
from bot.db import Database
from bot.storage import Outbox, PersonRow, RejectedUpdate
from bot.storage.whatsapp import (
    WhatsAppAlias,
    WhatsAppContact,
    WhatsAppInbound,
    WhatsAppNotification,
    WhatsAppPages,
)
from dialogs.codec import decode_reply, encode_reply
from dialogs.incoming import (
    MediaType,
    Payload,
    SentMedia,
)
from dialogs.replies import Options

__all__ = [
    "PendingNotification",
    "QueuedMessage",
    "WhatsAppStore",
]

log = logging.getLogger("passerelle.whatsapp")


def unstorable(message: InboundMessage) -> str | None:
    """Why a message cannot be stored, or None: text no database takes (a lone UTF-16
    surrogate, which JSON may carry, or a NUL, which PostgreSQL refuses)."""
    try:
        payload = encode_payload(message.payload)
    except (TypeError, ValueError):
        return "unreadable payload"
    texts = [
        message.message_id,
        message.sender.bsuid or "",
        message.sender.wa_id or "",
        message.locale_hint or "",
        payload,
    ]
    for text in texts:
        if "\x00" in text:
            return "invalid text"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "invalid text"
    return None


def _safe_id(message_id: str) -> str:
    """A message id as it can be recorded (at most 128 characters, valid text)."""
    try:
        message_id.encode("utf-8")
    except UnicodeEncodeError:
        message_id = message_id.encode("utf-8", "replace").decode("utf-8")
    message_id = message_id.replace("\x00", "")
    if len(message_id) <= 128:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes; everything stored here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class QueuedMessage:
    message_id: str
    platform_id: str
    payload: Payload
    locale_hint: str | None
    attempts: int


@dataclass(frozen=True)
class PendingNotification:
    platform_id: str
    kind: str
    locale: str
    params: dict[str, str]


class WhatsAppStore:
    """This channel's tables."""

    def __init__(self, database: Database, outbox: Outbox) -> None:
        self.sessions = database.sessions
        #: For units that read then write (on SQLite they take the write lock at BEGIN).
        self.write_sessions = database.write_sessions
        self.outbox = outbox

    async def store_inbound(
        self, messages: Sequence[InboundMessage], now: dt.datetime
    ) -> list[tuple[str, str]]:
        """Resolve senders, keep their last inbound time, queue the messages; one commit.

        The stored messages as (message id, person); a message that cannot be stored (text
        no database takes: a lone surrogate, a NUL) is recorded as rejected with its
        reason instead, so that acknowledging the rest never means losing it silently or
        having the whole webhook delivered again forever. Messages are kept in the order
        they came (one microsecond apart within a webhook): a person's are handled so.
        """
        stored: list[tuple[str, str]] = []
        async with self.write_sessions() as session, session.begin():
            for index, message in enumerate(messages):
                reason = unstorable(message)
                if reason is not None:
                    log.warning("whatsapp.inbound.rejected reason=%s", reason)
                    await session.merge(
                        RejectedUpdate(
                            channel=CHANNEL,
                            update_id=_safe_id(message.message_id),
                            reason=reason,
                            rejected_at=now,
                        )
                    )
                    continue
                platform_id = await self._resolve(session, message.sender)
                sent_at = min(message.sent_at or now, now)
                await self._touch(session, platform_id, sent_at, now)
                try:
                    async with session.begin_nested():
                        session.add(
                            WhatsAppInbound(
                                message_id=message.message_id,
                                platform_id=platform_id,
                                payload=encode_payload(message.payload),
                                locale_hint=message.locale_hint,
                                received_at=now + dt.timedelta(microseconds=index),
                                attempts=0,
                            )
                        )
                        await session.flush()
                except IntegrityError:
                    continue  # delivered again while still queued: the first copy is handled
                stored.append((message.message_id, platform_id))
        return stored

    async def _resolve(self, session: AsyncSession, sender: Sender) -> str:
        """The id people are keyed by: the BSUID for anyone first seen with one; a person
        known before by phone number only keeps that key, with the BSUID as an alias."""
        keys = [key for key in (sender.bsuid, sender.wa_id) if key]
        rows = await session.scalars(select(WhatsAppAlias).where(WhatsAppAlias.alias.in_(keys)))
        known = {row.alias: row.platform_id for row in rows}
        if sender.bsuid:
            platform_id = known.get(sender.bsuid)
            if platform_id is None:
                platform_id = sender.bsuid
                legacy = known.get(sender.wa_id) if sender.wa_id else None
                if legacy is not None:
                    others = await session.scalars(
                        select(WhatsAppAlias.alias).where(WhatsAppAlias.platform_id == legacy)
                    )
                    # A number that belonged to someone with another BSUID was recycled:
                    # this is a new person, and the number now points to them.
                    if not any(is_bsuid(alias) for alias in others):
                        platform_id = legacy
                await self._alias(session, sender.bsuid, platform_id)
            if sender.wa_id and known.get(sender.wa_id) != platform_id:
                await self._alias(session, sender.wa_id, platform_id)
            return platform_id
        assert sender.wa_id is not None
        platform_id = known.get(sender.wa_id) or sender.wa_id
        if sender.wa_id not in known:
            await self._alias(session, sender.wa_id, platform_id)
        return platform_id

    async def _alias(self, session: AsyncSession, alias: str, platform_id: str) -> None:
        row = await session.get(WhatsAppAlias, alias)
        if row is not None:
            row.platform_id = platform_id
            return
        try:
            async with session.begin_nested():
                session.add(WhatsAppAlias(alias=alias, platform_id=platform_id))
                await session.flush()
        except IntegrityError:
            pass  # another process recorded the same alias a moment ago

    async def _touch(
        self, session: AsyncSession, platform_id: str, sent_at: dt.datetime, now: dt.datetime
    ) -> None:
        row = await session.get(WhatsAppContact, platform_id)
        if row is None:
            try:
                async with session.begin_nested():
                    session.add(
                        WhatsAppContact(
                            platform_id=platform_id, last_inbound_at=sent_at, updated_at=now
                        )
                    )
                    await session.flush()
                return
            except IntegrityError:
                row = await session.get(WhatsAppContact, platform_id)
                if row is None:
                    raise
        last = _aware(row.last_inbound_at)
        if last is None or sent_at > last:
            row.last_inbound_at = sent_at
            row.updated_at = now

    async def claim_next(
        self, platform_id: str, now: dt.datetime, until: dt.datetime
    ) -> QueuedMessage | None:
        """Take the person's oldest stored message for handling; None when there is none or
        someone holds it (another worker, a killed one until its lease ends, or a failure
        waiting for its retry): the person's newer messages wait behind it, in any process.

        One conditional UPDATE: of two workers only one takes it (the row's lock on
        PostgreSQL, the single writer on SQLite)."""
        oldest = (
            select(WhatsAppInbound.message_id)
            .where(WhatsAppInbound.platform_id == platform_id)
            .order_by(WhatsAppInbound.received_at, WhatsAppInbound.message_id)
            .limit(1)
            .scalar_subquery()
        )
        return await self._claim(oldest, now, until)

    async def claim(
        self, message_id: str, now: dt.datetime, until: dt.datetime
    ) -> QueuedMessage | None:
        """Take a stored message for handling; None when another worker holds it or it is gone."""
        return await self._claim(message_id, now, until)

    async def _claim(
        self, message_id: Any, now: dt.datetime, until: dt.datetime
    ) -> QueuedMessage | None:
        async with self.write_sessions() as session, session.begin():
            result = await session.execute(
                update(WhatsAppInbound)
                .where(
                    WhatsAppInbound.message_id == message_id,
                    or_(
                        WhatsAppInbound.claimed_until.is_(None),
                        WhatsAppInbound.claimed_until <= now,
                    ),
                )
                .values(claimed_until=until, attempts=WhatsAppInbound.attempts + 1)
                .returning(WhatsAppInbound.message_id)
                .execution_options(synchronize_session=False)
            )
            taken = result.scalar_one_or_none()
            if taken is None:
                return None
            row = await session.get(WhatsAppInbound, taken)
            if row is None:
                return None
            try:
                payload = decode_payload(row.payload)
            except (ValueError, KeyError, TypeError):
                log.error("whatsapp.inbound.unreadable")
                payload = SentMedia(MediaType.OTHER)
            return QueuedMessage(
                message_id=row.message_id,
                platform_id=row.platform_id,
                payload=payload,
                locale_hint=row.locale_hint,
                attempts=row.attempts,
            )

    async def person_of(self, message_id: str) -> str | None:
        async with self.sessions() as session:
            platform_id: str | None = await session.scalar(
                select(WhatsAppInbound.platform_id).where(WhatsAppInbound.message_id == message_id)
            )
            return platform_id

    async def release(self, message_id: str, retry_at: dt.datetime) -> None:
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                update(WhatsAppInbound)
                .where(WhatsAppInbound.message_id == message_id)
                .values(claimed_until=retry_at)
            )

    async def finish(self, message_id: str) -> None:
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                delete(WhatsAppInbound).where(WhatsAppInbound.message_id == message_id)
            )

    async def reject(self, message_id: str, reason: str, now: dt.datetime) -> None:
        """Give up on a stored message (recorded with the reason, never its content)."""
        async with self.write_sessions() as session, session.begin():
            await session.merge(
                RejectedUpdate(
                    channel=CHANNEL,
                    update_id=_safe_id(message_id),
                    reason=reason,
                    rejected_at=now,
                )
            )
            await session.execute(
                delete(WhatsAppInbound).where(WhatsAppInbound.message_id == message_id)
            )

    async def due(
        self, now: dt.datetime, grace: dt.timedelta, limit: int = 100
    ) -> list[tuple[str, str]]:
        """Stored messages nobody is handling (never claimed for a while, or lease expired),
        as (message id, person), oldest first."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(WhatsAppInbound.message_id, WhatsAppInbound.platform_id)
                .where(
                    or_(
                        (WhatsAppInbound.claimed_until.is_(None))
                        & (WhatsAppInbound.received_at <= now - grace),
                        WhatsAppInbound.claimed_until <= now,
                    )
                )
                .order_by(WhatsAppInbound.received_at)
                .limit(limit)
            )
            return [(message_id, platform_id) for message_id, platform_id in rows]

    async def last_inbound(self, platform_id: str) -> dt.datetime | None:
        async with self.sessions() as session:
            row = await session.get(WhatsAppContact, platform_id)
            return _aware(row.last_inbound_at) if row else None

    async def locale_of(self, platform_id: str) -> str | None:
        async with self.sessions() as session:
            locale: str | None = await session.scalar(
                select(PersonRow.locale).where(
                    PersonRow.channel == CHANNEL, PersonRow.platform_id == platform_id
                )
            )
            return locale

    async def keep_pages(self, key: str, options: Options, now: dt.datetime) -> None:
        async with self.write_sessions() as session, session.begin():
            if await session.get(WhatsAppPages, key) is not None:
                return
            try:
                async with session.begin_nested():
                    session.add(
                        WhatsAppPages(key=key, options=encode_reply(options), created_at=now)
                    )
                    await session.flush()
            except IntegrityError:
                pass

    async def pages(self, key: str) -> Options | None:
        async with self.sessions() as session:
            row = await session.get(WhatsAppPages, key)
        if row is None:
            return None
        reply = decode_reply(row.options)
        return reply if isinstance(reply, Options) else None

    async def queue_page(self, platform_id: str, update_id: str, page: Options) -> list[int]:
        """Record the "more" press and queue the page, in one unit: its outbox id, none for
        a duplicate or when it waits behind older replies (the retrier sends it)."""
        return await self.outbox.queue(CHANNEL, platform_id, update_id, [page]) or []

    async def remember_notification(
        self,
        message_ids: Sequence[str],
        platform_id: str,
        kind: str,
        locale: str,
        params: Mapping[str, str],
        now: dt.datetime,
    ) -> None:
        if not message_ids:
            return
        batch = uuid.uuid4().hex
        async with self.write_sessions() as session, session.begin():
            for message_id in message_ids:
                await session.merge(
                    WhatsAppNotification(
                        message_id=message_id,
                        batch=batch,
                        platform_id=platform_id,
                        kind=kind,
                        locale=locale,
                        params=json.dumps(dict(params), ensure_ascii=False),
                        created_at=now,
                    )
                )

    async def take_notification(self, message_id: str) -> PendingNotification | None:
        """The notification a failed message belonged to, once: whoever deletes it sends."""
        async with self.write_sessions() as session, session.begin():
            row = await session.get(WhatsAppNotification, message_id)
            if row is None:
                return None
            result = await session.execute(
                delete(WhatsAppNotification).where(WhatsAppNotification.batch == row.batch)
            )
            if not getattr(result, "rowcount", 0):
                return None
            params = json.loads(row.params)
            return PendingNotification(
                platform_id=row.platform_id,
                kind=row.kind,
                locale=row.locale,
                params={str(k): str(v) for k, v in params.items()},
            )

    async def prune(self, now: dt.datetime) -> None:
        async with self.write_sessions() as session, session.begin():
            await session.execute(
                delete(WhatsAppPages).where(WhatsAppPages.created_at < now - PAGES_KEPT)
            )
            await session.execute(
                delete(WhatsAppNotification).where(
                    WhatsAppNotification.created_at < now - NOTIFICATIONS_KEPT
                )
            )
