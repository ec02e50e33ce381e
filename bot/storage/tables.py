"""The runtime's tables: people, their conversations, deliveries, the outbox, tickets."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dialogs.state import Role
from sqlbase import Base

__all__ = [
    "DEFAULT_LEASE",
    "REFUSED",
    "SENDER",
    "ConversationRow",
    "OutboxRow",
    "PersonRow",
    "ProcessedUpdate",
    "RejectedUpdate",
    "TicketRow",
    "UnansweredCount",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: This process as the outbox knows it: the owner of the replies it claims. A restarted
#: process is another sender; what the old one held comes free when its lease runs out.
SENDER = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"

#: A reply given up on (the platform refused it for good): it holds nobody's later replies.
REFUSED = "refused"

#: How long a claim on replies lasts unless renewed (`delivery_lease_seconds`).
DEFAULT_LEASE = dt.timedelta(seconds=30)


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
    """Updates already handled, kept for the platform's redelivery window then pruned.

    `update_id` is scoped by the bot it came to (`bot_scope`): a new token or another
    phone number starts its own sequence of ids."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class RejectedUpdate(Base):
    """An update acknowledged without being handled: unreadable, or impossible to store
    (a lone surrogate in its text). The reason only, never the content."""

    __tablename__ = "rejected_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64))
    rejected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class OutboxRow(Base):
    """Replies waiting to be delivered; a failed send is retried from here, never dropped."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_unsent",
            "channel",
            "id",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )

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
    #: The sender holding the reply (a process's `SENDER`) and until when: nobody else sends
    #: it meanwhile. The live path claims its replies as it queues them; a lease running out
    #: (a process killed) lets another take them.
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(
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
