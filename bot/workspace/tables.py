"""The workspace's tables: agents' accounts, the tickets' threads and state, the audit log.

They join `sqlbase`'s one metadata; `bot.storage` imports this module, so migrations and
erasure see them in every process.
A ticket itself stays in `tickets` (opened by the dialogs); what agents do with it lives
in `ticket_work` (one row per ticket, made when an agent first touches it) and its
messages in `ticket_messages`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.tables import utcnow
from sqlbase import Base


class AccountRow(Base):
    """A person who signs in to the workspace: an agent, an editor or an admin."""

    __tablename__ = "agent_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    #: argon2 hash; None until the one-time link was used.
    password_hash: Mapped[str | None] = mapped_column(String(256), nullable=True)
    #: SHA-256 of the one-time sign-in token (the token itself is only printed once).
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    #: Bumped when the password or the role changes: older session cookies stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: On duty: gets crisis notices and the digest in chat (through a linked identity).
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class AccountLinkRow(Base):
    """A chat identity (Telegram, WhatsApp) of an account: one person, one role."""

    __tablename__ = "agent_links"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("agent_accounts.id", ondelete="CASCADE"), index=True
    )


class SignInThrottleRow(Base):
    """Wrong passwords counted per client address (hashed), across processes."""

    __tablename__ = "sign_in_throttle"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WorkspaceSecretRow(Base):
    """The key that signs session cookies, made once per database (every process shares it)."""

    __tablename__ = "workspace_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class TicketWorkRow(Base):
    """What agents did with a ticket: who has it, whether they took the conversation over."""

    __tablename__ = "ticket_work"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("agent_accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    taken_over: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The person wrote since an agent last answered.
    new_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Since when the ticket waits for an agent (the question, or the person's last reply).
    waiting_since: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: When on-duty agents were told of this crisis ticket.
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TicketMessageRow(Base):
    """One message of a ticket's thread: the person's words, or an agent's reply."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    #: "person" or "agent"
    author: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("agent_accounts.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    #: Slugs of the knowledge entries attached to an agent's reply.
    entries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Put in the person's outbox (rendered in their language).
    queued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: WhatsApp outside the 24-hour window: the reply waits for the person to write back...
    waits_for_window: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ...after the `ticket_reply` template told them an answer is waiting.
    template_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PendingKeywordRow(Base):
    """Words a person used, proposed by an agent as a search keyword of an entry in a locale;
    they count only once an editor accepts them (the review queue)."""

    __tablename__ = "pending_keywords"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(128), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    words: Mapped[str] = mapped_column(String(200))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True
    )
    proposed_by: Mapped[int | None] = mapped_column(
        ForeignKey("agent_accounts.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditRow(Base):
    """Who did what and when in the workspace; kept one year. Never a message's content."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Kept as written at the time: the account may be removed later.
    who: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(128), default="")


class DigestMarkRow(Base):
    """When the last digest of new tickets went to on-duty agents."""

    __tablename__ = "ticket_digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
