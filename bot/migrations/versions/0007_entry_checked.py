"""Entries carry their own "last checked" date: when a person checked them against sources.

Until now the date shown was the newest source's; existing rows keep NULL (readers see the
old date, `kb check` warns) until the next import or `passerelle kb checked` sets it.

Revision ID: 0007_entry_checked
Revises: 0006_ticket_kinds
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_entry_checked"
down_revision: str | None = "0006_ticket_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_entries") as batch:
        batch.add_column(sa.Column("checked", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_entries") as batch:
        batch.drop_column("checked")
