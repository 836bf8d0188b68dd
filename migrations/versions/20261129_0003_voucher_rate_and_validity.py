"""vouchers record the rate and the validity they were issued with (yen_per_point,
valid_days), so that ``points check`` can prove value_yen and expires_at

Existing vouchers are backfilled from the current point_rules row: the rules keep no history,
so a voucher issued under other rules shows up in ``points check`` (value_yen or expires_at
disagrees with the rules it is said to have been issued under) for an admin to look at.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

YEN_CHECK = "yen_per_point > 0"
DAYS_CHECK = "valid_days BETWEEN 1 AND 3660"


def upgrade() -> None:
    rules = sa.table(
        "point_rules",
        sa.column("id", sa.Integer()),
        sa.column("voucher_yen_per_point", sa.Integer()),
        sa.column("voucher_valid_days", sa.Integer()),
    )
    yen, days = (
        op.get_bind()
        .execute(
            sa.select(rules.c.voucher_yen_per_point, rules.c.voucher_valid_days).where(
                rules.c.id == 1
            )
        )
        .one()
    )
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch rebuild: its DROP TABLE vouchers fails under foreign_keys=ON (transfers
        # and redemptions reference vouchers), and the pragma cannot change inside the
        # migration's transaction. SQLite adds a NOT NULL column only with a DEFAULT, and keeps
        # it: the backfill value here, never used by the service (it sets both columns).
        op.execute(
            f"ALTER TABLE vouchers ADD COLUMN yen_per_point INTEGER NOT NULL DEFAULT {int(yen)}"
            f" CONSTRAINT ck_vouchers_yen_per_point_positive CHECK ({YEN_CHECK})"
        )
        op.execute(
            f"ALTER TABLE vouchers ADD COLUMN valid_days INTEGER NOT NULL DEFAULT {int(days)}"
            f" CONSTRAINT ck_vouchers_valid_days_range CHECK ({DAYS_CHECK})"
        )
        return
    op.add_column("vouchers", sa.Column("yen_per_point", sa.Integer(), nullable=True))
    op.add_column("vouchers", sa.Column("valid_days", sa.Integer(), nullable=True))
    vouchers = sa.table(
        "vouchers", sa.column("yen_per_point", sa.Integer()), sa.column("valid_days", sa.Integer())
    )
    op.execute(vouchers.update().values(yen_per_point=yen, valid_days=days))
    op.alter_column("vouchers", "yen_per_point", existing_type=sa.Integer(), nullable=False)
    op.alter_column("vouchers", "valid_days", existing_type=sa.Integer(), nullable=False)
    op.create_check_constraint(op.f("ck_vouchers_yen_per_point_positive"), "vouchers", YEN_CHECK)
    op.create_check_constraint(op.f("ck_vouchers_valid_days_range"), "vouchers", DAYS_CHECK)


def downgrade() -> None:
    # each CHECK belongs to its column and goes with it (SQLite's native DROP COLUMN allows it)
    op.drop_column("vouchers", "valid_days")
    op.drop_column("vouchers", "yen_per_point")
