"""WhatsApp's own tables: the 24-hour window, aliases, stored webhooks, pages, notifications.

Here rather than in `bot.channels.whatsapp` so that every process sees them (migrations,
erasure) without importing the platform's channel.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, delete, select
from sqlalchemy import Text as SqlText
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.tables import PersonRow, utcnow
from sqlbase import Base

__all__ = [
    "WINDOW",
    "WINDOW_MARGIN",
    "WhatsAppAlias",
    "WhatsAppContact",
    "WhatsAppInbound",
    "WhatsAppNotification",
    "WhatsAppPages",
    "forget_whatsapp",
    "last_inbound",
]

CHANNEL = "whatsapp"

#: Free-form messages may reach a person only this long after their last message.
WINDOW = dt.timedelta(hours=24)

#: Near the end of the window a notification goes out as a template, not free-form.
WINDOW_MARGIN = dt.timedelta(minutes=2)


class WhatsAppContact(Base):
    """The 24-hour window: when the person last wrote."""

    __tablename__ = "whatsapp_contacts"

    platform_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WhatsAppAlias(Base):
    """Every id a person is known by (BSUID, phone number) -> the id people are keyed by."""

    __tablename__ = "whatsapp_aliases"

    alias: Mapped[str] = mapped_column(String(160), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(160), index=True)


class WhatsAppInbound(Base):
    """Messages acknowledged to Meta and not yet handled; deleted once handled."""

    __tablename__ = "whatsapp_inbound"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(160))
    payload: Mapped[str] = mapped_column(SqlText)
    locale_hint: Mapped[str | None] = mapped_column(String(16), nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class WhatsAppPages(Base):
    """Long option lists shown a page at a time, by the key in their "more" row."""

    __tablename__ = "whatsapp_pages"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    options: Mapped[str] = mapped_column(SqlText)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WhatsAppNotification(Base):
    """A free-form notification sent, until WhatsApp says whether it was delivered."""

    __tablename__ = "whatsapp_notifications"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    batch: Mapped[str] = mapped_column(String(64), index=True)
    platform_id: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    params: Mapped[str] = mapped_column(SqlText)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


async def last_inbound(session: AsyncSession, platform_id: str) -> dt.datetime | None:
    """When the person last wrote (UTC), for the window: the channel and the workspace's
    courier both ask, the courier without importing the platform's channel."""
    row = await session.get(WhatsAppContact, platform_id)
    if row is None or row.last_inbound_at is None:
        return None
    last = row.last_inbound_at
    # SQLite gives back naive datetimes; everything stored here is UTC.
    return last if last.tzinfo is not None else last.replace(tzinfo=dt.UTC)


async def forget_whatsapp(session: AsyncSession, person_id: int) -> None:
    """A person asked to be forgotten: their phone number and contact times go too."""
    platform_id = await session.scalar(
        select(PersonRow.platform_id).where(PersonRow.id == person_id, PersonRow.channel == CHANNEL)
    )
    if platform_id is None:
        return
    await session.execute(delete(WhatsAppAlias).where(WhatsAppAlias.platform_id == platform_id))
    await session.execute(delete(WhatsAppContact).where(WhatsAppContact.platform_id == platform_id))
    await session.execute(
        delete(WhatsAppNotification).where(WhatsAppNotification.platform_id == platform_id)
    )
