"""The knowledge base: entries, translations, checklist items, places, revisions, imports.

Revision ID: 0002_knowledge
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_knowledge"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entry_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["entry_id"],
        ["kb_entries.id"],
        name=f"fk_{table}_entry_id_kb_entries",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "kb_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("situations", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("imported_fingerprint", sa.String(64), nullable=True),
        sa.Column("file_fingerprint", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_kb_entries"),
        sa.UniqueConstraint("slug", name="uq_kb_entries_slug"),
    )
    op.create_table(
        "kb_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("short_title", sa.String(40), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("source_hash", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=True),
        _entry_fk("kb_translations"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_translations"),
        sa.UniqueConstraint("entry_id", "locale", name="uq_kb_translations_entry_id"),
    )
    op.create_table(
        "kb_checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(48), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("optional", sa.Boolean(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        _entry_fk("kb_checklist_items"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_checklist_items"),
        sa.UniqueConstraint("entry_id", "key", name="uq_kb_checklist_items_entry_id"),
    )
    op.create_table(
        "kb_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(48), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("arrondissement", sa.Integer(), nullable=True),
        sa.Column("postcode", sa.String(5), nullable=True),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("hours", sa.JSON(), nullable=True),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("access", sa.JSON(), nullable=False),
        sa.Column("bookable", sa.Boolean(), nullable=False),
        _entry_fk("kb_places"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_places"),
        sa.UniqueConstraint("entry_id", "key", name="uq_kb_places_entry_id"),
    )
    op.create_table(
        "kb_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(48), nullable=False),
        sa.Column("locale", sa.String(16), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_kb_revisions"),
    )
    op.create_index("ix_kb_revisions_slug", "kb_revisions", ["slug"])
    op.create_index("ix_kb_revisions_state", "kb_revisions", ["state"])
    op.create_table(
        "kb_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kb_imports"),
    )


def downgrade() -> None:
    op.drop_table("kb_imports")
    op.drop_index("ix_kb_revisions_state", table_name="kb_revisions")
    op.drop_index("ix_kb_revisions_slug", table_name="kb_revisions")
    op.drop_table("kb_revisions")
    op.drop_table("kb_places")
    op.drop_table("kb_checklist_items")
    op.drop_table("kb_translations")
    op.drop_table("kb_entries")
