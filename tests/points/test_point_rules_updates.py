"""Changing the ward's point rules (the service): only known rules, stamped with who and when,
and from domain.md's defaults when the row is missing."""

import pytest
from sqlalchemy import delete

from db import InvalidInput
from points.models import PointRule
from points.point_rules import get_rules, update_rules
from points.rules import DEFAULT_RULES, Rules
from tests.points.conftest import tokyo


def test_an_unknown_rule_is_refused_by_name_and_nothing_changes(session):
    with pytest.raises(InvalidInput) as refused:
        update_rules(
            session,
            changes={"daily_cap": 300, "bonus": 5, "annual_cap": 1},
            updated_by="admin:1",
            now=tokyo(2026, 5, 1),
        )
    assert refused.value.message == "Unknown rule."
    assert refused.value.errors == {
        "annual_cap": ["Not a point rule."],
        "bonus": ["Not a point rule."],
    }
    assert get_rules(session) == DEFAULT_RULES


def test_a_change_is_stamped_with_who_and_when(session):
    now = tokyo(2026, 5, 1, 9)
    rules = update_rules(session, changes={"voucher_unit": 1000}, updated_by="admin:1", now=now)
    assert rules == Rules(voucher_unit=1000)
    row = session.get(PointRule, 1)
    assert (row.updated_at, row.updated_by) == (now, "admin:1")


def test_a_missing_rules_row_is_recreated_from_the_defaults(session):
    session.execute(delete(PointRule))
    session.expire_all()
    assert get_rules(session) == DEFAULT_RULES
    rules = update_rules(
        session, changes={"daily_cap": 300}, updated_by="admin:1", now=tokyo(2026, 5, 1)
    )
    assert rules == Rules(daily_cap=300)
    row = session.get(PointRule, 1)
    assert (row.daily_cap, row.voucher_valid_days, row.updated_by) == (300, 180, "admin:1")
