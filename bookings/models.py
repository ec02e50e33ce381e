"""Booking tables: services, slots, bookings, their history, contacts, and notifications.

The schema is made by Alembic (`bot/migrations/versions/0005_bookings.py`); these classes
map it. `person_id` columns point at `people.id` (one metadata, `sqlbase`, holds every
table); this package does not map `people`, which belongs to the runtime.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sqlbase import Base

#: The longest place an agent may type for a request (an address and a room).
PLACE_TEXT_LENGTH = 200

#: The one metadata of every table (`sqlbase`); the old name stays for readers.
BookingsBase = Base


class ServiceRow(BookingsBase):
    """A copy of `services.yaml`, so slots and bookings refer to a known service."""

    __tablename__ = "booking_services"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    entry_slug: Mapped[str] = mapped_column(String(48))
    mode: Mapped[str] = mapped_column(String(16))
    places: Mapped[list[str]] = mapped_column(JSON)
    #: False once the service left the file: its history stays, nobody can book it.
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SlotRow(BookingsBase):
    """A time at a place with a number of seats; `booked` never exceeds `capacity`."""

    __tablename__ = "booking_slots"
    __table_args__ = (
        # The database itself refuses a seat too many, whatever the code does.
        CheckConstraint("booked >= 0 AND booked <= capacity", name="seats"),
        CheckConstraint("ends_at > starts_at", name="times"),
        # One open slot per service, place and start; `live` is NULL once cancelled.
        UniqueConstraint(
            "service_id", "place_id", "starts_at", "live", name="uq_booking_slots_service_id"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("booking_services.id"))
    place_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    live: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str | None] = mapped_column(String(64))


class BookingRow(BookingsBase):
    __tablename__ = "bookings"
    __table_args__ = (
        # A press of "confirm" delivered twice finds the booking it made.
        UniqueConstraint("person_id", "request_key", name="uq_bookings_person_id"),
        # One open booking per person and service, unless the service allows several:
        # `open_guard` is 1 while such a booking is open, NULL otherwise (NULLs never clash).
        UniqueConstraint(
            "person_id", "service_id", "open_guard", name="uq_bookings_person_id_open_guard"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    #: NULL once the person asked to be forgotten or the retention ended.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    service_id: Mapped[str] = mapped_column(ForeignKey("booking_services.id"))
    place_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Where a request takes place when the agent typed it (none of the service's places).
    place_text: Mapped[str | None] = mapped_column(String(PLACE_TEXT_LENGTH), nullable=True)
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking_slots.id"), nullable=True, index=True
    )
    #: Copied from the slot, or proposed by an agent for a request.
    starts_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)
    #: The person's language when they booked: notifications fall back to it.
    locale: Mapped[str] = mapped_column(String(16))
    request_key: Mapped[str] = mapped_column(String(32))
    open_guard: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Bumped at every move, for the calendar file's SEQUENCE.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: When the contact data goes and the booking stops being linked to the person.
    retain_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class EventRow(BookingsBase):
    """One transition of one booking: what, from which status to which, who, when, why."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ContactRow(BookingsBase):
    """A name or phone number a service needs: apart from the conversation, erased in time."""

    __tablename__ = "booking_contacts"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class NotificationRow(BookingsBase):
    """A message to a person that nobody just asked for, due at `due_at`.

    It holds a kind and parameters, never rendered text: the runtime renders it in the
    person's language when it is due, and each channel sends it its own way (WhatsApp uses
    a template outside its 24-hour window). Kept in the database, it survives restarts.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True, index=True
    )
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Withdrawn before it went (a reminder of a cancelled booking).
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    #: A sender holds it until then; another process may take it after.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    #: Given up after too many failures or a permanent refusal; kept for the count.
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
