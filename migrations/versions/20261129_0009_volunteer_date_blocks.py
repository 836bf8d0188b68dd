"""volunteer_date_blocks: local dates a volunteer cannot help (travel, hospital)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_date_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "first_day <= last_day", name=op.f("ck_volunteer_date_blocks_day_order")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_date_blocks_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_date_blocks")),
    )
    with op.batch_alter_table("volunteer_date_blocks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_date_blocks_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("volunteer_date_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_date_blocks_volunteer_id"))
    op.drop_table("volunteer_date_blocks")
