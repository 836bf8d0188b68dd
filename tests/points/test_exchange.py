"""Exchanging points for vouchers: caps, trial, idempotency, codes kept only as hashes."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from db import Conflict, InvalidInput
from points import balances, codes, point_rules, vouchers
from points.models import Account, Entry, Transfer, Voucher
from tests.points.conftest import SECRET, exchange_via_api, tokyo


def counts(session):
    return (
        session.scalar(select(func.count()).select_from(Voucher)),
        session.scalar(select(func.count()).select_from(Transfer)),
    )


def ledger_rows(session):
    """Everything an exchange could write: entries, transfers, vouchers and the accounts."""
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    accounts = session.execute(select(Account.id, Account.balance).order_by(Account.id)).all()
    return count(Entry), count(Transfer), count(Voucher), [tuple(row) for row in accounts]


#: A day in FY2026, after FY2024's points lapsed (2026-04-01).
MAY = tokyo(2026, 5, 20)


def test_exchange_issues_a_voucher_with_a_readable_code(api, session, volunteer, fund):
    v, token = volunteer
    fund(v, 600)
    response = exchange_via_api(api, v.id, token, 500, "key-1")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["points"] == 500 and body["value_yen"] == 500
    assert codes.normalise(body["code"])
    assert len(body["code"]) == 19 and body["code"].count("-") == 3
    expires = dt.datetime.fromisoformat(body["expires_at"])
    created = dt.datetime.fromisoformat(body["created_at"])
    assert expires - created == dt.timedelta(days=180)
    assert expires.utcoffset() == dt.timedelta(hours=9)
    assert response.headers["Idempotent-Replayed"] == "false"
    points = api.get(f"/api/v1/volunteers/{v.id}/points", token=token).get_json()
    assert points["balance"] == 100
    assert points["entries"][0]["kind"] == "exchange"
    assert points["entries"][0]["amount"] == -500
    assert points["entries"][0]["balance_after"] == 100
    assert body["code"][-4:] in points["entries"][0]["what_for"]


def test_the_database_keeps_only_a_keyed_hash_of_the_code(api, session, volunteer, fund):
    v, token = volunteer
    fund(v, 500)
    code = exchange_via_api(api, v.id, token, 500, "k").get_json()["code"]
    voucher = session.scalar(select(Voucher).where(Voucher.volunteer_id == v.id))
    stored = " ".join(str(getattr(voucher, c.key)) for c in Voucher.__table__.columns)
    assert code not in stored and code.replace("-", "") not in stored
    assert voucher.code_hash == codes.lookup_hash(api.client.application.config["SECRET_KEY"], code)


def test_same_key_and_body_replays_the_same_voucher_and_writes_nothing(
    api, session, volunteer, fund
):
    v, token = volunteer
    fund(v, 1000)
    first = exchange_via_api(api, v.id, token, 500, "retry-me")
    before = counts(session)
    again = exchange_via_api(api, v.id, token, 500, "retry-me")
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert counts(session) == before
    assert api.get(f"/api/v1/volunteers/{v.id}/points", token=token).get_json()["balance"] == 500


def test_same_key_other_body_is_409(api, session, volunteer, fund):
    v, token = volunteer
    fund(v, 1000)
    assert exchange_via_api(api, v.id, token, 500, "k1").status_code == 201
    before = counts(session)
    other = exchange_via_api(api, v.id, token, 1000, "k1")
    assert other.status_code == 409
    assert "Idempotency-Key" in other.get_json()["message"]
    assert counts(session) == before


def test_keys_belong_to_one_volunteer(api, make_volunteer, fund):
    (a, ta), (b, tb) = make_volunteer(name="A"), make_volunteer(name="B")
    fund(a, 500)
    fund(b, 500)
    first = exchange_via_api(api, a.id, ta, 500, "same").get_json()["code"]
    second = exchange_via_api(api, b.id, tb, 500, "same").get_json()["code"]
    assert first != second


def test_the_idempotency_key_header_is_required(api, volunteer, fund):
    v, token = volunteer
    fund(v, 500)
    response = api.post(f"/api/v1/volunteers/{v.id}/vouchers", {"points": 500}, token=token)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]["headers"]


@pytest.mark.parametrize("points", [0, -500, 250, 501, "500"])
def test_points_must_be_a_positive_multiple_of_the_unit(api, volunteer, fund, points):
    v, token = volunteer
    fund(v, 600)
    response = exchange_via_api(api, v.id, token, points, "k")
    assert response.status_code == 422
    assert "points" in response.get_json()["errors"]["json"]


def test_a_short_balance_is_409_and_changes_nothing(api, session, volunteer, fund):
    v, token = volunteer
    fund(v, 400)
    before = counts(session)
    response = exchange_via_api(api, v.id, token, 500, "k")
    assert response.status_code == 409
    assert "balance is 400 pt" in response.get_json()["message"]
    assert counts(session) == before


def test_trial_volunteers_cannot_exchange_yet(api, session, make_volunteer, fund):
    v, token = make_volunteer()
    fund(v, 500)
    v.status = "trial"
    session.flush()
    response = exchange_via_api(api, v.id, token, 500, "k")
    assert response.status_code == 409
    assert "trial" in response.get_json()["message"]
    points = api.get(f"/api/v1/volunteers/{v.id}/points", token=token).get_json()
    assert points["balance"] == 500 and points["exchangeable"] == 0


def test_inactive_volunteers_cannot_exchange(api, session, volunteer, fund):
    v, token = volunteer
    fund(v, 500)
    v.status = "inactive"
    session.flush()
    assert exchange_via_api(api, v.id, token, 500, "k").status_code == 409


def test_the_annual_cap_counts_per_fiscal_year(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 6000, start=tokyo(2025, 4, 1, 9))
    march = tokyo(2026, 3, 20)
    vouchers.exchange(
        session, volunteer_id=v.id, points=4500, idempotency_key="a", secret=SECRET, now=march
    )
    summary = balances.summary(session, volunteer_id=v.id, now=march)
    assert (summary.balance, summary.exchangeable, summary.fiscal_year_exchanged) == (
        1500,
        500,
        4500,
    )
    with pytest.raises(Conflict, match="yearly exchange cap is 5000 pt") as refused:
        vouchers.exchange(
            session, volunteer_id=v.id, points=1000, idempotency_key="b", secret=SECRET, now=march
        )
    assert refused.value.errors == {"points": ["At most 500 this fiscal year."]}
    # a new fiscal year starts on 1 April (Tokyo)
    april = tokyo(2026, 4, 1, 0, 0)
    issued = vouchers.exchange(
        session, volunteer_id=v.id, points=1000, idempotency_key="b", secret=SECRET, now=april
    )
    assert issued.transfer.fiscal_year == 2026


def test_the_annual_cap_refusal_is_409_over_http(api, session, volunteer, fund):
    v, token = volunteer
    point_rules.update_rules(
        session, changes={"annual_exchange_cap": 500}, updated_by="t", now=tokyo(2026, 1, 1)
    )
    fund(v, 1000)
    assert exchange_via_api(api, v.id, token, 500, "a").status_code == 201
    refused = exchange_via_api(api, v.id, token, 500, "b")
    assert refused.status_code == 409
    assert "exchange cap" in refused.get_json()["message"]
    assert api.get(f"/api/v1/volunteers/{v.id}/points", token=token).get_json()["exchangeable"] == 0


def test_who_may_exchange(api, make_volunteer, coordinator, fund):
    (v, _), (_, other) = make_volunteer(), make_volunteer(name="他人")
    fund(v, 1000)
    assert exchange_via_api(api, v.id, other, 500, "x").status_code == 404
    assert api.post(f"/api/v1/volunteers/{v.id}/vouchers", {"points": 500}).status_code == 401
    assert exchange_via_api(api, v.id, coordinator, 500, "sc").status_code == 201
    assert exchange_via_api(api, 10**6, coordinator, 500, "sc").status_code == 404


def test_the_rules_change_the_unit_and_the_yen(api, session, admin, volunteer, fund):
    v, token = volunteer
    fund(v, 1000)
    patched = api.patch(
        "/api/v1/point-rules", {"voucher_unit": 1000, "voucher_yen_per_point": 2}, token=admin
    )
    assert patched.status_code == 200
    assert patched.get_json()["voucher_unit"] == 1000
    assert exchange_via_api(api, v.id, token, 500, "a").status_code == 422
    issued = exchange_via_api(api, v.id, token, 1000, "b").get_json()
    assert issued["value_yen"] == 2000


def test_a_replay_returns_the_first_voucher_after_the_rules_change(
    api, session, admin, volunteer, fund
):
    v, token = volunteer
    fund(v, 1000)
    first = exchange_via_api(api, v.id, token, 500, "k-1")
    assert first.status_code == 201
    assert api.patch("/api/v1/point-rules", {"voucher_unit": 1000}, token=admin).status_code == 200
    before = ledger_rows(session)
    again = exchange_via_api(api, v.id, token, 500, "k-1")
    assert again.status_code == 201, again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert ledger_rows(session) == before
    other = exchange_via_api(api, v.id, token, 1000, "k-1")
    assert other.status_code == 409 and "Idempotency-Key" in other.get_json()["message"]
    assert ledger_rows(session) == before


def test_a_replay_answers_whatever_the_status_balance_or_caps_are_now(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 500, start=tokyo(2026, 5, 1))
    first = vouchers.exchange(
        session, volunteer_id=v.id, points=500, idempotency_key="k", secret=SECRET, now=MAY
    )
    point_rules.update_rules(
        session,
        changes={"voucher_unit": 300, "annual_exchange_cap": 0},
        updated_by="t",
        now=MAY,
    )
    v.status = "inactive"
    session.flush()
    before = ledger_rows(session)
    later = tokyo(2031, 6, 1)  # its fiscal year lapsed long ago, the voucher expired
    again = vouchers.exchange(
        session, volunteer_id=v.id, points=500, idempotency_key="k", secret=SECRET, now=later
    )
    assert again.replayed and (again.id, again.code) == (first.id, first.code)
    assert ledger_rows(session) == before
    with pytest.raises(Conflict, match="Idempotency-Key"):
        vouchers.exchange(
            session, volunteer_id=v.id, points=600, idempotency_key="k", secret=SECRET, now=later
        )


# --- a refused exchange writes nothing (the service itself, not the web layer's rollback) --


def _trial(session, v):
    v.status = "trial"
    session.flush()
    return 500


def _cap(session, v):
    point_rules.update_rules(
        session, changes={"annual_exchange_cap": 500}, updated_by="t", now=tokyo(2026, 4, 1)
    )
    return 1000


REFUSALS = {
    # case: (set up and return the points to ask for, the refusal, what it says)
    "trial volunteer": (_trial, Conflict, "trial"),
    "above the annual cap": (_cap, Conflict, "yearly exchange cap"),
    "balance short": (lambda s, v: 2000, Conflict, "the balance is 1000 pt"),
    "not a multiple of the unit": (lambda s, v: 750, InvalidInput, "multiple of 500"),
    "lapsed points make it short": (lambda s, v: 1500, Conflict, "the balance is 1000 pt"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_exchange_writes_nothing(session, volunteer, fund, case):
    """Each refusal with points of FY2024 lapsed but not yet expired by the cron: an exchange
    expires them first only once it is allowed, so a refusal leaves no expiry behind either."""
    v, _ = volunteer
    fund(v, 500, start=tokyo(2024, 10, 1))  # FY2024: lapsed on 2026-04-01, cron not run
    fund(v, 1000, start=tokyo(2026, 4, 10))  # FY2026: spendable
    set_up, refusal, says = REFUSALS[case]
    points = set_up(session, v)
    before = ledger_rows(session)
    with pytest.raises(refusal, match=says):
        vouchers.exchange(
            session, volunteer_id=v.id, points=points, idempotency_key="k", secret=SECRET, now=MAY
        )
    assert ledger_rows(session) == before


def test_a_volunteer_who_never_earned_is_refused_without_an_account_being_made(session, volunteer):
    v, _ = volunteer
    before = ledger_rows(session)
    with pytest.raises(Conflict, match="the balance is 0 pt"):
        vouchers.exchange(
            session, volunteer_id=v.id, points=500, idempotency_key="k", secret=SECRET, now=MAY
        )
    assert ledger_rows(session) == before
