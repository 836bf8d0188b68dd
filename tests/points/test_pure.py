"""The pure cores: voucher codes, the calendar and rules, the ledger's posting and FIFO rules."""

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from points import codes, ledger, rules
from points.ledger import LedgerError, Leg
from tests.conftest import TOKYO

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


# --- codes ---------------------------------------------------------------------------------


@given(st.binary(min_size=16, max_size=16))
def test_derived_codes_are_grouped_crockford_with_a_valid_check(salt):
    code = codes.derive_code("secret", salt, "volunteer:1")
    assert CODE.match(code), code
    assert not set(code) & set("ILOU")
    assert codes.normalise(code) == code.replace("-", "")
    assert codes.derive_code("secret", salt, "volunteer:1") == code  # a replay recomputes it
    assert codes.derive_code("other", salt, "volunteer:1") != code
    assert codes.derive_code("secret", salt, "volunteer:2") != code


def test_typed_variants_normalise_to_the_same_code():
    code = codes.derive_code("secret", b"0" * 16, "volunteer:1")
    canonical = code.replace("-", "")
    variants = [
        code.lower(),
        canonical,
        " ".join(code.split("-")),
        code.replace("0", "O").replace("1", "I"),
        code.replace("1", "l"),
        code.replace("-", "ー"),
        "".join(chr(ord(c) + 0xFEE0) if c != "-" else c for c in code),  # full width
    ]
    for typed in variants:
        assert codes.normalise(typed) == canonical, typed
        assert codes.lookup_hash("k", typed) == codes.lookup_hash("k", code)
    assert codes.lookup_hash("k", code) != codes.lookup_hash("other", code)


def test_the_check_symbol_follows_crockford():
    assert codes.check_symbol("0" * 15) == "0"
    assert codes.check_symbol("0" * 14 + "1") == "1"
    assert codes.check_symbol("0" * 13 + "10") == "*"  # value 32
    assert codes.check_symbol("0" * 13 + "11") == "~"  # value 33
    assert codes.check_symbol("0" * 13 + "15") == "0"  # value 37
    assert codes.check_symbol("0" * 13 + "14") == "U"  # value 36


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("0000-0000-0000", "16 symbols"),
        ("0000-0000-0000-00000", "16 symbols"),
        ("0000-0000-0000-000U", "check symbol"),  # U is a valid check symbol, wrong here
        ("U000-0000-0000-0000", "never appears"),
        ("0000-0000-0000-0001", "check symbol"),
        ("#000-0000-0000-0000", "never appears"),
    ],
)
def test_bad_codes_are_refused_with_a_reason(typed, why):
    with pytest.raises(codes.InvalidCode, match=why):
        codes.normalise(typed)


@given(st.binary(min_size=16, max_size=16), st.integers(0, 14), st.integers(1, 31))
def test_any_single_symbol_typo_is_caught(salt, position, shift):
    canonical = codes.normalise(codes.derive_code("s", salt, "v"))
    digit = codes.ALPHABET.index(canonical[position])
    typo = codes.ALPHABET[(digit + shift) % 32]
    typed = canonical[:position] + typo + canonical[position + 1 :]
    with pytest.raises(codes.InvalidCode):
        codes.normalise(typed)


@given(st.binary(min_size=16, max_size=16), st.integers(0, 13))
def test_adjacent_transpositions_are_caught(salt, position):
    canonical = codes.normalise(codes.derive_code("s", salt, "v"))
    a, b = canonical[position], canonical[position + 1]
    if a == b:
        return
    typed = canonical[:position] + b + a + canonical[position + 2 :]
    with pytest.raises(codes.InvalidCode):
        codes.normalise(typed)


# --- the calendar and the rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "points"), [(15, 50), (30, 50), (31, 100), (45, 100), (60, 100), (90, 150)]
)
def test_default_rule_is_100_an_hour_in_half_hours_at_least_50(minutes, points):
    assert rules.points_for_duration(minutes) == points


def test_fiscal_years_start_on_the_first_of_april_in_tokyo():
    assert rules.fiscal_year_of(dt.date(2026, 3, 31)) == 2025
    assert rules.fiscal_year_of(dt.date(2026, 4, 1)) == 2026
    # 2026-03-31T15:00Z is already 1 April in Tokyo
    assert rules.fiscal_year_at(dt.datetime(2026, 3, 31, 15, tzinfo=dt.UTC)) == 2026
    assert rules.fiscal_year_at(dt.datetime(2026, 3, 31, 14, 59, tzinfo=dt.UTC)) == 2025
    assert rules.points_expire_at(2024) == dt.datetime(2026, 4, 1, tzinfo=TOKYO)
    assert rules.last_expired_fiscal_year(dt.datetime(2026, 4, 1, tzinfo=TOKYO)) == 2024
    with pytest.raises(ValueError, match="naive"):
        rules.local_date(dt.datetime(2026, 1, 1))  # noqa: DTZ001


def test_months_and_caps():
    assert rules.month_bounds("2026-12") == (
        dt.datetime(2026, 12, 1, tzinfo=TOKYO),
        dt.datetime(2027, 1, 1, tzinfo=TOKYO),
    )
    assert rules.month_of(dt.datetime(2026, 11, 30, 15, tzinfo=dt.UTC)) == "2026-12"
    assert rules.credit_after_cap(100, 150, 200) == 50
    assert rules.credit_after_cap(100, 200, 200) == 0
    defaults = rules.DEFAULT_RULES
    kw = {"rules": defaults, "may_exchange": True}
    assert rules.exchangeable(balance=1234, exchanged_this_year=0, **kw) == 1000
    assert rules.exchangeable(balance=9000, exchanged_this_year=4000, **kw) == 1000
    assert rules.exchangeable(balance=9000, exchanged_this_year=4800, **kw) == 0
    assert (
        rules.exchangeable(balance=9000, exchanged_this_year=0, rules=defaults, may_exchange=False)
        == 0
    )


# --- the ledger ----------------------------------------------------------------------------


def test_postings_must_balance_in_whole_non_zero_points():
    assert ledger.legs_for("credit", source=1, target=9, amount=50) == [Leg(1, -50), Leg(9, 50)]
    for legs in ([], [Leg(1, -5), Leg(2, 4)], [Leg(1, 0), Leg(2, 0)], [Leg(1, -5), Leg(1, 5)]):
        with pytest.raises(LedgerError):
            ledger.check_legs(legs)
    with pytest.raises(LedgerError):
        ledger.check_legs([Leg(1, -1.5), Leg(2, 1.5)])  # type: ignore[arg-type]
    with pytest.raises(LedgerError):
        ledger.legs_for("gift", source=1, target=2, amount=5)


def test_fifo_spends_the_oldest_points_first():
    # 300 earned in FY2024, 200 in FY2025, 500 exchanged: nothing of 2024 is left to expire
    assert ledger.unspent_by_fiscal_year({2024: 300, 2025: 200}, 500) == {}
    assert ledger.unspent_by_fiscal_year({2024: 300, 2025: 500}, 500) == {2025: 300}
    assert ledger.points_to_expire({2024: 600}, 500, through_fiscal_year=2024) == {2024: 100}
    # after that expiry (a debit of 100), a second run finds nothing
    assert (
        ledger.points_to_expire({2024: 600}, 600, through_fiscal_year=2024, already_expired={2024})
        == {}
    )
    assert ledger.points_to_expire({2024: 600, 2025: 100}, 0, through_fiscal_year=2024) == {
        2024: 600
    }


@given(
    st.dictionaries(st.integers(2020, 2030), st.integers(0, 2000), max_size=6),
    st.integers(0, 10000),
)
def test_fifo_never_leaves_more_than_the_balance_and_empties_old_years_first(credits, debited):
    debited = min(debited, sum(credits.values()))
    unspent = ledger.unspent_by_fiscal_year(credits, debited)
    assert sum(unspent.values()) == sum(credits.values()) - debited
    assert all(0 < unspent[y] <= credits[y] for y in unspent)
    years = sorted(unspent)
    # every year older than the oldest with points left was spent entirely
    if years:
        assert all(unspent.get(y, 0) == credits[y] for y in credits if y > years[0])
