"""Partner shops (協力店), the points ledger (accounts, transfers, entries), vouchers, redemptions
and the ward's point rules.

Money safety lives in the database: CHECKs on balances and amounts, UNIQUE constraints that
make a second credit, a second redemption or a second expiry impossible, and (in the
migration) triggers that refuse any UPDATE or DELETE of transfers and entries.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import Base, UTCDateTime, utcnow
from points.ledger import ACCOUNT_KINDS, TRANSFER_KINDS, VOUCHER_STATUSES


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Shop(Base):
    """A 協力店 that accepts 地域商品券 and is settled by the ward monthly."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointRule(Base):
    """The ward's point rules: one row (id 1), seeded with domain.md's defaults."""

    __tablename__ = "point_rules"
    __table_args__ = (
        CheckConstraint("id = 1", "single_row"),
        CheckConstraint("daily_cap >= 0", "daily_cap_nonnegative"),
        CheckConstraint("annual_exchange_cap >= 0", "annual_cap_nonnegative"),
        CheckConstraint("voucher_unit > 0", "voucher_unit_positive"),
        CheckConstraint("voucher_yen_per_point > 0", "yen_per_point_positive"),
        CheckConstraint("voucher_valid_days BETWEEN 1 AND 3660", "valid_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: Most points earned per volunteer per local day of activity.
    daily_cap: Mapped[int] = mapped_column(Integer)
    #: Most points exchanged per volunteer per fiscal year (April to March).
    annual_exchange_cap: Mapped[int] = mapped_column(Integer)
    #: Vouchers are issued in multiples of this many points.
    voucher_unit: Mapped[int] = mapped_column(Integer)
    #: Yen of face value per point; each voucher records its own value when issued.
    voucher_yen_per_point: Mapped[int] = mapped_column(Integer)
    voucher_valid_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Who last changed the rules ("admin:3").
    updated_by: Mapped[str | None] = mapped_column(String(60))


class Account(Base):
    """A ledger account: each volunteer's, each shop's payable, and the ward's three."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(_in("kind", ACCOUNT_KINDS), "kind_known"),
        CheckConstraint(
            "(kind = 'volunteer' AND volunteer_id IS NOT NULL AND shop_id IS NULL)"
            " OR (kind = 'shop_payable' AND shop_id IS NOT NULL AND volunteer_id IS NULL)"
            " OR (kind IN ('issuance', 'voucher_liability', 'expired')"
            " AND volunteer_id IS NULL AND shop_id IS NULL)",
            "owner_matches_kind",
        ),
        # issuance is the source of all points (minus what was issued); nothing else goes below 0
        CheckConstraint(
            "(kind = 'issuance' AND balance <= 0) OR (kind <> 'issuance' AND balance >= 0)",
            "balance_sign",
        ),
        # one account of each ward kind
        Index(
            "uq_accounts_system_kind",
            "kind",
            unique=True,
            sqlite_where=text("volunteer_id IS NULL AND shop_id IS NULL"),
            postgresql_where=text("volunteer_id IS NULL AND shop_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), unique=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), unique=True)
    #: Running balance, changed only by conditional UPDATEs next to the entries that explain it.
    balance: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Voucher(Base):
    """A 地域商品券 issued for points. Only a keyed hash of its code is kept."""

    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint(_in("status", VOUCHER_STATUSES), "status_known"),
        CheckConstraint("points > 0", "points_positive"),
        CheckConstraint("value_yen > 0", "value_positive"),
        CheckConstraint("yen_per_point > 0", "yen_per_point_positive"),
        CheckConstraint("valid_days BETWEEN 1 AND 3660", "valid_days_range"),
        CheckConstraint("expires_at > created_at", "expires_after_issue"),
        CheckConstraint(
            "(status = 'redeemed' AND redeemed_at IS NOT NULL)"
            " OR (status <> 'redeemed' AND redeemed_at IS NULL)",
            "redeemed_stamp",
        ),
        Index("ix_vouchers_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    #: HMAC-SHA256(SECRET_KEY, normalised code): redemption looks the voucher up by it.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Random salt (hex) from which, with SECRET_KEY, the code is derived again on a replay.
    code_salt: Mapped[str] = mapped_column(String(32))
    #: The code's last group, to tell vouchers apart in histories and settlements.
    code_tail: Mapped[str] = mapped_column(String(4))
    points: Mapped[int] = mapped_column(Integer)
    #: points * yen_per_point (``points check`` proves it).
    value_yen: Mapped[int] = mapped_column(Integer)
    #: The rules' yen per point when it was issued: a later rule change leaves it as it was.
    yen_per_point: Mapped[int] = mapped_column(Integer)
    #: The rules' validity when it was issued: expires_at is created_at plus this many days.
    valid_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="outstanding")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Transfer(Base):
    """One movement of points; its entries sum to zero. Never updated or deleted."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(_in("kind", TRANSFER_KINDS), "kind_known"),
        CheckConstraint(
            "(kind = 'credit' AND assignment_id IS NOT NULL AND activity_date IS NOT NULL)"
            " OR (kind <> 'credit' AND assignment_id IS NULL)",
            "credit_has_assignment",
        ),
        CheckConstraint(
            "(kind IN ('exchange', 'redeem', 'expire_voucher') AND voucher_id IS NOT NULL)"
            " OR (kind NOT IN ('exchange', 'redeem', 'expire_voucher') AND voucher_id IS NULL)",
            "voucher_kinds",
        ),
        CheckConstraint(
            "(kind = 'reversal' AND reverses_id IS NOT NULL)"
            " OR (kind <> 'reversal' AND reverses_id IS NULL)",
            "reversal_link",
        ),
        CheckConstraint(
            "kind NOT IN ('credit', 'exchange', 'expire_points', 'reversal')"
            " OR (volunteer_id IS NOT NULL AND fiscal_year IS NOT NULL)",
            "volunteer_kinds",
        ),
        CheckConstraint(
            "(idempotency_key IS NULL AND request_fingerprint IS NULL)"
            " OR (idempotency_key IS NOT NULL AND request_fingerprint IS NOT NULL)",
            "idempotency_pair",
        ),
        # a voucher has one exchange, at most one redemption and at most one expiry
        UniqueConstraint("voucher_id", "kind"),
        # an Idempotency-Key belongs to the volunteer whose points it moves
        UniqueConstraint("volunteer_id", "idempotency_key"),
        # a volunteer's points of one fiscal year expire once
        Index(
            "uq_transfers_expire_points_year",
            "volunteer_id",
            "fiscal_year",
            unique=True,
            sqlite_where=text("kind = 'expire_points'"),
            postgresql_where=text("kind = 'expire_points'"),
        ),
        Index("ix_transfers_volunteer_kind", "volunteer_id", "kind", "fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: The volunteer whose points move (credit, exchange, expire_points, reversal).
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    #: The completed task a credit is for: UNIQUE, so a task is credited at most once.
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), unique=True)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    #: The credit an admin's reversal undoes: UNIQUE, so it is undone at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    #: Credit: earned in (expiry runs by it); exchange: counts against that year's cap;
    #: expire_points: the year whose points lapsed; reversal: the reversed credit's year.
    fiscal_year: Mapped[int | None] = mapped_column(SmallInteger)
    #: Credit: the local day of the activity (the daily cap counts by it).
    activity_date: Mapped[dt.date | None] = mapped_column(Date)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    #: SHA-256 of the request body the key was first used with.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: What for, in words ("ゴミ出し 2026-12-01"); for a reversal, the admin's reason.
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who caused it: "coordinator:3", "volunteer:12", "shop:2", "admin:1" or "system".
    created_by: Mapped[str] = mapped_column(String(60))
    entries: Mapped[list[Entry]] = relationship(
        back_populates="transfer", order_by="Entry.id", viewonly=True
    )


class Entry(Base):
    """One leg of a transfer on one account. Never updated or deleted."""

    __tablename__ = "entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", "amount_nonzero"),
        UniqueConstraint("transfer_id", "account_id"),
        Index("ix_entries_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(Integer)
    #: The account's balance right after this entry (from the UPDATE ... RETURNING).
    balance_after: Mapped[int] = mapped_column(Integer)
    transfer: Mapped[Transfer] = relationship(back_populates="entries", viewonly=True)


class Redemption(Base):
    """A voucher accepted by a shop: at most one per voucher (UNIQUE voucher_id)."""

    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint("value_yen > 0", "value_positive"),
        CheckConstraint("points > 0", "points_positive"),
        Index("ix_redemptions_shop_month", "shop_id", "settlement_month"),
        Index("ix_redemptions_settlement_month", "settlement_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), unique=True)
    #: From the shop's API key, never from the request body.
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), unique=True)
    points: Mapped[int] = mapped_column(Integer)
    value_yen: Mapped[int] = mapped_column(Integer)
    redeemed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: Local "YYYY-MM" of redeemed_at: the month the ward settles it in.
    settlement_month: Mapped[str] = mapped_column(String(7))
    shop: Mapped[Shop] = relationship()
    voucher: Mapped[Voucher] = relationship()
