"""The ledger's invariants (domain.md), one SQL query each: ``check(session)`` lists violations.

Each query returns the offending rows (at most a few), so an empty result means the invariant
holds. Plain SQL that runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Invariant:
    name: str
    says: str
    sql: str


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "transfer_sums_to_zero",
        "every transfer's entries sum to zero",
        "SELECT transfer_id, SUM(amount) FROM entries GROUP BY transfer_id HAVING SUM(amount) <> 0",
    ),
    Invariant(
        "ledger_sums_to_zero",
        "the sum over all entries is zero",
        "SELECT SUM(amount) FROM entries HAVING SUM(amount) <> 0",
    ),
    Invariant(
        "balance_is_sum_of_entries",
        "each account's balance equals the sum of its entries",
        "SELECT a.id, a.balance, COALESCE(s.total, 0) FROM accounts a"
        " LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM entries GROUP BY account_id) s"
        " ON s.account_id = a.id WHERE a.balance <> COALESCE(s.total, 0)",
    ),
    Invariant(
        "balance_after_is_latest",
        "each account's newest entry shows its balance",
        "SELECT a.id, a.balance, e.balance_after FROM accounts a"
        " JOIN entries e ON e.id = (SELECT MAX(id) FROM entries WHERE account_id = a.id)"
        " WHERE e.balance_after <> a.balance",
    ),
    Invariant(
        "no_negative_balance",
        "no volunteer (or other non-issuance) balance is negative; issuance never positive",
        "SELECT id, kind, balance FROM accounts"
        " WHERE (kind <> 'issuance' AND balance < 0) OR (kind = 'issuance' AND balance > 0)",
    ),
    Invariant(
        "points_come_only_from_credits",
        "the issuance account moves only by credits and their reversals",
        "SELECT t.id, t.kind FROM entries e JOIN accounts a ON a.id = e.account_id"
        " JOIN transfers t ON t.id = e.transfer_id"
        " WHERE a.kind = 'issuance' AND t.kind NOT IN ('credit', 'reversal')",
    ),
    Invariant(
        "credit_routes",
        "a credit moves points from issuance to its own volunteer's account, and nowhere else",
        "SELECT t.id FROM transfers t JOIN entries e ON e.transfer_id = t.id"
        " JOIN accounts a ON a.id = e.account_id WHERE t.kind = 'credit'"
        " AND NOT ((a.kind = 'issuance' AND e.amount < 0)"
        " OR (a.kind = 'volunteer' AND a.volunteer_id = t.volunteer_id AND e.amount > 0))",
    ),
    Invariant(
        "one_credit_per_completed_task",
        "at most one credit per assignment, and only for a completed one of that volunteer",
        "SELECT t.assignment_id, COUNT(*) FROM transfers t"
        " LEFT JOIN assignments s ON s.id = t.assignment_id WHERE t.kind = 'credit'"
        " GROUP BY t.assignment_id, s.status, s.volunteer_id, t.volunteer_id"
        " HAVING COUNT(*) > 1 OR MAX(s.status) IS NULL OR MAX(s.status) <> 'completed'"
        " OR MAX(s.volunteer_id) <> MAX(t.volunteer_id)",
    ),
    Invariant(
        "voucher_has_one_exchange",
        "every voucher has exactly one exchange transfer, of its own points",
        "SELECT v.id, COUNT(e.id) FROM vouchers v"
        " LEFT JOIN transfers t ON t.voucher_id = v.id AND t.kind = 'exchange'"
        " LEFT JOIN entries e ON e.transfer_id = t.id AND e.amount = v.points"
        " LEFT JOIN accounts a ON a.id = e.account_id AND a.kind = 'voucher_liability'"
        " GROUP BY v.id HAVING COUNT(DISTINCT t.id) <> 1 OR COUNT(a.id) <> 1",
    ),
    Invariant(
        "voucher_redeemed_at_most_once",
        "a voucher is redeemed at most once, and is 'redeemed' exactly when it has a redemption",
        "SELECT v.id, v.status, COUNT(r.id) FROM vouchers v"
        " LEFT JOIN redemptions r ON r.voucher_id = v.id GROUP BY v.id, v.status"
        " HAVING COUNT(r.id) > 1 OR (COUNT(r.id) = 1) <> (v.status = 'redeemed')",
    ),
    Invariant(
        "voucher_settled_once",
        "a voucher leaves the liability at most once: by redemption or by expiry",
        "SELECT voucher_id, COUNT(*) FROM transfers"
        " WHERE kind IN ('redeem', 'expire_voucher') GROUP BY voucher_id HAVING COUNT(*) > 1",
    ),
    Invariant(
        "liability_is_outstanding_vouchers",
        "the face value (points) of outstanding vouchers equals the voucher-liability account",
        "SELECT a.balance, (SELECT COALESCE(SUM(points), 0) FROM vouchers"
        " WHERE status = 'outstanding') FROM accounts a WHERE a.kind = 'voucher_liability'"
        " AND a.balance <> (SELECT COALESCE(SUM(points), 0) FROM vouchers"
        " WHERE status = 'outstanding')",
    ),
    Invariant(
        "redemption_posted_to_its_shop",
        "each redemption's transfer pays exactly its points into its shop's payable account",
        "SELECT r.id FROM redemptions r JOIN transfers t ON t.id = r.transfer_id"
        " LEFT JOIN accounts a ON a.shop_id = r.shop_id AND a.kind = 'shop_payable'"
        " LEFT JOIN entries e ON e.transfer_id = t.id AND e.account_id = a.id"
        " WHERE t.kind <> 'redeem' OR t.voucher_id <> r.voucher_id"
        " OR e.amount IS NULL OR e.amount <> r.points",
    ),
    Invariant(
        "shop_settlement_matches_payable",
        "each shop's redemptions (over all months) equal its payable account",
        "SELECT a.shop_id, a.balance, COALESCE(SUM(r.points), 0) FROM accounts a"
        " LEFT JOIN redemptions r ON r.shop_id = a.shop_id WHERE a.kind = 'shop_payable'"
        " GROUP BY a.shop_id, a.balance HAVING a.balance <> COALESCE(SUM(r.points), 0)",
    ),
    Invariant(
        "expired_points_once_per_year",
        "a volunteer's points of one fiscal year expire at most once",
        "SELECT volunteer_id, fiscal_year, COUNT(*) FROM transfers WHERE kind = 'expire_points'"
        " GROUP BY volunteer_id, fiscal_year HAVING COUNT(*) > 1",
    ),
    Invariant(
        "idempotency_key_once",
        "an idempotency key is used once per volunteer",
        "SELECT volunteer_id, idempotency_key FROM transfers WHERE idempotency_key IS NOT NULL"
        " GROUP BY volunteer_id, idempotency_key HAVING COUNT(*) > 1",
    ),
)


def check(session: Session) -> list[str]:
    """Run every invariant; return one line per violated invariant (empty when all hold)."""
    violations = []
    for invariant in INVARIANTS:
        rows = session.execute(text(invariant.sql + " LIMIT 5")).all()
        if rows:
            shown = "; ".join(str(tuple(row)) for row in rows)
            violations.append(
                f"{invariant.name}: violated, expected that {invariant.says} ({shown})"
            )
    return violations
