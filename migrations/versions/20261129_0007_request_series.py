"""request_series: recurring requests whose occurrences are help requests

help_requests gains series_id and occurrence_date, UNIQUE together: one occurrence per series
and local date, however many generators run at once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("pattern", sa.String(length=15), nullable=False),
        sa.Column("window_start_min", sa.SmallInteger(), nullable=False),
        sa.Column("window_end_min", sa.SmallInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("holidays", sa.String(length=5), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("standing_volunteer_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "pattern IN ('weekly', 'biweekly', 'second_fourth')",
            name=op.f("ck_request_series_pattern_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'ended')", name=op.f("ck_request_series_status_known")
        ),
        sa.CheckConstraint(
            "holidays IS NULL OR holidays IN ('skip', 'keep')",
            name=op.f("ck_request_series_holidays_known"),
        ),
        sa.CheckConstraint(
            "window_start_min >= 0 AND window_start_min < window_end_min"
            " AND window_end_min <= 1440",
            name=op.f("ck_request_series_window_order"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_request_series_dates_order"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_request_series_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_request_series_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_request_series_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["standing_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_request_series_standing_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_series")),
    )
    with op.batch_alter_table("request_series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_series_resident_id"), ["resident_id"], unique=False
        )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("occurrence_date", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_help_requests_series_id_request_series"),
            "request_series",
            ["series_id"],
            ["id"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_help_requests_series_id_occurrence_date"),
            ["series_id", "occurrence_date"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_help_requests_series_occurrence_together"),
            "(series_id IS NULL) = (occurrence_date IS NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_help_requests_series_occurrence_together"), type_="check"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_help_requests_series_id_occurrence_date"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_help_requests_series_id_request_series"), type_="foreignkey"
        )
        batch_op.drop_column("occurrence_date")
        batch_op.drop_column("series_id")
    with op.batch_alter_table("request_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_series_resident_id"))
    op.drop_table("request_series")
