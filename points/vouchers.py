"""Exchanging points for a voucher (地域商品券), idempotent by key."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db import Conflict, InvalidInput
from points import codes, ledger
from points import rules as calendar
from points.accounts import (
    SYSTEM,
    ShortBalance,
    ledger_position,
    lock_existing_volunteer_account,
    post,
    system_account_id,
    volunteer_status,
)
from points.expiry import ExpiryReport, expire_points_of
from points.models import Transfer, Voucher
from points.point_rules import get_rules


@dataclass(frozen=True)
class Issued:
    """A voucher with its code (derived again on a replay, never stored)."""

    voucher: Voucher
    transfer: Transfer
    code: str
    replayed: bool

    @property
    def points(self) -> int:
        return self.voucher.points

    @property
    def value_yen(self) -> int:
        return self.voucher.value_yen

    @property
    def expires_at(self) -> dt.datetime:
        return self.voucher.expires_at

    @property
    def id(self) -> int:
        return self.voucher.id

    @property
    def status(self) -> str:
        return self.voucher.status

    @property
    def volunteer_id(self) -> int:
        return self.voucher.volunteer_id

    @property
    def created_at(self) -> dt.datetime:
        return self.voucher.created_at


def _fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def _code_context(volunteer_id: int) -> str:
    return f"volunteer:{volunteer_id}"


def voucher_code(voucher: Voucher, *, secret: str | bytes) -> str:
    """Derive a voucher's code again, grouped (for its owner's page: it is never stored)."""
    return codes.derive_code(
        secret, bytes.fromhex(voucher.code_salt), _code_context(voucher.volunteer_id)
    )


def _replay(session: Session, prior: Transfer, *, fingerprint: str, secret: str | bytes) -> Issued:
    if prior.request_fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with another body; use a new key"
            " for a new exchange."
        )
    assert prior.voucher_id is not None  # noqa: S101 - ck_transfers_voucher_kinds
    voucher = session.get(Voucher, prior.voucher_id)
    assert voucher is not None  # noqa: S101
    code = codes.derive_code(
        secret, bytes.fromhex(voucher.code_salt), _code_context(voucher.volunteer_id)
    )
    return Issued(voucher=voucher, transfer=prior, code=code, replayed=True)


def _exchange_by_key(session: Session, volunteer_id: int, key: str) -> Transfer | None:
    return session.scalar(
        select(Transfer).where(
            Transfer.volunteer_id == volunteer_id,
            Transfer.idempotency_key == key,
        )
    )


def exchanged_in_fiscal_year(session: Session, *, volunteer_id: int, fiscal_year: int) -> int:
    """Return the points a volunteer exchanged in a fiscal year (what the annual cap counts)."""
    return (
        session.scalar(
            select(func.coalesce(func.sum(Voucher.points), 0))
            .join(Transfer, Transfer.voucher_id == Voucher.id)
            .where(
                Transfer.kind == "exchange",
                Transfer.volunteer_id == volunteer_id,
                Transfer.fiscal_year == fiscal_year,
            )
        )
        or 0
    )


def exchange(
    session: Session,
    *,
    volunteer_id: int,
    points: int,
    idempotency_key: str,
    secret: str | bytes,
    now: dt.datetime,
    created_by: str = SYSTEM,
) -> Issued:
    """Turn points into a voucher. The same key and body give the same voucher, writing nothing.

    The key is looked up before anything else: a replay returns the first voucher whatever the
    rules, the volunteer's status or the balance are now. A key reused with another body is
    refused (Conflict). A new exchange is refused (InvalidInput) unless it is a positive
    multiple of the voucher unit, and (Conflict) for a volunteer still on trial, past the
    fiscal year's exchange cap, or without the points once lapsed points are set aside. A
    refusal writes nothing: not even the volunteer's account, nor the expiry of lapsed points.
    """
    fingerprint = _fingerprint({"points": points})
    prior = _exchange_by_key(session, volunteer_id, idempotency_key)
    if prior is not None:
        return _replay(session, prior, fingerprint=fingerprint, secret=secret)
    rules = get_rules(session)
    if points <= 0 or points % rules.voucher_unit:
        raise InvalidInput(
            f"Exchange a positive multiple of {rules.voucher_unit} points.",
            {"points": [f"Must be a positive multiple of {rules.voucher_unit}."]},
        )
    status = volunteer_status(session, volunteer_id)
    # lock the account before counting the caps; a volunteer without one has nothing to spend
    account = lock_existing_volunteer_account(session, volunteer_id)
    prior = _exchange_by_key(session, volunteer_id, idempotency_key)  # while we waited?
    if prior is not None:
        return _replay(session, prior, fingerprint=fingerprint, secret=secret)

    if status != "active":
        raise Conflict(
            "Only registered volunteers exchange points: trial volunteers earn points and"
            " exchange them once registered (status active)."
            if status == "trial"
            else f"This volunteer is {status}; only active volunteers exchange points."
        )
    account_id, balance = account or (0, 0)
    # points that lapsed since the last cron run are not the volunteer's to spend
    through = calendar.last_expired_fiscal_year(now)
    lapsed = 0
    if account is not None:
        credits, debited, expired_years = ledger_position(session, account_id)
        lapsed = sum(
            ledger.points_to_expire(
                credits, debited, through_fiscal_year=through, already_expired=expired_years
            ).values()
        )
    balance -= lapsed
    fiscal_year = calendar.fiscal_year_at(now)
    exchanged = exchanged_in_fiscal_year(
        session, volunteer_id=volunteer_id, fiscal_year=fiscal_year
    )
    if exchanged + points > rules.annual_exchange_cap:
        room = max(0, rules.annual_exchange_cap - exchanged)
        raise Conflict(
            f"The yearly exchange cap is {rules.annual_exchange_cap} pt (April to March):"
            f" {exchanged} pt exchanged in fiscal year {fiscal_year}, {room} pt left.",
            {"points": [f"At most {room - room % rules.voucher_unit} this fiscal year."]},
        )
    if balance < points:
        raise Conflict(
            f"Not enough points: the balance is {balance} pt, the exchange needs {points} pt.",
            {"points": [f"The balance is {balance}."]},
        )
    assert account is not None  # noqa: S101 - a positive balance has an account

    if lapsed:  # refusals write nothing; an exchange first expires what lapsed
        expired_account = system_account_id(session, "expired")
        expire_points_of(session, volunteer_id, through, expired_account, now, ExpiryReport())
    salt = codes.new_salt()
    code = codes.derive_code(secret, salt, _code_context(volunteer_id))
    liability = system_account_id(session, "voucher_liability")
    try:
        with session.begin_nested():
            voucher = Voucher(
                volunteer_id=volunteer_id,
                code_hash=codes.lookup_hash(secret, code),
                code_salt=salt.hex(),
                code_tail=codes.tail(code),
                points=points,
                value_yen=points * rules.voucher_yen_per_point,
                yen_per_point=rules.voucher_yen_per_point,
                valid_days=rules.voucher_valid_days,
                status="outstanding",
                created_at=now,
                expires_at=now + dt.timedelta(days=rules.voucher_valid_days),
            )
            session.add(voucher)
            session.flush()
            transfer = Transfer(
                kind="exchange",
                volunteer_id=volunteer_id,
                voucher_id=voucher.id,
                fiscal_year=fiscal_year,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
                reason=f"商品券 …{voucher.code_tail}（{voucher.value_yen}円）",
                created_at=now,
                created_by=created_by,
            )
            post(session, transfer, source=account_id, target=liability, amount=points)
    except ShortBalance as short:
        # the conditional UPDATE is the guard; the read above only words the message
        raise Conflict("Not enough points for this exchange.") from short
    except IntegrityError:
        # the same key, committed by a concurrent request: answer as a replay would
        prior = _exchange_by_key(session, volunteer_id, idempotency_key)
        if prior is None:
            raise
        return _replay(session, prior, fingerprint=fingerprint, secret=secret)
    return Issued(voucher=voucher, transfer=transfer, code=code, replayed=False)
