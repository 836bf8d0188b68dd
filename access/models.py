"""Staff users and API tokens (stored only as hashes)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db import Base, UTCDateTime, utcnow

STAFF_ROLES = ("admin", "coordinator")
ROLES = ("admin", "coordinator", "volunteer", "shop")


class User(Base):
    """Ward staff: an admin or a 生活支援コーディネーター."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'coordinator')", "role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    #: werkzeug's scrypt hash ("scrypt:N:r:p$salt$hash") for signing in to the screens; None
    #: for a user who only calls the API with a token
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token of one principal; only its SHA-256 is kept (tokens carry 256 random bits)."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'coordinator', 'volunteer', 'shop')", "role_known"),
        # the owner column must match the role, and exactly one owner is set
        CheckConstraint(
            "(role IN ('admin', 'coordinator') AND user_id IS NOT NULL"
            " AND volunteer_id IS NULL AND shop_id IS NULL)"
            " OR (role = 'volunteer' AND volunteer_id IS NOT NULL"
            " AND user_id IS NULL AND shop_id IS NULL)"
            " OR (role = 'shop' AND shop_id IS NOT NULL"
            " AND user_id IS NULL AND volunteer_id IS NULL)",
            "owner_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class VolunteerSignInLink(Base):
    """A one-time link an SC sends a volunteer (by SMS, or read out on the phone) to sign in to
    the volunteer page; only the SHA-256 of its 256-bit token is kept. Used once, before it
    expires: `used_at` is set by a conditional UPDATE that must hit exactly this row."""

    __tablename__ = "volunteer_sign_in_links"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", "expires_after_created"),
        CheckConstraint("used_at IS NULL OR used_at >= created_at", "used_after_created"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the staff member who issued it
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
