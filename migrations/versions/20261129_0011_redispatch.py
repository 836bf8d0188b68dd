"""automatic re-dispatch: flagged requests and proposals cancelled for no answer

help_requests.flag / flagged_at say why a request came back to the SC (declined, no_answer,
no_show, standing_ended) and since when; help_requests.redispatch_at is when `dispatch due`
should match it again on its own. assignments.ended_reason is 'no_answer' when the service
cancelled a proposal nobody answered by the confirmation cut-off.

All nullable: nothing existing is flagged, queued or cancelled by the service.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAG_CHECK = "flag IS NULL OR flag IN ('declined', 'no_answer', 'no_show', 'standing_ended')"
FLAG_TIME_CHECK = "(flag IS NULL) = (flagged_at IS NULL)"
ENDED_REASON_CHECK = "ended_reason IS NULL OR ended_reason IN ('no_answer')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch rebuild: dropping help_requests or assignments to rebuild them fails under
        # foreign_keys=ON once rows refer to them. SQLite's ADD COLUMN takes a column's CHECK.
        op.execute(
            "ALTER TABLE help_requests ADD COLUMN flag VARCHAR(16)"
            f" CONSTRAINT ck_help_requests_flag_known CHECK ({FLAG_CHECK})"
        )
        op.execute(
            "ALTER TABLE help_requests ADD COLUMN flagged_at DATETIME"
            f" CONSTRAINT ck_help_requests_flag_with_time CHECK ({FLAG_TIME_CHECK})"
        )
        op.execute("ALTER TABLE help_requests ADD COLUMN redispatch_at DATETIME")
        op.execute(
            "ALTER TABLE assignments ADD COLUMN ended_reason VARCHAR(10)"
            f" CONSTRAINT ck_assignments_ended_reason_known CHECK ({ENDED_REASON_CHECK})"
        )
    else:
        op.add_column("help_requests", sa.Column("flag", sa.String(length=16), nullable=True))
        op.add_column(
            "help_requests",
            sa.Column("flagged_at", db.UTCDateTime(timezone=True), nullable=True),
        )
        op.add_column(
            "help_requests",
            sa.Column("redispatch_at", db.UTCDateTime(timezone=True), nullable=True),
        )
        op.add_column("assignments", sa.Column("ended_reason", sa.String(length=10), nullable=True))
        op.create_check_constraint(op.f("ck_help_requests_flag_known"), "help_requests", FLAG_CHECK)
        op.create_check_constraint(
            op.f("ck_help_requests_flag_with_time"), "help_requests", FLAG_TIME_CHECK
        )
        op.create_check_constraint(
            op.f("ck_assignments_ended_reason_known"), "assignments", ENDED_REASON_CHECK
        )
    op.create_index(
        op.f("ix_help_requests_redispatch_at"), "help_requests", ["redispatch_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_help_requests_redispatch_at"), table_name="help_requests")
    # each CHECK belongs to its column and goes with it (SQLite's native DROP COLUMN allows a
    # column CHECK); PostgreSQL drops a column's constraints with it too
    op.drop_column("assignments", "ended_reason")
    op.drop_column("help_requests", "redispatch_at")
    if op.get_bind().dialect.name == "postgresql":
        # a CHECK over two columns: drop it before either column
        op.drop_constraint(op.f("ck_help_requests_flag_with_time"), "help_requests", type_="check")
    op.drop_column("help_requests", "flagged_at")
    op.drop_column("help_requests", "flag")
