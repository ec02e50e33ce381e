"""The ground floor of the schema: the naming convention and the one `MetaData` every table
joins (`knowledge.models`, `bookings.models`, `bot.storage.tables`, `bot.storage.whatsapp`).

It imports nothing of Passerelle, so the knowledge and bookings table modules can use it
without depending on the runtime. `bot.storage` imports every table module: whoever
imports it (the migrations' `env.py`, the erasure of a person) sees every table.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

__all__ = ["NAMING", "Base"]

#: Constraint and index names Alembic can find again on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table of every package, in one metadata (and one ORM registry)."""

    metadata = MetaData(naming_convention=NAMING)
