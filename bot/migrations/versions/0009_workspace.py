"""The agents' workspace: accounts and their chat identities, ticket threads and state,
pending keywords, the audit log.

Revision ID: 0009_workspace
Revises: 0008_booking_place_text
Create Date: 2026-12-05
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_workspace"
down_revision: str | None = "0008_booking_place_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "agent_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        _when("token_expires_at"),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        _when("locked_until"),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        _when("created_at", nullable=False),
        _when("last_sign_in_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_agent_accounts_email")),
    )
    op.create_index(op.f("ix_agent_accounts_token_hash"), "agent_accounts", ["token_hash"])
    op.create_table(
        "agent_links",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("platform_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["agent_accounts.id"],
            name=op.f("fk_agent_links_account_id_agent_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel", "platform_id", name=op.f("pk_agent_links")),
    )
    op.create_index(op.f("ix_agent_links_account_id"), "agent_links", ["account_id"])
    op.create_table(
        "sign_in_throttle",
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _when("locked_until"),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_sign_in_throttle")),
    )
    op.create_table(
        "workspace_secrets",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_workspace_secrets")),
    )
    op.create_table(
        "ticket_work",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("taken_over", sa.Boolean(), nullable=False),
        sa.Column("new_reply", sa.Boolean(), nullable=False),
        _when("waiting_since"),
        _when("closed_at"),
        _when("notified_at"),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_work_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"],
            ["agent_accounts.id"],
            name=op.f("fk_ticket_work_assigned_to_agent_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_work")),
    )
    op.create_index(op.f("ix_ticket_work_assigned_to"), "ticket_work", ["assigned_to"])
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        _when("created_at", nullable=False),
        _when("queued_at"),
        sa.Column("waits_for_window", sa.Boolean(), nullable=False),
        _when("template_at"),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_messages_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["agent_accounts.id"],
            name=op.f("fk_ticket_messages_account_id_agent_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
    )
    op.create_index(op.f("ix_ticket_messages_ticket_id"), "ticket_messages", ["ticket_id"])
    op.create_table(
        "pending_keywords",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(128), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("words", sa.String(200), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_pending_keywords_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"],
            ["agent_accounts.id"],
            name=op.f("fk_pending_keywords_proposed_by_agent_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_keywords")),
    )
    op.create_index(op.f("ix_pending_keywords_slug"), "pending_keywords", ["slug"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _when("at", nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("who", sa.String(254), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_table(
        "ticket_digests",
        sa.Column("id", sa.Integer(), primary_key=True),
        _when("sent_at", nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_digests")),
    )


def downgrade() -> None:
    for table in (
        "ticket_digests",
        "audit_log",
        "pending_keywords",
        "ticket_messages",
        "ticket_work",
        "workspace_secrets",
        "sign_in_throttle",
        "agent_links",
        "agent_accounts",
    ):
        op.drop_table(table)
