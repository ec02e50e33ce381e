"""The runtime's tables: people, their conversations, deliveries, the outbox, tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dialogs.state import Role
from sqlbase import Base

__all__ = [
    "ConversationRow",
    "OutboxRow",
    "PersonRow",
    "ProcessedUpdate",
    "TicketRow",
    "UnansweredCount",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "platform_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(128))
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.PERSON.value)
    consents: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    situation: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConversationRow(Base):
    __tablename__ = "conversations"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    dialog: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    back_stack: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxRow(Base):
    """Replies waiting to be delivered; a failed send is retried from here, never dropped."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(128))
    reply: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class TicketRow(Base):
    """A question a person left for an agent, with their agreement."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    #: Why it was opened: a question the bot could not answer, a crisis, a request for a person.
    kind: Mapped[str] = mapped_column(String(16), default="question", server_default="question")
    #: Higher first in the agents' inbox (a crisis is above every question).
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UnansweredCount(Base):
    """Questions the knowledge base could not answer, counted per locale and day (no text)."""

    __tablename__ = "unanswered_counts"

    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
