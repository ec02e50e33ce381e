"""Tickets say why they were opened and how urgent they are (crisis first in the inbox).

Revision ID: 0006_ticket_kinds
Revises: 0005_bookings
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_ticket_kinds"
down_revision: str | None = "0005_bookings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="question")
        )
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("priority")
        batch.drop_column("kind")
