"""The point rules' bounds are the service's own (the API's schema and the settings screen
read them from points.point_rules), so no caller can set a rule out of range."""

from __future__ import annotations

import datetime as dt

import pytest

from db import InvalidInput
from points.point_rules import RULE_RANGES, get_rules, update_rules

NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("name", "bounds"), sorted(RULE_RANGES.items()))
def test_a_rule_is_set_to_its_bounds_but_not_beyond(session, name, bounds):
    low, high = bounds
    for value in (low, high):
        assert (
            getattr(update_rules(session, changes={name: value}, updated_by="t", now=NOW), name)
            == value
        )
    for value in (low - 1, high + 1):
        with pytest.raises(InvalidInput) as refused:
            update_rules(session, changes={name: value}, updated_by="t", now=NOW)
        assert refused.value.errors == {name: [f"Must be between {low} and {high}."]}
    assert getattr(get_rules(session), name) == high
