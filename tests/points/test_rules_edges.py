"""The point rules at their edges: the default rule's floor, whole points, aware times only."""

import datetime as dt

import pytest

from points import rules


def test_a_task_of_no_time_earns_nothing_and_is_refused():
    for minutes in (0, -30):
        with pytest.raises(ValueError, match="^a task takes some time$"):
            rules.points_for_duration(minutes)


def test_a_one_minute_task_earns_the_floor():
    assert rules.points_for_duration(1) == 50


@pytest.mark.parametrize(
    ("minutes", "per_hour", "unit", "floor", "points"),
    [(30, 25, 30, 0, 12), (20, 100, 20, 0, 33), (45, 70, 15, 10, 52)],
)
def test_points_are_whole_and_rounded_down(minutes, per_hour, unit, floor, points):
    earned = rules.points_for_duration(minutes, per_hour=per_hour, unit_minutes=unit, minimum=floor)
    assert earned == points
    assert type(earned) is int


def test_a_naive_time_is_refused_by_name():
    with pytest.raises(ValueError, match="^naive datetime$"):
        rules.local_date(dt.datetime(2026, 4, 1, 9))  # noqa: DTZ001


def test_nothing_is_exchangeable_once_the_annual_cap_is_used_up():
    single_points = rules.Rules(voucher_unit=1, annual_exchange_cap=100)
    for used in (100, 130):
        assert (
            rules.exchangeable(
                balance=50, exchanged_this_year=used, rules=single_points, may_exchange=True
            )
            == 0
        )
    assert (
        rules.exchangeable(
            balance=50, exchanged_this_year=80, rules=single_points, may_exchange=True
        )
        == 20
    )
