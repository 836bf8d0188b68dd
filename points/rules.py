"""The point rules as plain values, and the calendar they live in (pure: no ORM, no Flask).

Defaults come from domain.md; a ward changes them in the one-row ``point_rules`` table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
#: The Japanese fiscal year (年度) starts on 1 April.
FISCAL_YEAR_START_MONTH = 4


@dataclass(frozen=True)
class Rules:
    """One ward's point rules (integers only: 1 pt is the ledger's unit)."""

    #: Most points one volunteer earns on one day of activity (local time).
    daily_cap: int = 200
    #: Most points one volunteer exchanges for vouchers in one fiscal year (April to March).
    annual_exchange_cap: int = 5000
    #: Vouchers are issued in multiples of this many points.
    voucher_unit: int = 500
    #: Yen of face value per point exchanged (recorded on each voucher when it is issued).
    voucher_yen_per_point: int = 1
    #: Days a voucher stays redeemable.
    voucher_valid_days: int = 180


DEFAULT_RULES = Rules()


def points_for_duration(
    duration_min: int, *, per_hour: int = 100, unit_minutes: int = 30, minimum: int = 50
) -> int:
    """Return the default rule's points for a task: per hour, in rounded-up units, a floor.

    A ward sets each category's points in ``categories.points``; this is how the seeded
    values were computed, and what ``flask points rules`` suggests for a new category.
    """
    if duration_min <= 0:
        raise ValueError("a task takes some time")
    units = -(-duration_min // unit_minutes)  # ceiling division
    return max(minimum, units * per_hour * unit_minutes // 60)


def local_date(moment: dt.datetime) -> dt.date:
    """Return the Asia/Tokyo calendar date of an aware time."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(TOKYO).date()


def fiscal_year_of(day: dt.date) -> int:
    """Return the fiscal year (年度) a date falls in: 2026-03-31 is in 2025, 2026-04-01 in 2026."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_at(moment: dt.datetime) -> int:
    """Return the fiscal year of an aware time, in local time."""
    return fiscal_year_of(local_date(moment))


def fiscal_year_start(fiscal_year: int) -> dt.datetime:
    """Return the moment a fiscal year begins: 1 April 00:00 Asia/Tokyo."""
    return dt.datetime(fiscal_year, FISCAL_YEAR_START_MONTH, 1, tzinfo=TOKYO)


def points_expire_at(earned_fiscal_year: int) -> dt.datetime:
    """Return when points earned in a fiscal year lapse: the end of the following fiscal year."""
    return fiscal_year_start(earned_fiscal_year + 2)


def last_expired_fiscal_year(now: dt.datetime) -> int:
    """Return the newest fiscal year whose points have lapsed by ``now``."""
    return fiscal_year_at(now) - 2


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """Return the local start of a "YYYY-MM" month and of the next one."""
    year, mon = (int(part) for part in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=TOKYO)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=TOKYO)
    return start, end


def month_of(moment: dt.datetime) -> str:
    """Return the local "YYYY-MM" of an aware time (the settlement month)."""
    return local_date(moment).strftime("%Y-%m")


def credit_after_cap(points: int, earned_that_day: int, daily_cap: int) -> int:
    """Return what a task's points become under the daily cap (possibly 0)."""
    return max(0, min(points, daily_cap - earned_that_day))


def exchangeable(
    *, balance: int, exchanged_this_year: int, rules: Rules, may_exchange: bool
) -> int:
    """Return the most points an exchange could take now: whole units, within the annual cap."""
    if not may_exchange:
        return 0
    room = max(0, rules.annual_exchange_cap - exchanged_this_year)
    most = min(balance, room)
    return most - most % rules.voucher_unit
