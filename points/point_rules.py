"""The ward's point rules, stored in the one-row ``point_rules`` table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db import InvalidInput
from points import rules as calendar
from points.models import PointRule
from points.rules import Rules

RULE_FIELDS = (
    "daily_cap",
    "annual_exchange_cap",
    "voucher_unit",
    "voucher_yen_per_point",
    "voucher_valid_days",
)
#: what each rule may be set to (the API's schema and the settings screen say the same)
RULE_RANGES: dict[str, tuple[int, int]] = {
    "daily_cap": (0, 10_000),
    "annual_exchange_cap": (0, 1_000_000),
    "voucher_unit": (1, 100_000),
    "voucher_yen_per_point": (1, 1_000),
    "voucher_valid_days": (1, 3660),
}


def get_rules(session: Session) -> Rules:
    """Return the ward's point rules (the seeded row; domain.md's defaults if it is missing)."""
    row = session.get(PointRule, 1)
    if row is None:
        return calendar.DEFAULT_RULES
    return Rules(**{name: getattr(row, name) for name in RULE_FIELDS})


def update_rules(
    session: Session, *, changes: dict[str, int], updated_by: str, now: dt.datetime
) -> Rules:
    """Change some of the ward's point rules; they apply from the next credit or exchange."""
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise InvalidInput("Unknown rule.", {name: ["Not a point rule."] for name in unknown})
    out_of_range = {
        name: [f"Must be between {low} and {high}."]
        for name, (low, high) in RULE_RANGES.items()
        if name in changes and not low <= changes[name] <= high
    }
    if out_of_range:
        raise InvalidInput("A point rule is out of range.", out_of_range)
    row = session.get(PointRule, 1)
    if row is None:
        row = PointRule(id=1, **{k: getattr(calendar.DEFAULT_RULES, k) for k in RULE_FIELDS})
        session.add(row)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    row.updated_by = updated_by
    session.flush()
    return get_rules(session)
