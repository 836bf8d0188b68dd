"""assignments record how an answer came (answered_via: 'app' or 'phone'), who recorded it
on the volunteer's behalf (answered_by_id), and which SC chose a volunteer over the solver's
proposal (proposed_by_id)

All three are nullable: existing assignments were answered through the app or the API before
anyone said how, and were proposed by the solver.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIA_CHECK = "answered_via IS NULL OR answered_via IN ('app', 'phone')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch rebuild: its DROP TABLE assignments fails under foreign_keys=ON (transfers
        # reference assignments). SQLite's ADD COLUMN takes a column's CHECK and REFERENCES.
        op.execute(
            "ALTER TABLE assignments ADD COLUMN answered_via VARCHAR(5)"
            f" CONSTRAINT ck_assignments_answered_via_known CHECK ({VIA_CHECK})"
        )
        for column in ("answered_by_id", "proposed_by_id"):
            op.execute(
                f"ALTER TABLE assignments ADD COLUMN {column} INTEGER"
                f" CONSTRAINT fk_assignments_{column}_users REFERENCES users (id)"
            )
        return
    op.add_column("assignments", sa.Column("answered_via", sa.String(length=5), nullable=True))
    op.add_column("assignments", sa.Column("answered_by_id", sa.Integer(), nullable=True))
    op.add_column("assignments", sa.Column("proposed_by_id", sa.Integer(), nullable=True))
    op.create_check_constraint(op.f("ck_assignments_answered_via_known"), "assignments", VIA_CHECK)
    for column in ("answered_by_id", "proposed_by_id"):
        op.create_foreign_key(
            op.f(f"fk_assignments_{column}_users"), "assignments", "users", [column], ["id"]
        )


def downgrade() -> None:
    # each CHECK and REFERENCES belongs to its column and goes with it (SQLite's native DROP
    # COLUMN allows that); PostgreSQL drops a column's constraints with it too
    op.drop_column("assignments", "proposed_by_id")
    op.drop_column("assignments", "answered_by_id")
    op.drop_column("assignments", "answered_via")
