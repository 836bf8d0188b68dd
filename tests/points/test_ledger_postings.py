"""The ledger's posting rules say which rule a posting broke; FIFO at its edges (pure)."""

import pytest

from points import ledger
from points.ledger import LedgerError, Leg


@pytest.mark.parametrize("kind", ledger.TRANSFER_KINDS)
def test_every_transfer_kind_moves_points_from_source_to_target(kind):
    assert ledger.legs_for(kind, source=3, target=8, amount=120) == [Leg(3, -120), Leg(8, 120)]


@pytest.mark.parametrize(
    ("legs", "why"),
    [
        ([], "a posting needs entries"),
        ([Leg(1, 0), Leg(2, 0)], "entry amounts are non-zero integers, not 0"),
        ([Leg(1, -1), Leg(2, True)], "entry amounts are non-zero integers, not True"),
        ([Leg(1, -5), Leg(2, 5), Leg(1, 0)], "entry amounts are non-zero integers, not 0"),
        ([Leg(1, -5), Leg(1, 5)], "one entry per account in a transfer"),
        ([Leg(1, -5), Leg(2, 4)], "a transfer's entries sum to zero"),
        ([Leg(1, -5), Leg(2, 6)], "a transfer's entries sum to zero"),
    ],
)
def test_a_broken_posting_is_refused_with_the_rule_it_breaks(legs, why):
    with pytest.raises(LedgerError) as refused:
        ledger.check_legs(legs)
    assert str(refused.value) == why


def test_three_legs_summing_to_zero_pass():
    ledger.check_legs([Leg(1, -5), Leg(2, 3), Leg(3, 2)])


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(LedgerError, match="^unknown transfer kind 'gift'$"):
        ledger.legs_for("gift", source=1, target=2, amount=5)
    with pytest.raises(LedgerError, match="sum to zero|non-zero"):
        ledger.legs_for("credit", source=1, target=2, amount=0)


def test_debits_are_counted_as_a_positive_total():
    with pytest.raises(LedgerError, match="^debits are counted as a positive total$"):
        ledger.unspent_by_fiscal_year({2024: 100}, -1)
    assert ledger.unspent_by_fiscal_year({2024: 100}, 0) == {2024: 100}


def test_a_year_reversed_below_zero_holds_nothing_to_spend():
    # a year whose credits were reversed to nothing neither holds points nor absorbs debits
    assert ledger.unspent_by_fiscal_year({2023: -100, 2024: 0, 2025: 300}, 100) == {2025: 200}
    assert ledger.unspent_by_fiscal_year({2023: 1, 2025: 300}, 1) == {2025: 300}


def test_only_lapsed_years_not_yet_expired_expire():
    credits = {2023: 100, 2024: 200, 2025: 300}
    assert ledger.points_to_expire(credits, 0, through_fiscal_year=2024) == {2023: 100, 2024: 200}
    assert ledger.points_to_expire(
        credits, 0, through_fiscal_year=2024, already_expired={2023}
    ) == {2024: 200}
    assert ledger.points_to_expire(credits, 0, through_fiscal_year=2022) == {}
