"""volunteer_sign_in_links: one-time links an SC sends a volunteer to open their page

Only the SHA-256 of a link's token is kept; used_at is set once by a conditional UPDATE.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "expires_at > created_at",
            name=op.f("ck_volunteer_sign_in_links_expires_after_created"),
        ),
        sa.CheckConstraint(
            "used_at IS NULL OR used_at >= created_at",
            name=op.f("ck_volunteer_sign_in_links_used_after_created"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_volunteer_sign_in_links_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_sign_in_links_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_volunteer_sign_in_links_token_hash")),
    )
    with op.batch_alter_table("volunteer_sign_in_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_sign_in_links_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("volunteer_sign_in_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_sign_in_links_volunteer_id"))
    op.drop_table("volunteer_sign_in_links")
