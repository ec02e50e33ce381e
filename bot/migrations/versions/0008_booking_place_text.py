"""A confirmed request may take place where the agent says, typed, when it is none of the
service's places: the confirmation, the reminders and the calendar file then name it.

Revision ID: 0008_booking_place_text
Revises: 0007_entry_checked
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_booking_place_text"
down_revision: str | None = "0007_entry_checked"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("place_text", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("place_text")
