"""rounds: a volunteer's tasks per day, and each proposal's place and time in their round

volunteers.max_tasks_per_day (1 to 5, default 1: every existing volunteer keeps one task a day,
so every run matches as before until they say more). assignments.round_order and planned_start:
where a match run put the task in the volunteer's round and when it plans it to start; NULL for
assignments made before rounds, and for an SC's override.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TASKS_CHECK = "max_tasks_per_day BETWEEN 1 AND 5"
ORDER_CHECK = "round_order IS NULL OR round_order >= 1"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch rebuild: volunteers and assignments are referred to by other tables' rows,
        # and dropping them to rebuild fails under foreign_keys=ON. ADD COLUMN takes a CHECK.
        op.execute(
            "ALTER TABLE volunteers ADD COLUMN max_tasks_per_day SMALLINT DEFAULT '1' NOT NULL"
            f" CONSTRAINT ck_volunteers_max_tasks_per_day_range CHECK ({TASKS_CHECK})"
        )
        op.execute(
            "ALTER TABLE assignments ADD COLUMN round_order SMALLINT"
            f" CONSTRAINT ck_assignments_round_order_positive CHECK ({ORDER_CHECK})"
        )
        op.execute("ALTER TABLE assignments ADD COLUMN planned_start DATETIME")
    else:
        op.add_column(
            "volunteers",
            sa.Column("max_tasks_per_day", sa.SmallInteger(), server_default="1", nullable=False),
        )
        op.add_column("assignments", sa.Column("round_order", sa.SmallInteger(), nullable=True))
        op.add_column(
            "assignments",
            sa.Column("planned_start", db.UTCDateTime(timezone=True), nullable=True),
        )
        op.create_check_constraint(
            op.f("ck_volunteers_max_tasks_per_day_range"), "volunteers", TASKS_CHECK
        )
        op.create_check_constraint(
            op.f("ck_assignments_round_order_positive"), "assignments", ORDER_CHECK
        )


def downgrade() -> None:
    # each CHECK is on one column and goes with it (SQLite's DROP COLUMN allows a column CHECK;
    # PostgreSQL drops a column's constraints with it)
    op.drop_column("assignments", "planned_start")
    op.drop_column("assignments", "round_order")
    op.drop_column("volunteers", "max_tasks_per_day")
