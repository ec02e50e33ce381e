"""Bookings: services, slots, bookings with their history, contact data kept apart, and
notifications (reminders, agents' decisions) waiting to be sent.

Revision ID: 0005_bookings
Revises: 0004_journeys
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_bookings"
down_revision: str | None = "0004_journeys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "booking_services",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("entry_slug", sa.String(48), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_booking_services"),
    )
    op.create_table(
        "booking_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(24), nullable=False),
        sa.Column("place_id", sa.String(64), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("live", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("cancelled_at", TZ, nullable=True),
        sa.Column("cancelled_by", sa.String(64), nullable=True),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_booking_slots_seats"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_booking_slots_times"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["booking_services.id"],
            name="fk_booking_slots_service_id_booking_services",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_booking_slots"),
        sa.UniqueConstraint(
            "service_id", "place_id", "starts_at", "live", name="uq_booking_slots_service_id"
        ),
    )
    op.create_index("ix_booking_slots_starts_at", "booking_slots", ["starts_at"])
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(12), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.String(24), nullable=False),
        sa.Column("place_id", sa.String(64), nullable=True),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", TZ, nullable=True),
        sa.Column("ends_at", TZ, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("request_key", sa.String(32), nullable=False),
        sa.Column("open_guard", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("retain_until", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_bookings_person_id_people", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["booking_services.id"], name="fk_bookings_service_id_booking_services"
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["booking_slots.id"], name="fk_bookings_slot_id_booking_slots"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.UniqueConstraint("reference", name="uq_bookings_reference"),
        sa.UniqueConstraint("person_id", "request_key", name="uq_bookings_person_id"),
        sa.UniqueConstraint(
            "person_id", "service_id", "open_guard", name="uq_bookings_person_id_open_guard"
        ),
    )
    op.create_index("ix_bookings_person_id", "bookings", ["person_id"])
    op.create_index("ix_bookings_slot_id", "bookings", ["slot_id"])
    op.create_index("ix_bookings_starts_at", "bookings", ["starts_at"])
    op.create_index("ix_bookings_status", "bookings", ["status"])
    op.create_index("ix_bookings_retain_until", "bookings", ["retain_until"])
    op.create_table(
        "booking_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name="fk_booking_events_booking_id_bookings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_booking_events"),
    )
    op.create_index("ix_booking_events_booking_id", "booking_events", ["booking_id"])
    op.create_table(
        "booking_contacts",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name="fk_booking_contacts_booking_id_bookings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", name="pk_booking_contacts"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("voided_at", TZ, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.Column("claimed_until", TZ, nullable=True),
        sa.Column("failed_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_notifications_person_id_people",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name="fk_notifications_booking_id_bookings",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_person_id", "notifications", ["person_id"])
    op.create_index("ix_notifications_booking_id", "notifications", ["booking_id"])
    op.create_index("ix_notifications_due_at", "notifications", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_due_at", table_name="notifications")
    op.drop_index("ix_notifications_booking_id", table_name="notifications")
    op.drop_index("ix_notifications_person_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("booking_contacts")
    op.drop_index("ix_booking_events_booking_id", table_name="booking_events")
    op.drop_table("booking_events")
    op.drop_index("ix_bookings_retain_until", table_name="bookings")
    op.drop_index("ix_bookings_status", table_name="bookings")
    op.drop_index("ix_bookings_starts_at", table_name="bookings")
    op.drop_index("ix_bookings_slot_id", table_name="bookings")
    op.drop_index("ix_bookings_person_id", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index("ix_booking_slots_starts_at", table_name="booking_slots")
    op.drop_table("booking_slots")
    op.drop_table("booking_services")
