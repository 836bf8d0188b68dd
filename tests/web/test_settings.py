"""Ward settings through the test client: an admin adds and changes task categories, changes
the point rules, registers shops and hands over their keys, and manages staff sign-ins. An SC
gets a page that says no."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.models import ApiToken, User
from access.tokens import new_token
from matching.models import Category
from points.point_rules import get_rules
from points.shops import create_shop
from tests.web.conftest import PASSWORD, Visitor, csrf_token

MIMAMORI = {
    "label_ja": "見守り",
    "code": "mimamori",
    "duration_min": "30",
    "points": "50",
    "trial_ok": "y",
}


@pytest.fixture
def admin_visitor(visitor: Visitor, make_staff) -> Visitor:
    make_staff(name="ward-admin", role="admin")
    assert visitor.sign_in("ward-admin").status_code == 303
    return visitor


def category(session: Session, code: str) -> Category | None:
    session.expire_all()
    return session.scalar(select(Category).where(Category.code == code))


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="field__error" id="([^"]+)-error">', html)


PAGES = [
    "/settings/",
    "/settings/categories",
    "/settings/categories/new",
    "/settings/categories/garbage/edit",
    "/settings/point-rules",
    "/settings/shops",
    "/settings/shops/new",
    "/settings/staff",
    "/settings/staff/new",
]


@pytest.mark.parametrize("path", PAGES)
def test_an_sc_is_refused_every_settings_page(visitor: Visitor, make_staff, path):
    make_staff(name="sc-kitazawa", role="coordinator")
    visitor.sign_in("sc-kitazawa")
    answer = visitor.get(path)
    assert answer.status_code == 403
    assert "このページは使えません" in answer.text


@pytest.mark.parametrize("path", PAGES)
def test_someone_not_signed_in_is_sent_to_sign_in(visitor: Visitor, path):
    answer = visitor.get(path)
    assert answer.status_code == 302
    assert answer.location.startswith("/login?next=")


@pytest.mark.parametrize("path", PAGES)
def test_an_admin_sees_every_settings_page_in_japanese(admin_visitor: Visitor, path):
    answer = admin_visitor.get(path)
    assert answer.status_code == 200
    assert '<html lang="ja">' in answer.text
    assert "/assets/settings.css" in answer.text


def test_the_home_page_links_to_the_settings_for_an_admin_only(visitor: Visitor, make_staff):
    make_staff(name="sc-kitazawa", role="coordinator")
    visitor.sign_in("sc-kitazawa")
    assert "/settings/" not in visitor.get("/").text
    visitor.client.post("/logout", data={"csrf_token": csrf_token(visitor.get("/").text)})
    make_staff(name="ward-admin", role="admin")
    visitor.sign_in("ward-admin")
    assert 'href="/settings/"' in visitor.get("/").text


def test_an_admin_adds_mimamori_with_a_new_skill_and_it_is_offered_to_trial_volunteers(
    admin_visitor: Visitor, session: Session
):
    assert 'value="mimamori"' not in admin_visitor.get("/trial").text
    added = admin_visitor.submit(
        "/settings/categories/new",
        {**MIMAMORI, "new_skill_label": "見守りの経験", "new_skill_code": "watching"},
    )
    assert added.status_code == 303, errors(added.text)
    assert added.location == "/settings/categories"
    listed = admin_visitor.get("/settings/categories").text
    assert "「見守り」を追加しました。" in listed
    saved = category(session, "mimamori")
    assert saved is not None
    assert (saved.label_ja, saved.duration_min, saved.points, saved.trial_ok) == (
        "見守り",
        30,
        50,
        True,
    )
    assert saved.required_skills == ["watching"]
    assert "見守り（30分ほど・50ポイント）" in admin_visitor.get("/trial").text


def test_an_admin_adds_an_escort_category_for_registered_volunteers_with_a_skill(
    admin_visitor: Visitor, session: Session, api
):
    added = admin_visitor.submit(
        "/settings/categories/new",
        {
            "label_ja": "通院付き添い",
            "code": "escort",
            "duration_min": "１２０",  # full-width digits, as a Japanese keyboard types them
            "points": "200",
            "skills": "shopping",
        },
    )
    assert added.status_code == 303, errors(added.text)
    escort = next(c for c in api.get("/api/v1/categories").json["items"] if c["code"] == "escort")
    assert escort == {
        "code": "escort",
        "label_ja": "通院付き添い",
        "duration_min": 120,
        "points": 200,
        "trial_ok": False,
        "required_skills": ["shopping"],
    }
    assert 'value="escort"' not in admin_visitor.get("/trial").text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"label_ja": ""}, "label_ja", "名前を入力してください。"),
        ({"label_ja": "　"}, "label_ja", "名前を入力してください。"),
        ({"code": "見守り"}, "code", "英小文字で始まる"),
        ({"duration_min": "0"}, "duration_min", "1〜480の数で入力してください。"),
        ({"duration_min": "三十"}, "duration_min", "数字で入力してください"),
        ({"points": ""}, "points", "ポイントを入力してください。"),
        ({"points": "5000"}, "points", "1〜1,000の数で入力してください。"),
        ({"label_ja": "ゴミ出し"}, "label_ja", "この名前の種類は、もうあります。"),
        ({"code": "garbage"}, "code", "この記号は、ほかの種類で使われています。"),
        ({"skills": "flying"}, "skills", "選べない項目が含まれています。"),
        ({"new_skill_code": "watching"}, "new_skill_code", "名前と記号の両方"),
        (
            {"new_skill_code": "ladder", "new_skill_label": "はしご"},
            "new_skill_code",
            "この記号の技能は、もうあります。",
        ),
    ],
)
def test_a_wrong_category_field_is_named_in_japanese_and_nothing_is_saved(
    admin_visitor: Visitor, session: Session, change, field, message
):
    answer = admin_visitor.submit("/settings/categories/new", {**MIMAMORI, **change})
    assert answer.status_code == 422
    assert errors(answer.text) == [field]
    assert message in answer.text
    assert category(session, "mimamori") is None


def test_an_admin_changes_a_category_but_not_its_code(admin_visitor: Visitor, session: Session):
    form = admin_visitor.get("/settings/categories/light_bulb/edit").text
    assert 'value="電球交換"' in form
    assert re.findall(r'<input checked[^>]* name="skills" [^>]*value="([a-z_]+)"', form) == [
        "ladder"
    ]
    changed = admin_visitor.submit(
        "/settings/categories/light_bulb/edit",
        {
            "label_ja": "電球・蛍光灯の交換",
            "code": "hacked",
            "duration_min": "45",
            "points": "80",
            "skills": "ladder",
            "trial_ok": "y",
        },
    )
    assert changed.status_code == 303, errors(changed.text)
    bulb = category(session, "light_bulb")
    assert bulb is not None
    assert (bulb.label_ja, bulb.duration_min, bulb.points, bulb.trial_ok) == (
        "電球・蛍光灯の交換",
        45,
        80,
        True,
    )
    assert bulb.required_skills == ["ladder"]
    assert category(session, "hacked") is None


def test_an_unknown_category_has_no_edit_page(admin_visitor: Visitor):
    assert admin_visitor.get("/settings/categories/nothing/edit").status_code == 404


def test_only_a_category_no_request_used_can_be_deleted(
    admin_visitor: Visitor, session: Session, make_help_request
):
    admin_visitor.submit("/settings/categories/new", MIMAMORI)
    make_help_request(category="garbage")
    listed = admin_visitor.get("/settings/categories").text
    assert 'action="/settings/categories/mimamori/delete"' in listed
    assert 'action="/settings/categories/garbage/delete"' not in listed
    deleted = admin_visitor.submit(
        "/settings/categories/mimamori/delete", {}, form_at="/settings/categories"
    )
    assert deleted.status_code == 303
    assert category(session, "mimamori") is None
    kept = admin_visitor.submit(
        "/settings/categories/garbage/delete", {}, form_at="/settings/categories"
    )
    assert kept.status_code == 303
    assert "依頼で使われているため削除できません" in admin_visitor.get(kept.location).text
    assert category(session, "garbage") is not None


RULES = {
    "daily_cap": "300",
    "annual_exchange_cap": "6000",
    "voucher_unit": "500",
    "voucher_yen_per_point": "1",
    "voucher_valid_days": "365",
}


def test_an_admin_changes_the_point_rules(admin_visitor: Visitor, session: Session):
    form = admin_visitor.get("/settings/point-rules").text
    assert 'value="200"' in form  # the daily cap as it is
    changed = admin_visitor.submit("/settings/point-rules", RULES)
    assert changed.status_code == 303
    assert "ポイントのきまりを変更しました" in admin_visitor.get(changed.location).text
    session.expire_all()
    rules = get_rules(session)
    assert (rules.daily_cap, rules.annual_exchange_cap, rules.voucher_valid_days) == (
        300,
        6000,
        365,
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"daily_cap": "-1"}, "daily_cap", "0〜10,000の数で入力してください。"),
        ({"voucher_unit": "0"}, "voucher_unit", "1〜100,000の数で入力してください。"),
        ({"voucher_valid_days": "十"}, "voucher_valid_days", "数字で入力してください"),
        ({"voucher_yen_per_point": ""}, "voucher_yen_per_point", "数を入力してください。"),
    ],
)
def test_a_wrong_point_rule_is_named_in_japanese_and_nothing_changes(
    admin_visitor: Visitor, session: Session, change, field, message
):
    answer = admin_visitor.submit("/settings/point-rules", {**RULES, **change})
    assert answer.status_code == 422
    assert errors(answer.text) == [field]
    assert message in answer.text
    session.expire_all()
    assert get_rules(session).daily_cap == 200


def test_an_admin_registers_a_shop_and_sees_its_key_once(admin_visitor: Visitor, visitor_shop):
    answer = admin_visitor.submit(
        "/settings/shops/new", {"name": "三軒茶屋 青果店", "address": "世田谷区三軒茶屋1-1-1"}
    )
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    key = re.search(r'<p class="settings-key" id="shop-key">([^<]+)</p>', answer.text).group(1)
    assert key not in admin_visitor.get("/settings/shops").text
    assert "三軒茶屋 青果店" in admin_visitor.get("/settings/shops").text
    # the shop signs in at the counter with it
    assert visitor_shop.submit("/shop/login", {"key": key}).status_code == 303


def test_a_rotated_key_replaces_the_old_one(admin_visitor: Visitor, session: Session, visitor_shop):
    shop, old = create_shop(session, name="下北沢 書店", address="世田谷区北沢2-1", now=_now())
    assert visitor_shop.submit("/shop/login", {"key": old}).status_code == 303
    confirm = admin_visitor.get(f"/settings/shops/{shop.id}/key")
    assert "いまのキーはすぐに使えなくなり" in confirm.text
    answer = admin_visitor.submit(f"/settings/shops/{shop.id}/key", {})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    new = re.search(r'id="shop-key">([^<]+)</p>', answer.text).group(1)
    assert new != old
    # the signed-in counter is signed out, and the old key no longer signs in
    assert visitor_shop.get("/shop/").status_code == 302
    assert visitor_shop.submit("/shop/login", {"key": old}).status_code == 200
    assert visitor_shop.submit("/shop/login", {"key": new}).status_code == 303
    assert admin_visitor.get("/settings/shops/999999/key").status_code == 404


def test_the_shops_page_shows_this_months_redemptions_per_shop(
    admin_visitor: Visitor, session: Session
):
    create_shop(session, name="下北沢 書店", address="世田谷区北沢2-1", now=_now())
    page = admin_visitor.get("/settings/shops").text
    assert "の受け付け 合計 <strong>0円</strong>" in page
    assert "0件" in page


def test_an_admin_adds_an_sc_who_then_signs_in(admin_visitor: Visitor, session: Session, app):
    added = admin_visitor.submit(
        "/settings/staff/new",
        {
            "name": "sc-taishido",
            "role": "coordinator",
            "password": "taishido-4-chome",
            "confirm": "taishido-4-chome",
        },
    )
    assert added.status_code == 303
    assert "「sc-taishido」を追加しました" in admin_visitor.get(added.location).text
    user = session.scalar(select(User).where(User.name == "sc-taishido"))
    assert user is not None and user.role == "coordinator"
    assert user.password_hash.startswith("scrypt:")
    other = Visitor(app.test_client())
    assert other.sign_in("sc-taishido", "taishido-4-chome").status_code == 303
    assert other.get("/settings/").status_code == 403


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "ログイン名を入力してください。"),
        ({"name": "ward-admin"}, "name", "このログイン名は、もう使われています。"),
        ({"role": ""}, "role", "役割を入力してください。"),
        ({"role": "volunteer"}, "role", "一覧の中から選んでください。"),
        ({"password": "short", "confirm": "short"}, "password", "12文字以上"),
        ({"confirm": "something-else"}, "confirm", "同じパスワードをもう一度"),
    ],
)
def test_a_wrong_staff_field_is_named_in_japanese(
    admin_visitor: Visitor, session: Session, change, field, message
):
    body = {"name": "sc-new", "role": "coordinator", "password": PASSWORD, "confirm": PASSWORD}
    answer = admin_visitor.submit("/settings/staff/new", {**body, **change})
    assert answer.status_code == 422
    assert errors(answer.text) == [field]
    assert message in answer.text
    assert session.scalar(select(User).where(User.name == "sc-new")) is None


def test_an_admin_gives_an_sc_a_new_password(admin_visitor: Visitor, make_staff, app):
    sc = make_staff(name="sc-kitazawa")
    theirs = Visitor(app.test_client())
    theirs.sign_in("sc-kitazawa")
    new = "kitazawa-3-chome-new"
    answer = admin_visitor.submit(
        f"/settings/staff/{sc.id}/password", {"password": new, "confirm": new}
    )
    assert answer.status_code == 303
    # their old sign-in ends; the new password works, the old does not
    assert theirs.get("/").status_code == 302
    assert Visitor(app.test_client()).sign_in("sc-kitazawa").status_code == 200
    assert Visitor(app.test_client()).sign_in("sc-kitazawa", new).status_code == 303
    assert admin_visitor.get("/settings/staff/999999/password").status_code == 404


def test_an_admin_stops_an_sc_from_signing_in_and_using_their_token(
    admin_visitor: Visitor, make_staff, session: Session, app, api
):
    sc = make_staff(name="sc-kitazawa")
    token, token_hash = new_token()
    session.add(ApiToken(token_hash=token_hash, role="coordinator", user_id=sc.id))
    session.flush()
    assert api.get("/api/v1/help-requests", token=token).status_code == 200
    admin = session.scalar(select(User).where(User.name == "ward-admin"))
    listed = admin_visitor.get("/settings/staff").text
    assert f"/settings/staff/{sc.id}/disable" in listed
    assert f"/settings/staff/{admin.id}/disable" not in listed
    stopped = admin_visitor.submit(f"/settings/staff/{sc.id}/disable", {})
    assert stopped.status_code == 303
    assert Visitor(app.test_client()).sign_in("sc-kitazawa").status_code == 200
    assert api.get("/api/v1/help-requests", token=token).status_code == 401
    # an admin cannot stop themselves
    assert admin_visitor.get(f"/settings/staff/{admin.id}/disable").status_code == 403


def test_every_settings_form_asks_for_the_csrf_token(admin_visitor: Visitor, session: Session):
    shop, _ = create_shop(session, name="下北沢 書店", address="世田谷区北沢2-1", now=_now())
    for path in [
        *PAGES[2:],
        "/settings/categories/garbage/delete",
        f"/settings/shops/{shop.id}/key",
    ]:
        if path.endswith(("/", "/categories", "/shops", "/staff")):
            continue
        assert admin_visitor.client.post(path, data={}).status_code == 400, path


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture
def visitor_shop(app) -> Visitor:
    return Visitor(app.test_client())
