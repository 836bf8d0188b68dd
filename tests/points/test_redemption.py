"""Redeeming vouchers at partner shops, the monthly settlement and its CSV, shop keys."""

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from access.models import ApiToken
from db import Conflict
from points import accounts, expiry, point_rules, redemption, settlement, vouchers
from points import rules as calendar
from points.models import Account, Redemption
from tests.points.conftest import SECRET, exchange_via_api, tokyo


@pytest.fixture
def voucher(api, volunteer, fund):
    """A fresh 500 pt voucher's code, issued through the API."""
    v, token = volunteer
    fund(v, 1000)
    return exchange_via_api(api, v.id, token, 500, "voucher-1").get_json()["code"]


def redeem(api, key, code):
    return api.post("/api/v1/redemptions", {"code": code}, token=key)


def test_a_shop_redeems_a_voucher_once(api, session, voucher, make_shop):
    shop, key = make_shop()
    response = redeem(api, key, voucher)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["value_yen"] == 500 and body["shop_id"] == shop.id
    assert body["code_tail"] == voucher[-4:]
    assert dt.datetime.fromisoformat(body["redeemed_at"]).utcoffset() == dt.timedelta(hours=9)
    again = redeem(api, key, voucher)
    assert again.status_code == 409
    assert "already redeemed at" in again.get_json()["message"]
    _, other_key = make_shop()
    assert redeem(api, other_key, voucher).status_code == 409
    payable = session.scalar(select(Account.balance).where(Account.shop_id == shop.id))
    assert payable == 500


def test_typed_codes_are_normalised(api, voucher, make_shop):
    _, key = make_shop()
    typed = " " + voucher.lower().replace("-", " ").replace("0", "o").replace("1", "l") + " "
    assert redeem(api, key, typed).status_code == 201


def test_bad_codes_are_422_and_unknown_codes_404(api, make_shop):
    _, key = make_shop()
    bad = redeem(api, key, "0000-0000-0000-0001")
    assert bad.status_code == 422
    assert "check symbol" in bad.get_json()["errors"]["json"]["code"][0]
    assert redeem(api, key, "ABC").status_code == 422
    assert redeem(api, key, "0000-0000-0000-0000").status_code == 404


def test_the_shop_comes_from_the_key_never_the_body(api, voucher, make_shop):
    _, key = make_shop()
    response = api.post("/api/v1/redemptions", {"code": voucher, "shop_id": 1}, token=key)
    assert response.status_code == 422
    assert "shop_id" in response.get_json()["errors"]["json"]


def test_unknown_and_revoked_keys_get_the_same_401(api, session, voucher, make_shop, volunteer):
    shop, key = make_shop()
    unknown = redeem(api, "not-a-key", voucher)
    for token in session.scalars(select(ApiToken).where(ApiToken.shop_id == shop.id)):
        token.revoked_at = dt.datetime.now(dt.UTC)
    session.flush()
    revoked = redeem(api, key, voucher)
    assert unknown.status_code == revoked.status_code == 401
    assert unknown.get_json() == revoked.get_json()
    assert redeem(api, None, voucher).status_code == 401
    assert redeem(api, volunteer[1], voucher).status_code == 403


def test_an_expired_voucher_is_409(session, volunteer, fund, make_shop):
    v, _ = volunteer
    fund(v, 500)
    issued = vouchers.exchange(
        session,
        volunteer_id=v.id,
        points=500,
        idempotency_key="k",
        secret=SECRET,
        now=dt.datetime.now(dt.UTC),
    )
    shop, _ = make_shop()
    late = issued.expires_at + dt.timedelta(seconds=1)
    with pytest.raises(Conflict, match="expired at"):
        redemption.redeem(session, shop_id=shop.id, code=issued.code, secret=SECRET, now=late)
    expiry.expire(session, now=late)
    with pytest.raises(Conflict, match="expired at"):
        redemption.redeem(session, shop_id=shop.id, code=issued.code, secret=SECRET, now=late)


def test_a_voucher_keeps_its_value_and_expiry_when_the_rules_change(
    session, volunteer, fund, make_shop
):
    v, _ = volunteer
    fund(v, 1000, start=tokyo(2026, 5, 1))
    issued_at = tokyo(2026, 6, 1)
    kept, other = (
        vouchers.exchange(
            session, volunteer_id=v.id, points=500, idempotency_key=k, secret=SECRET, now=issued_at
        )
        for k in ("kept", "other")
    )
    ends = issued_at + dt.timedelta(days=180)
    point_rules.update_rules(
        session,
        changes={"voucher_yen_per_point": 3, "voucher_valid_days": 30},
        updated_by="admin:1",
        now=tokyo(2026, 6, 2),
    )
    shop, _ = make_shop()
    # day 100: past the new 30 days, within the 180 the voucher was issued with
    day_100 = issued_at + dt.timedelta(days=100)
    assert expiry.expire(session, now=day_100).vouchers_expired == 0
    paid = redemption.redeem(session, shop_id=shop.id, code=kept.code, secret=SECRET, now=day_100)
    assert (paid.points, paid.value_yen) == (500, 500)
    [line] = settlement.settlement(session, month=calendar.month_of(day_100), shop_id=shop.id)
    assert (line.count, line.total_yen) == (1, 500)
    # a longer validity later does not lengthen a voucher already issued either
    point_rules.update_rules(
        session, changes={"voucher_valid_days": 365}, updated_by="admin:1", now=day_100
    )
    session.refresh(other.voucher)
    assert (other.voucher.value_yen, other.voucher.expires_at) == (500, ends)
    assert expiry.expire(session, now=ends).vouchers_expired == 1
    with pytest.raises(Conflict, match="expired at"):
        redemption.redeem(session, shop_id=shop.id, code=other.code, secret=SECRET, now=ends)


def test_admin_registers_shops_with_a_key_shown_once(api, session, admin, coordinator, voucher):
    created = api.post(
        "/api/v1/shops", {"name": "三軒茶屋 青果店", "address": "世田谷区三軒茶屋"}, token=admin
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["id"] and len(body["api_key"]) >= 40
    stored = session.scalar(select(ApiToken).where(ApiToken.shop_id == body["id"]))
    assert stored.role == "shop" and stored.token_hash != body["api_key"]
    assert (
        api.post("/api/v1/shops", {"name": "x", "address": "y"}, token=coordinator).status_code
        == 403
    )
    assert api.post("/api/v1/shops", {"name": "", "address": "y"}, token=admin).status_code == 422
    listed = api.get("/api/v1/shops", token=admin).get_json()
    assert "api_key" not in listed["items"][0]
    rotated = api.post(f"/api/v1/shops/{body['id']}/api-key", token=admin)
    assert rotated.status_code == 201
    assert redeem(api, body["api_key"], voucher).status_code == 401
    assert redeem(api, rotated.get_json()["api_key"], voucher).status_code == 201


def _voucher_codes(session, v, n, now):
    return [
        vouchers.exchange(
            session, volunteer_id=v.id, points=500, idempotency_key=f"m{i}", secret=SECRET, now=now
        ).code
        for i in range(n)
    ]


def test_the_monthly_settlement_reconciles_with_each_shops_payable(
    api, session, admin, volunteer, fund, make_shop
):
    v, _ = volunteer
    fund(v, 2500, start=tokyo(2026, 8, 1))
    codes_ = _voucher_codes(session, v, 5, tokyo(2026, 9, 1))
    (a, key_a), (b, _) = make_shop("A店"), make_shop("B店")
    # 23:59 on 30 November in Tokyo is November's; 00:01 on 1 December is December's
    redemption.redeem(
        session, shop_id=a.id, code=codes_[0], secret=SECRET, now=tokyo(2026, 11, 30, 23, 59)
    )
    redemption.redeem(
        session, shop_id=a.id, code=codes_[1], secret=SECRET, now=tokyo(2026, 12, 1, 0, 1)
    )
    redemption.redeem(session, shop_id=b.id, code=codes_[2], secret=SECRET, now=tokyo(2026, 12, 5))
    redemption.redeem(session, shop_id=a.id, code=codes_[3], secret=SECRET, now=tokyo(2026, 12, 6))

    own = api.get("/api/v1/redemptions?month=2026-12", token=key_a).get_json()
    assert own["total_yen"] == 1000 and own["count"] == 2
    assert {item["shop_id"] for item in own["items"]} == {a.id}
    sneaky = api.get(f"/api/v1/redemptions?month=2026-12&shop_id={b.id}", token=key_a).get_json()
    assert {item["shop_id"] for item in sneaky["items"]} == {a.id}

    everything = api.get("/api/v1/redemptions?month=2026-12", token=admin).get_json()
    assert everything["total_yen"] == 1500 and everything["total"] == 3
    by_shop = {s["shop_id"]: s for s in everything["shops"]}
    assert by_shop[a.id]["total_yen"] == 1000 and by_shop[b.id]["total_yen"] == 500
    # each shop's payable account holds every month's redemptions
    november = api.get("/api/v1/redemptions?month=2026-11", token=admin).get_json()
    assert november["total_yen"] == 500
    assert by_shop[a.id]["payable_balance"] == 1500 == november["total_yen"] + 1000
    one = api.get(f"/api/v1/redemptions?month=2026-12&shop_id={b.id}", token=admin).get_json()
    assert one["total_yen"] == 500
    paged = api.get("/api/v1/redemptions?month=2026-12&page_size=1&page=2", token=admin).get_json()
    assert len(paged["items"]) == 1 and paged["total_yen"] == 1500

    response = api.get("/api/v1/redemptions.csv?month=2026-12", token=admin)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "settlement-2026-12.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "精算月" and rows[0][-1] == "金額(円)"
    assert [r[2] for r in rows[1:]] == ["A店", "B店", "合計"]
    assert rows[-1][-1] == "1500"
    assert api.get("/api/v1/redemptions.csv?month=2026-12", token=key_a).status_code == 403
    assert api.get("/api/v1/redemptions.csv", token=admin).status_code == 422


def test_settlement_needs_a_shop_or_admin_and_a_real_month(api, coordinator, admin, volunteer):
    assert api.get("/api/v1/redemptions", token=coordinator).status_code == 403
    assert api.get("/api/v1/redemptions", token=volunteer[1]).status_code == 403
    assert api.get("/api/v1/redemptions").status_code == 401
    assert api.get("/api/v1/redemptions?month=2026-13", token=admin).status_code == 422
    empty = api.get("/api/v1/redemptions", token=admin).get_json()
    assert empty["total_yen"] == 0 and empty["items"] == []


def test_redemption_moves_liability_to_the_shop(session, volunteer, fund, make_shop):
    v, _ = volunteer
    fund(v, 500)
    now = dt.datetime.now(dt.UTC)
    code = _voucher_codes(session, v, 1, now)[0]
    liability = accounts.system_account_id(session, "voucher_liability")
    before = session.scalar(select(Account.balance).where(Account.id == liability))
    shop, _ = make_shop()
    redeemed = redemption.redeem(session, shop_id=shop.id, code=code, secret=SECRET, now=now)
    assert redeemed.voucher.status == "redeemed"
    assert session.scalar(select(Account.balance).where(Account.id == liability)) == before - 500
    assert session.scalar(select(func.count()).select_from(Redemption)) >= 1


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+81 世田谷", "'+81 世田谷"),
        ("-1", "'-1"),
        ("@SUM", "'@SUM"),
        ("三軒茶屋 青果店", "三軒茶屋 青果店"),
    ],
)
def test_settlement_csv_cells_cannot_become_formulas(text, cell):
    from api.shops import _cell

    assert _cell(text) == cell
