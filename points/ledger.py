"""Posting rules of the points ledger and the FIFO arithmetic of expiry (pure: no ORM).

Sign convention: an account's balance is what it holds. Points come into being only by a
credit from the ward's ``issuance`` account, whose balance is minus everything issued; it is
the only account that may go below zero. Every transfer's entries sum to zero, so the sum of
all balances is always zero.

    credit          issuance -> volunteer            a completed task (at most once per task)
    exchange        volunteer -> voucher_liability   points become a voucher
    redeem          voucher_liability -> shop_payable  a shop accepted the voucher
    expire_points   volunteer -> expired             unspent points of an old fiscal year
    expire_voucher  voucher_liability -> expired     a voucher nobody redeemed in time
    reversal        the negation of one credit       an admin's correction, with a reason
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ACCOUNT_KINDS = ("volunteer", "issuance", "voucher_liability", "shop_payable", "expired")
#: Accounts of the ward itself: exactly one of each, seeded by the migration.
SYSTEM_ACCOUNT_KINDS = ("issuance", "voucher_liability", "expired")
TRANSFER_KINDS = ("credit", "exchange", "redeem", "expire_points", "expire_voucher", "reversal")
VOUCHER_STATUSES = ("outstanding", "redeemed", "expired")

#: Which account kinds each transfer kind moves points from and to.
ROUTES: dict[str, tuple[str, str]] = {
    "credit": ("issuance", "volunteer"),
    "exchange": ("volunteer", "voucher_liability"),
    "redeem": ("voucher_liability", "shop_payable"),
    "expire_points": ("volunteer", "expired"),
    "expire_voucher": ("voucher_liability", "expired"),
    "reversal": ("volunteer", "issuance"),
}


class LedgerError(ValueError):
    """A posting that breaks the ledger's rules (a bug in the caller, never user input)."""


@dataclass(frozen=True)
class Leg:
    """One entry to be written: an account and a non-zero integer amount."""

    account_id: int
    amount: int


def legs_for(kind: str, *, source: int, target: int, amount: int) -> list[Leg]:
    """Return the two legs that move ``amount`` points from ``source`` to ``target``."""
    if kind not in ROUTES:
        raise LedgerError(f"unknown transfer kind {kind!r}")
    legs = [Leg(source, -amount), Leg(target, amount)]
    check_legs(legs)
    return legs


def check_legs(legs: Sequence[Leg]) -> None:
    """Refuse legs that are not whole, non-zero, on distinct accounts and summing to zero."""
    if not legs:
        raise LedgerError("a posting needs entries")
    for leg in legs:
        if type(leg.amount) is not int or leg.amount == 0:
            raise LedgerError(f"entry amounts are non-zero integers, not {leg.amount!r}")
    if len({leg.account_id for leg in legs}) != len(legs):
        raise LedgerError("one entry per account in a transfer")
    if sum(leg.amount for leg in legs) != 0:
        raise LedgerError("a transfer's entries sum to zero")


def unspent_by_fiscal_year(credits: Mapping[int, int], debited: int) -> dict[int, int]:
    """Return what is left of each fiscal year's credits when debits spend the oldest first.

    ``credits`` maps the fiscal year points were earned in to the points earned then (net of
    reversals); ``debited`` is everything that left the account since (exchanges and earlier
    expiries). The result omits years with nothing left.
    """
    if debited < 0:
        raise LedgerError("debits are counted as a positive total")
    left = debited
    unspent: dict[int, int] = {}
    for year in sorted(credits):
        earned = max(0, credits[year])
        used = min(earned, left)
        left -= used
        if earned - used:
            unspent[year] = earned - used
    return unspent


def points_to_expire(
    credits: Mapping[int, int],
    debited: int,
    *,
    through_fiscal_year: int,
    already_expired: frozenset[int] | set[int] = frozenset(),
) -> dict[int, int]:
    """Return {fiscal year: points} to expire now: the FIFO-unspent points of lapsed years.

    A year already expired is never expired again (its expiry is part of ``debited``), so
    running the expiry twice finds nothing the second time.
    """
    unspent = unspent_by_fiscal_year(credits, debited)
    return {
        year: points
        for year, points in unspent.items()
        if year <= through_fiscal_year and year not in already_expired
    }
