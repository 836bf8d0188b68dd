"""The ledger's accounts and postings, shared by every points service.

Services take a session and keyword arguments, flush and never commit: the caller (a request,
a command) commits once. Money safety comes from the database, on SQLite and PostgreSQL alike:
balances move only by conditional ``UPDATE ... WHERE balance >= :amount RETURNING balance``,
CHECKs refuse a negative balance, and UNIQUE constraints refuse a second credit for a task, a
second redemption of a voucher, a second expiry of a year's points and a reused idempotency key.
A volunteer's account row is locked (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already serialises writers) before the daily and annual caps are counted, so two requests at
once cannot both slip under a cap.

This package never imports ``matching``: the assignment, request and category rows a credit
needs are read through their tables by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db import Base, NotFound
from points import ledger
from points.ledger import Leg
from points.models import Account, Entry, Transfer

SYSTEM = "system"


def matching_table(name: str) -> Table:
    # matching's tables, by name: points and matching never import each other
    return Base.metadata.tables[name]


def system_account_id(session: Session, kind: str) -> int:
    """Return the id of one of the ward's accounts (issuance, voucher_liability, expired)."""
    if kind not in ledger.SYSTEM_ACCOUNT_KINDS:
        raise ValueError(kind)
    found = session.scalar(
        select(Account.id).where(
            Account.kind == kind, Account.volunteer_id.is_(None), Account.shop_id.is_(None)
        )
    )
    if found is None:  # pragma: no cover - seeded by migration 0002
        raise RuntimeError(f"the ward's {kind} account is missing: run the migrations")
    return found


def ensure_account(
    session: Session, *, kind: str, volunteer_id: int | None = None, shop_id: int | None = None
) -> int:
    """Return the owner's account id, creating it (race-free: INSERT ... ON CONFLICT DO NOTHING)."""
    owner = Account.volunteer_id == volunteer_id if volunteer_id else Account.shop_id == shop_id
    found = session.scalar(select(Account.id).where(owner))
    if found is not None:
        return found
    values = {
        "kind": kind,
        "volunteer_id": volunteer_id,
        "shop_id": shop_id,
        "balance": 0,
        "created_at": dt.datetime.now(dt.UTC),
    }
    dialect = session.get_bind().dialect.name
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(make_insert(Account).values(**values).on_conflict_do_nothing())
    created = session.scalar(select(Account.id).where(owner))
    assert created is not None  # noqa: S101 - inserted just now or by the winner of a race
    return created


def lock_volunteer_account(session: Session, volunteer_id: int) -> tuple[int, int]:
    """Lock a volunteer's account row for this transaction; return (account id, balance)."""
    account_id = ensure_account(session, kind="volunteer", volunteer_id=volunteer_id)
    balance = session.execute(
        select(Account.balance).where(Account.id == account_id).with_for_update()
    ).scalar_one()
    return account_id, balance


def lock_existing_volunteer_account(session: Session, volunteer_id: int) -> tuple[int, int] | None:
    """Lock a volunteer's account row, if they have one; return (account id, balance)."""
    row = session.execute(
        select(Account.id, Account.balance)
        .where(Account.volunteer_id == volunteer_id)
        .with_for_update()
    ).one_or_none()
    return None if row is None else (row.id, row.balance)


class ShortBalance(Exception):
    def __init__(self, account_id: int) -> None:
        self.account_id = account_id


def apply_legs(
    session: Session, transfer: Transfer, legs: Sequence[Leg], *, issuance_id: int | None = None
) -> None:
    """Write a transfer's entries and move the balances; a short account raises ShortBalance.

    Accounts are updated in id order (the ward's accounts first), so two transfers never wait
    on each other's rows in opposite orders.
    """
    ledger.check_legs(legs)
    rows = []
    accounts = cast(Table, Account.__table__)
    for leg in sorted(legs, key=lambda leg: leg.account_id):
        stmt = update(accounts).where(accounts.c.id == leg.account_id)
        if leg.amount < 0 and leg.account_id != issuance_id:
            stmt = stmt.where(accounts.c.balance >= -leg.amount)
        stmt = stmt.values(balance=accounts.c.balance + leg.amount).returning(accounts.c.balance)
        balance_after = session.execute(stmt).scalar_one_or_none()
        if balance_after is None:
            raise ShortBalance(leg.account_id)
        rows.append(
            {
                "transfer_id": transfer.id,
                "account_id": leg.account_id,
                "amount": leg.amount,
                "balance_after": balance_after,
            }
        )
    session.execute(insert(Entry), rows)


def post(
    session: Session,
    transfer: Transfer,
    *,
    source: int,
    target: int,
    amount: int,
    issuance_id: int | None = None,
) -> Transfer:
    """Record a transfer and move ``amount`` points from ``source`` to ``target`` by its kind's
    route; a short source raises ShortBalance. An amount of 0 (a credit the daily cap made
    nothing) records the transfer with no entries."""
    session.add(transfer)
    session.flush()
    if amount:
        legs = ledger.legs_for(transfer.kind, source=source, target=target, amount=amount)
        apply_legs(session, transfer, legs, issuance_id=issuance_id)
    return transfer


def rowcount(session: Session, statement: Any) -> int:
    """Execute a conditional UPDATE; return how many rows it changed."""
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount)


def volunteer_status(session: Session, volunteer_id: int) -> str:
    volunteers = matching_table("volunteers")
    status = session.scalar(select(volunteers.c.status).where(volunteers.c.id == volunteer_id))
    if status is None:
        raise NotFound(f"Volunteer {volunteer_id} not found.")
    return str(status)


def ledger_position(session: Session, account_id: int) -> tuple[dict[int, int], int, set[int]]:
    """Return (credits net of reversals by fiscal year, total debited, years already expired)."""
    per_year = session.execute(
        select(Transfer.kind, Transfer.fiscal_year, func.sum(Entry.amount))
        .join(Entry, Entry.transfer_id == Transfer.id)
        .where(Entry.account_id == account_id)
        .group_by(Transfer.kind, Transfer.fiscal_year)
    ).all()
    credits: dict[int, int] = {}
    debited = 0
    expired_years: set[int] = set()
    for kind, year, total in per_year:
        if year is None:  # pragma: no cover - ck_transfers_volunteer_kinds
            continue
        if kind in ("credit", "reversal"):
            credits[year] = credits.get(year, 0) + int(total)
        else:  # exchange, expire_points: debits, spent oldest first
            debited -= int(total)
            if kind == "expire_points":
                expired_years.add(year)
    return credits, debited, expired_years
