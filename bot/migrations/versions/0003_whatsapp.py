"""WhatsApp: contacts (last inbound time), identity aliases, the inbound queue, list pages,
free-form notifications awaiting their delivery status.

Revision ID: 0003_whatsapp
Revises: 0002_knowledge
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_whatsapp"
down_revision: str | None = "0002_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_contacts",
        sa.Column("platform_id", sa.String(160), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform_id", name="pk_whatsapp_contacts"),
    )
    op.create_table(
        "whatsapp_aliases",
        sa.Column("alias", sa.String(160), nullable=False),
        sa.Column("platform_id", sa.String(160), nullable=False),
        sa.PrimaryKeyConstraint("alias", name="pk_whatsapp_aliases"),
    )
    op.create_index("ix_whatsapp_aliases_platform_id", "whatsapp_aliases", ["platform_id"])
    op.create_table(
        "whatsapp_inbound",
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("platform_id", sa.String(160), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("locale_hint", sa.String(16), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_whatsapp_inbound"),
    )
    op.create_index("ix_whatsapp_inbound_received_at", "whatsapp_inbound", ["received_at"])
    op.create_table(
        "whatsapp_pages",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_whatsapp_pages"),
    )
    op.create_table(
        "whatsapp_notifications",
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("batch", sa.String(64), nullable=False),
        sa.Column("platform_id", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_whatsapp_notifications"),
    )
    op.create_index("ix_whatsapp_notifications_batch", "whatsapp_notifications", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_whatsapp_notifications_batch", table_name="whatsapp_notifications")
    op.drop_table("whatsapp_notifications")
    op.drop_table("whatsapp_pages")
    op.drop_index("ix_whatsapp_inbound_received_at", table_name="whatsapp_inbound")
    op.drop_table("whatsapp_inbound")
    op.drop_index("ix_whatsapp_aliases_platform_id", table_name="whatsapp_aliases")
    op.drop_table("whatsapp_aliases")
    op.drop_table("whatsapp_contacts")
