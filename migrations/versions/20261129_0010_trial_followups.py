"""trial_followups: the SC's to-do after an おためし volunteer's first task; who registered them

volunteers.joined_as_trial marks who came as おためし (the conversion rate's denominator; filled
for existing rows from their status and when they registered); volunteers.registered_by_id is
the SC who converted them (registered_at already says when).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 18:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("joined_as_trial", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("registered_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_volunteers_registered_by_id_users"),
            "users",
            ["registered_by_id"],
            ["id"],
        )
    # on trial now, or registered some time after signing up (a direct registration sets
    # registered_at as the row is made, never later than created_at)
    op.execute(
        "UPDATE volunteers SET joined_as_trial = TRUE"
        " WHERE status = 'trial' OR (registered_at IS NOT NULL AND registered_at > created_at)"
    )
    op.create_table(
        "trial_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "done_by_id IS NULL OR done_at IS NOT NULL",
            name=op.f("ck_trial_followups_done_by_only_when_done"),
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_trial_followups_assignment_id_assignments"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_trial_followups_done_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_trial_followups_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_followups")),
        sa.UniqueConstraint("volunteer_id", name=op.f("uq_trial_followups_volunteer_id")),
    )
    with op.batch_alter_table("trial_followups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trial_followups_done_at"), ["done_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trial_followups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_followups_done_at"))
    op.drop_table("trial_followups")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_volunteers_registered_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("registered_by_id")
        batch_op.drop_column("joined_as_trial")
