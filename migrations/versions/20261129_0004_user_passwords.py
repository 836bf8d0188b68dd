"""users get a password_hash (werkzeug's scrypt) to sign in to the screens

Nullable: existing users, and users who only call the API with a token, have none and cannot
sign in to the screens until `flask --app wsgi users set-password NAME` gives them one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN on both databases (no batch rebuild of users, which api_tokens references)
    op.add_column("users", sa.Column("password_hash", sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "password_hash")
