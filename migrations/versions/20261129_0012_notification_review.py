"""notification review: when a sender claimed a message (a long 'sending' is stuck), and what a
person last did about a failed or stuck one on /outbox (retried, by_hand, given_up), when, who

Rows already 'sending' keep claimed_at NULL: when they were claimed is unknown, and the review
treats them as stuck.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 19:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handled_as", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("handled_at", db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handled_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_handled_by_id_users"), "users", ["handled_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_notifications_handled_as_known"),
            "handled_as IS NULL OR handled_as IN ('retried', 'by_hand', 'given_up')",
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_handled_as_known"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_handled_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("handled_by_id")
        batch_op.drop_column("handled_at")
        batch_op.drop_column("handled_as")
        batch_op.drop_column("claimed_at")
