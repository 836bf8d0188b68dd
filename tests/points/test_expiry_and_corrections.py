"""Expiry (FIFO by fiscal year earned; vouchers after their date), reversals, the balance view,
the rules endpoint, the commands, and the append-only ledger."""

import datetime as dt

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from db import Conflict
from matching.models import Assignment
from points import accounts, balances, credits, expiry, redemption, vouchers
from points.models import Account, Entry, PointRule, Transfer, Voucher
from tests.points.conftest import SECRET, completed_assignment, tokyo


def balance(session, volunteer):
    return session.scalar(select(Account.balance).where(Account.volunteer_id == volunteer.id))


def exchange(session, v, points, key, now):
    return vouchers.exchange(
        session, volunteer_id=v.id, points=points, idempotency_key=key, secret=SECRET, now=now
    )


def test_exchanges_spend_the_oldest_points_first(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 300, start=tokyo(2024, 10, 1))  # earned in FY2024
    fund(v, 200, start=tokyo(2025, 10, 1))  # earned in FY2025
    exchange(session, v, 500, "a", tokyo(2025, 12, 1))
    report = expiry.expire(session, now=tokyo(2026, 4, 1, 0, 0))
    assert report.points_expired == 0
    assert balance(session, v) == 0


def test_unspent_points_lapse_at_the_end_of_the_next_fiscal_year(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 600, start=tokyo(2024, 10, 1))  # FY2024
    fund(v, 200, start=tokyo(2025, 10, 1))  # FY2025
    exchange(session, v, 500, "a", tokyo(2025, 12, 1))  # spends 500 of FY2024's 600
    summary = balances.summary(session, volunteer_id=v.id, now=tokyo(2026, 3, 1))
    assert [(e.fiscal_year, e.points) for e in summary.expiring] == [(2024, 100), (2025, 200)]
    assert summary.expiring[0].expires_at == tokyo(2026, 4, 1, 0, 0)

    assert expiry.expire(session, now=tokyo(2026, 3, 31, 23, 59)).points_expired == 0
    report = expiry.expire(session, now=tokyo(2026, 4, 1, 0, 0))
    assert (report.points_expired, report.by_fiscal_year) == (100, {2024: 100})
    assert balance(session, v) == 200
    lapse = session.scalar(select(Transfer).where(Transfer.kind == "expire_points"))
    assert lapse.fiscal_year == 2024 and "2024年度" in lapse.reason
    expired = accounts.system_account_id(session, "expired")
    assert session.get(Account, expired).balance >= 100

    # running it again changes nothing
    count = session.scalar(select(func.count()).select_from(Entry))
    again = expiry.expire(session, now=tokyo(2026, 4, 2))
    assert again.points_expired == 0 and again.vouchers_expired == 0
    assert session.scalar(select(func.count()).select_from(Entry)) == count
    # a year later FY2025's points go too
    assert expiry.expire(session, now=tokyo(2027, 4, 1, 9)).by_fiscal_year == {2025: 200}
    assert balance(session, v) == 0


def test_unredeemed_vouchers_expire_into_the_expired_account(session, volunteer, fund, make_shop):
    v, _ = volunteer
    fund(v, 1000, start=tokyo(2026, 5, 1))
    kept = exchange(session, v, 500, "a", tokyo(2026, 6, 1))
    used = exchange(session, v, 500, "b", tokyo(2026, 6, 1))
    shop, _ = make_shop()
    redemption.redeem(
        session, shop_id=shop.id, code=used.code, secret=SECRET, now=tokyo(2026, 7, 1)
    )
    assert kept.expires_at == tokyo(2026, 6, 1) + dt.timedelta(days=180)
    assert (
        expiry.expire(session, now=kept.expires_at - dt.timedelta(seconds=1)).vouchers_expired == 0
    )
    report = expiry.expire(session, now=kept.expires_at)
    assert (report.vouchers_expired, report.voucher_points_expired) == (1, 500)
    session.refresh(kept.voucher)
    session.refresh(used.voucher)
    assert (kept.voucher.status, used.voucher.status) == ("expired", "redeemed")
    assert expiry.expire(session, now=kept.expires_at + dt.timedelta(days=1)).vouchers_expired == 0


def test_an_admin_reverses_a_credit_once_with_a_reason(
    api, session, admin, coordinator, volunteer, complete_task
):
    v, token = volunteer
    credit = complete_task(v, "shopping")
    url = f"/api/v1/transfers/{credit.id}/reverse"
    assert api.post(url, {"reason": "二重登録"}, token=coordinator).status_code == 403
    assert api.post(url, {}, token=admin).status_code == 422
    reversed_ = api.post(url, {"reason": "二重登録のため取消"}, token=admin)
    assert reversed_.status_code == 201
    body = reversed_.get_json()
    assert body["kind"] == "reversal" and body["reverses_id"] == credit.id
    assert body["created_by"].startswith("admin:")
    assert sorted(e["amount"] for e in body["entries"]) == [-100, 100]
    assert balance(session, v) == 0
    again = api.post(url, {"reason": "もう一度"}, token=admin)
    assert again.status_code == 409 and "already reversed" in again.get_json()["message"]
    history = api.get(f"/api/v1/volunteers/{v.id}/points", token=token).get_json()["entries"]
    assert history[0]["kind"] == "reversal" and "二重登録のため取消" in history[0]["what_for"]
    shown = api.get(f"/api/v1/transfers/{credit.id}", token=admin).get_json()
    assert shown["assignment_id"] == credit.assignment_id
    assert api.get("/api/v1/transfers/999999", token=admin).status_code == 404


def test_what_cannot_be_reversed(api, session, admin, volunteer, fund, complete_task):
    v, _ = volunteer
    fund(v, 500)
    issued = exchange(session, v, 500, "x", dt.datetime.now(dt.UTC))
    assert (
        api.post(
            f"/api/v1/transfers/{issued.transfer.id}/reverse", {"reason": "誤発行です"}, token=admin
        ).status_code
        == 409
    )
    spent = session.scalar(
        select(Transfer).where(Transfer.kind == "credit", Transfer.volunteer_id == v.id)
    )
    refused = api.post(f"/api/v1/transfers/{spent.id}/reverse", {"reason": "使用済み"}, token=admin)
    assert refused.status_code == 409 and "no longer covers" in refused.get_json()["message"]
    day = tokyo(2026, 12, 1, 8)
    for hour in range(3):
        last = complete_task(v, "shopping", day + dt.timedelta(hours=hour))
    assert last.entries == []
    assert (
        api.post(
            f"/api/v1/transfers/{last.id}/reverse", {"reason": "上限で零"}, token=admin
        ).status_code
        == 409
    )


def test_the_balance_view(api, session, coordinator, make_volunteer, complete_task):
    (v, token), (_, other) = make_volunteer(), make_volunteer(name="他人")
    day = tokyo(2026, 12, 1, 7)
    for hour in range(5):
        complete_task(v, "garbage", day + dt.timedelta(hours=hour))
    response = api.get(f"/api/v1/volunteers/{v.id}/points?page_size=2", token=token)
    assert response.status_code == 200
    body = response.get_json()
    assert body["balance"] == 200 and body["exchangeable"] == 0  # below one 500 pt unit
    assert body["total"] == 5 and len(body["entries"]) == 2 and body["pages"] == 3
    newest = body["entries"][0]
    assert newest["amount"] == 0 and newest["balance_after"] is None  # capped to nothing
    assert body["entries"][1]["what_for"] == "ゴミ出し 2026-12-01"
    assert body["entries"][1]["balance_after"] == 200
    assert api.get(f"/api/v1/volunteers/{v.id}/points", token=other).status_code == 404
    assert api.get(f"/api/v1/volunteers/{v.id}/points", token=coordinator).status_code == 200
    assert api.get(f"/api/v1/volunteers/{v.id}/points").status_code == 401
    assert api.get("/api/v1/volunteers/999999/points", token=coordinator).status_code == 404
    fresh = api.get(
        f"/api/v1/volunteers/{make_volunteer(name='新人')[0].id}/points", token=coordinator
    )
    assert fresh.get_json()["balance"] == 0 and fresh.get_json()["entries"] == []


def test_anyone_reads_the_rules_and_only_an_admin_changes_them(api, admin, coordinator):
    rules = api.get("/api/v1/point-rules").get_json()
    assert rules == {
        "daily_cap": 200,
        "annual_exchange_cap": 5000,
        "voucher_unit": 500,
        "voucher_yen_per_point": 1,
        "voucher_valid_days": 180,
    }
    assert (
        api.patch("/api/v1/point-rules", {"daily_cap": 300}, token=coordinator).status_code == 403
    )
    assert api.patch("/api/v1/point-rules", {"daily_cap": -1}, token=admin).status_code == 422
    assert api.patch("/api/v1/point-rules", {"voucher_unit": 0}, token=admin).status_code == 422
    assert api.patch("/api/v1/point-rules", {"nope": 1}, token=admin).status_code == 422
    changed = api.patch("/api/v1/point-rules", {"daily_cap": 300}, token=admin)
    assert changed.status_code == 200 and changed.get_json()["daily_cap"] == 300


def test_the_commands(app, session, volunteer, fund):
    v, _ = volunteer
    fund(v, 600, start=tokyo(2024, 10, 1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["points", "expire", "--now", "2026-04-01T00:00:00+09:00"])
    assert result.exit_code == 0, result.output
    assert "Expired 600 pt in 1 transfers (2024年度 600 pt)" in result.output
    again = runner.invoke(args=["points", "expire", "--now", "2026-04-01T00:00:00+09:00"])
    assert "Expired 0 pt in 0 transfers; 0 vouchers" in again.output
    assert runner.invoke(args=["points", "expire", "--now", "2026-04-01"]).exit_code != 0
    future = runner.invoke(args=["points", "expire", "--now", "2099-04-01T00:00:00+09:00"])
    assert future.exit_code != 0 and "future" in future.output
    checked = runner.invoke(args=["points", "check"])
    assert checked.exit_code == 0 and "invariants hold" in checked.output
    shown = runner.invoke(args=["points", "rules"])
    assert "daily_cap = 200" in shown.output and "category garbage" in shown.output

    # break the ledger on purpose (inside this test's transaction), then put it back
    account = session.scalar(select(Account).where(Account.volunteer_id == v.id))
    session.execute(
        update(Account).where(Account.id == account.id).values(balance=Account.balance + 1)
    )
    session.flush()
    broken = runner.invoke(args=["points", "check"])
    assert broken.exit_code == 1
    assert "balance_is_sum_of_entries" in broken.output
    session.execute(
        update(Account).where(Account.id == account.id).values(balance=Account.balance - 1)
    )
    session.flush()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entries SET amount = amount + 1",
        "DELETE FROM entries",
        "UPDATE transfers SET reason = 'changed'",
        "DELETE FROM transfers",
    ],
)
def test_ledger_rows_are_never_updated_or_deleted(session, volunteer, complete_task, statement):
    v, _ = volunteer
    complete_task(v, "shopping")
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="never updated or deleted"):
        session.execute(text(statement))
    savepoint.rollback()


def test_vouchers_keep_their_state_constraints(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 500)
    issued = exchange(session, v, 500, "c", dt.datetime.now(dt.UTC))
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="ck_vouchers_redeemed_stamp"):
        session.execute(update(Voucher).where(Voucher.id == issued.id).values(status="redeemed"))
    savepoint.rollback()
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="ck_accounts_balance_sign"):
        session.execute(update(Account).where(Account.volunteer_id == v.id).values(balance=-1))
    savepoint.rollback()


def test_lapsed_points_cannot_be_exchanged_before_cron_runs(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 500, start=tokyo(2024, 10, 1))  # fiscal 2024: lapses on 1 April 2026
    now = tokyo(2026, 4, 2)
    assert balances.summary(session, volunteer_id=v.id, now=now).exchangeable == 0
    with pytest.raises(Conflict):
        vouchers.exchange(
            session, volunteer_id=v.id, points=500, idempotency_key="late", secret=SECRET, now=now
        )


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("daily_cap", -1, "ck_point_rules_daily_cap_nonnegative"),
        ("annual_exchange_cap", -1, "ck_point_rules_annual_cap_nonnegative"),
        ("voucher_unit", 0, "ck_point_rules_voucher_unit_positive"),
        ("voucher_yen_per_point", 0, "ck_point_rules_yen_per_point_positive"),
        ("voucher_valid_days", 0, "ck_point_rules_valid_days_range"),
        ("voucher_valid_days", 3661, "ck_point_rules_valid_days_range"),
        ("id", 2, "ck_point_rules_single_row"),
    ],
)
def test_the_database_refuses_rules_out_of_range(session, column, value, constraint):
    """Past the API's validation: a direct UPDATE meets the CHECK constraint itself."""
    savepoint = session.begin_nested()
    with pytest.raises(IntegrityError, match=constraint):
        session.execute(update(PointRule).where(PointRule.id == 1).values({column: value}))
    savepoint.rollback()


def test_a_task_confirmed_after_its_years_points_lapsed_lapses_at_once(session, volunteer, fund):
    v, _ = volunteer
    fund(v, 600, start=tokyo(2024, 10, 1))  # FY2024
    assert expiry.expire(session, now=tokyo(2026, 4, 1, 0, 0)).by_fiscal_year == {2024: 600}
    fund(v, 500, start=tokyo(2026, 4, 10))  # FY2026
    may = tokyo(2026, 5, 11, 9)
    late = []
    for day in (20, 21):  # two 買い物 done in March 2025 (FY2024), confirmed only in May 2026
        assignment_id = completed_assignment(
            session, volunteer_id=v.id, category="shopping", completed_at=tokyo(2025, 3, day, 10)
        )
        session.get(Assignment, assignment_id).completed_at = may
        session.flush()
        late.append(credits.credit_completed_task(session, assignment_id=assignment_id, now=may))
    assert [(t.fiscal_year, t.entries) for t in late] == [(2024, []), (2024, [])]
    assert "2024年度のポイントは 2026-03-31 まで有効で失効済み" in late[0].reason
    assert "100 pt のうち 0 pt" in late[0].reason
    # recorded, so the task stays credited: a retry never credits it after all
    again = credits.credit_completed_task(session, assignment_id=late[0].assignment_id, now=may)
    assert again.id == late[0].id

    # not in the balance, and not exchangeable
    assert balance(session, v) == 500
    summary = balances.summary(session, volunteer_id=v.id, now=may)
    assert summary.exchangeable == 500
    assert [(e.fiscal_year, e.points) for e in summary.expiring] == [(2026, 500)]
    with pytest.raises(Conflict, match="the balance is 500 pt"):
        exchange(session, v, 1000, "too-much", may)

    # later expiry runs: FY2026's points lapse in 2028 and nothing is left after
    assert expiry.expire(session, now=tokyo(2027, 4, 1, 9)).points_expired == 0
    assert expiry.expire(session, now=tokyo(2028, 4, 1, 9)).by_fiscal_year == {2026: 500}
    assert balance(session, v) == 0
    assert balances.summary(session, volunteer_id=v.id, now=tokyo(2031, 5, 1)).exchangeable == 0
    with pytest.raises(Conflict, match="the balance is 0 pt"):
        exchange(session, v, 500, "in-2031", tokyo(2031, 5, 1))


def test_a_late_credit_before_the_expiry_run_lapses_at_once_too(session, volunteer):
    v, _ = volunteer
    assignment_id = completed_assignment(
        session, volunteer_id=v.id, category="shopping", completed_at=tokyo(2025, 3, 20, 10)
    )
    # FY2024's points lapsed at 2026-04-01 00:00 Tokyo, whether or not the cron has run since
    just_before = credits.credit_completed_task(
        session, assignment_id=assignment_id, now=tokyo(2026, 3, 31, 23, 59)
    )
    assert [e.amount for e in just_before.entries if e.amount > 0] == [100]
    late_id = completed_assignment(
        session, volunteer_id=v.id, category="shopping", completed_at=tokyo(2025, 3, 21, 10)
    )
    late = credits.credit_completed_task(
        session, assignment_id=late_id, now=tokyo(2026, 4, 1, 0, 0)
    )
    assert late.entries == [] and late.fiscal_year == 2024
    assert expiry.expire(session, now=tokyo(2026, 4, 1, 0, 1)).by_fiscal_year == {2024: 100}
    assert balance(session, v) == 0
