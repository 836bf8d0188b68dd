"""The ledger's invariants (domain.md), one SQL query each: ``check(session)`` lists violations.

Each query returns the offending rows (at most a few), so an empty result means the invariant
holds. Plain SQL that runs unchanged on SQLite and PostgreSQL, except where an invariant does
date arithmetic: then it is spelled once for each (same logic, each database's date functions).

- PostgreSQL keeps ``timestamptz``: ``AT TIME ZONE 'Asia/Tokyo'`` gives the local time.
- SQLite keeps UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (``db.UTCDateTime``): its date functions
  get the whole seconds (``substr(x, 1, 19)``, as they round fractions to milliseconds) and
  ``'+9 hours'`` gives Tokyo time (UTC+9 all year, no DST).
- The fiscal year (年度, April to March) of a day is the calendar year of three months before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Invariant:
    name: str
    says: str
    #: The query, or where it does date arithmetic the query of each dialect.
    sql: str | Mapping[str, str]

    def query(self, dialect: str) -> str:
        """The query in the SQL of a dialect ("sqlite" or "postgresql")."""
        return self.sql if isinstance(self.sql, str) else self.sql[dialect]


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
    Invariant(
        "redemption_matches_its_voucher",
        "each redemption carries its voucher's points, yen and redemption time",
        "SELECT r.id, r.points, v.points, r.value_yen, v.value_yen FROM redemptions r"
        " JOIN vouchers v ON v.id = r.voucher_id WHERE r.points <> v.points"
        " OR r.value_yen <> v.value_yen OR v.redeemed_at IS NULL OR r.redeemed_at <> v.redeemed_at",
    ),
    Invariant(
        "voucher_value_is_points_times_rate",
        "each voucher's yen is its points times the yen per point recorded when it was issued",
        "SELECT id, points, yen_per_point, value_yen FROM vouchers"
        " WHERE value_yen <> points * yen_per_point",
    ),
    Invariant(
        "voucher_expires_after_its_validity",
        "each voucher was issued when its exchange was made, and expires the days of validity"
        " recorded on it (of 24 hours) later",
        {
            "postgresql": "SELECT v.id, v.created_at, v.valid_days, v.expires_at FROM vouchers v"
            " JOIN transfers t ON t.voucher_id = v.id AND t.kind = 'exchange'"
            " WHERE v.created_at <> t.created_at"
            " OR v.expires_at <> v.created_at + v.valid_days * INTERVAL '24 hours'",
            # whole seconds moved by datetime(), the stored microseconds carried over
            "sqlite": "SELECT v.id, v.created_at, v.valid_days, v.expires_at FROM vouchers v"
            " JOIN transfers t ON t.voucher_id = v.id AND t.kind = 'exchange'"
            " WHERE v.created_at <> t.created_at OR v.expires_at <>"
            " datetime(substr(v.created_at, 1, 19), '+' || v.valid_days || ' days')"
            " || substr(v.created_at, 20)",
        },
    ),
    Invariant(
        "settlement_month_is_tokyo_month",
        "each redemption is settled in the Asia/Tokyo month of its redeemed_at",
        {
            "postgresql": "SELECT id, settlement_month, redeemed_at FROM redemptions"
            " WHERE settlement_month <> to_char(redeemed_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM')",
            "sqlite": "SELECT id, settlement_month, redeemed_at FROM redemptions"
            " WHERE settlement_month <> strftime('%Y-%m', substr(redeemed_at, 1, 19), '+9 hours')",
        },
    ),
    Invariant(
        "credit_activity_date_is_its_tasks",
        "a credit's activity date is the Asia/Tokyo day its task was completed, or the day its"
        " window ended if that came first",
        {
            "postgresql": "SELECT t.id, t.activity_date FROM transfers t"
            " JOIN assignments a ON a.id = t.assignment_id"
            " JOIN help_requests h ON h.id = a.help_request_id WHERE t.kind = 'credit'"
            " AND t.activity_date <> CAST(LEAST(COALESCE(a.completed_at, t.created_at),"
            " h.window_end) AT TIME ZONE 'Asia/Tokyo' AS DATE)",
            "sqlite": "SELECT t.id, t.activity_date FROM transfers t"
            " JOIN assignments a ON a.id = t.assignment_id"
            " JOIN help_requests h ON h.id = a.help_request_id WHERE t.kind = 'credit'"
            " AND t.activity_date <> date(substr(MIN(COALESCE(a.completed_at, t.created_at),"
            " h.window_end), 1, 19), '+9 hours')",
        },
    ),
    Invariant(
        "credit_fiscal_year_of_activity_date",
        "a credit's fiscal year is the one (April to March) of its activity date, and a"
        " reversal's is its credit's",
        {
            "postgresql": "SELECT t.id, t.kind, t.activity_date, t.fiscal_year FROM transfers t"
            " LEFT JOIN transfers c ON c.id = t.reverses_id WHERE (t.kind = 'credit'"
            " AND t.fiscal_year <> EXTRACT(YEAR FROM t.activity_date - INTERVAL '3 months'))"
            " OR (t.kind = 'reversal'"
            " AND (c.fiscal_year IS NULL OR t.fiscal_year <> c.fiscal_year))",
            "sqlite": "SELECT t.id, t.kind, t.activity_date, t.fiscal_year FROM transfers t"
            " LEFT JOIN transfers c ON c.id = t.reverses_id WHERE (t.kind = 'credit'"
            " AND t.fiscal_year <> CAST(strftime('%Y', t.activity_date, '-3 months') AS INTEGER))"
            " OR (t.kind = 'reversal'"
            " AND (c.fiscal_year IS NULL OR t.fiscal_year <> c.fiscal_year))",
        },
    ),
    Invariant(
        "exchange_fiscal_year_of_its_time",
        "an exchange counts against the fiscal year (April to March, Asia/Tokyo) it was made in",
        {
            "postgresql": "SELECT id, fiscal_year, created_at FROM transfers"
            " WHERE kind = 'exchange' AND fiscal_year <> EXTRACT(YEAR FROM"
            " (created_at AT TIME ZONE 'Asia/Tokyo') - INTERVAL '3 months')",
            "sqlite": "SELECT id, fiscal_year, created_at FROM transfers"
            " WHERE kind = 'exchange' AND fiscal_year <> CAST(strftime('%Y',"
            " substr(created_at, 1, 19), '+9 hours', '-3 months') AS INTEGER)",
        },
    ),
)


def check(session: Session) -> list[str]:
    """Run every invariant; return one line per violated invariant (empty when all hold)."""
    dialect = session.get_bind().dialect.name
    violations = []
    for invariant in INVARIANTS:
        rows = session.execute(text(invariant.query(dialect) + " LIMIT 5")).all()
        if rows:
            shown = "; ".join(str(tuple(row)) for row in rows)
            violations.append(
                f"{invariant.name}: violated, expected that {invariant.says} ({shown})"
            )
    return violations
