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
