"""The ward's admin sets the service up in a real browser: adds 見守り and 通院付き添い, changes
a point rule after a wrong entry, registers a shop and hands over its key (shown once), and adds
an SC who then signs in. Every settings page passes axe and is saved as a screenshot, on a
desktop and at 360 px."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from playwright.sync_api import Browser, Page, expect

from points import shops
from tests.e2e.conftest import PASSWORD, PHONE, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in


def look(page: Page, name: str) -> None:
    """The page fits its width with big targets, passes axe, and is saved as NAME.png."""
    page.wait_for_function(
        "[...document.styleSheets].some(s => (s.href || '').endsWith('/settings.css')"
        " && s.cssRules.length > 0)"
    )
    assert_fits(page)
    assert_accessible(page)
    screenshot(page, name)


def add_category(page: Page, label: str, code: str, minutes: str, points: str) -> None:
    page.get_by_role("link", name="種類を追加する").click()
    page.get_by_label(re.compile("^名前")).fill(label)
    page.get_by_label(re.compile("^記号")).fill(code)
    page.get_by_label("かかる時間（分）").fill(minutes)
    page.get_by_label(re.compile("^ポイント")).fill(points)


def test_an_admin_sets_up_categories_rules_a_shop_and_an_sc_who_then_signs_in(
    page: Page, browser: Browser, live: LiveServer
):
    admin = live.make_staff(role="admin")
    page.goto(live.url + "/login")
    sign_in(page, admin.name, PASSWORD)
    page.get_by_role("link", name=re.compile("区の設定")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("区の設定")
    look(page, "settings")

    # 見守り, open to おためし volunteers; the first try forgets the points
    page.get_by_role("link", name="活動の種類").first.click()
    look(page, "settings-categories")
    add_category(page, "見守り", "mimamori", "30", "")
    page.get_by_label("おためしボランティアも選べる").check()
    look(page, "settings-category-new")
    page.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("alert")).to_contain_text("直してほしいところがあります")
    expect(page.locator("#points-error")).to_have_text(
        "⚠ ポイントを入力してください。".lstrip("⚠ ")
    )
    look(page, "settings-category-error")
    page.get_by_label(re.compile("^ポイント")).fill("50")
    page.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("status")).to_have_text("「見守り」を追加しました。")

    # 通院付き添い: two hours, for registered volunteers who do the shopping
    add_category(page, "通院付き添い", "escort", "120", "200")
    page.get_by_label("新しい技能の名前").fill("付き添いの経験")
    page.get_by_label("新しい技能の記号（英字）").fill("escort")
    page.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("status")).to_have_text("「通院付き添い」を追加しました。")
    escort = page.get_by_role("listitem").filter(has_text="通院付き添い")
    expect(escort).to_contain_text("120分")
    expect(escort).to_contain_text("付き添いの経験")
    look(page, "settings-categories-added")
    page.get_by_role("link", name=re.compile(r"^変更\s*（見守り）$")).click()
    expect(page.get_by_label(re.compile("^名前"))).to_have_value("見守り")
    look(page, "settings-category-edit")

    # a point rule, after a wrong entry named next to its field
    page.get_by_role("link", name="ポイントのきまり").click()
    look(page, "settings-rules")
    page.get_by_label("商品券の有効期限（日）").fill("0")
    page.get_by_role("button", name="変更する").click()
    expect(page.locator("#voucher_valid_days-error")).to_have_text(
        "1〜3,660の数で入力してください。"
    )
    look(page, "settings-rules-error")
    page.get_by_label("商品券の有効期限（日）").fill("365")
    page.get_by_role("button", name="変更する").click()
    expect(page.get_by_role("status")).to_contain_text("ポイントのきまりを変更しました")

    # a shop: its key is shown once, and signs the shop in at its counter
    shop_name = f"三軒茶屋 青果店 {uuid.uuid4().hex[:4]}"
    page.get_by_role("link", name="協力店").click()
    look(page, "settings-shops")
    page.get_by_role("link", name="お店を登録する").click()
    page.get_by_label("お店の名前").fill(shop_name)
    page.get_by_label("住所").fill("世田谷区三軒茶屋1-1-1")
    look(page, "settings-shop-new")
    page.get_by_role("button", name="登録する").click()
    key = page.locator("#shop-key").inner_text().strip()
    assert len(key) >= 40
    look(page, "settings-shop-key")
    page.get_by_role("link", name="協力店の一覧へ").click()
    expect(page.get_by_role("heading", name=shop_name)).to_be_visible()
    assert key not in page.content()
    page.get_by_role("link", name=re.compile(rf"^キーを発行し直す\s*（{shop_name}）$")).click()
    look(page, "settings-shop-rotate")

    counter = browser.new_context(locale="ja-JP").new_page()
    counter.goto(live.url + "/shop/login")
    counter.get_by_label("お店のキー").fill(key)
    counter.get_by_role("button", name="ログイン").click()
    expect(counter.get_by_text(shop_name)).to_be_visible()

    # an SC: added with a password, then signs in on their own browser
    sc_name = f"sc-{uuid.uuid4().hex[:6]}"
    page.get_by_role("link", name="職員").click()
    look(page, "settings-staff")
    page.get_by_role("link", name="職員を追加する").click()
    page.get_by_label("ログイン名").fill(sc_name)
    page.get_by_label("役割").select_option(label="生活支援コーディネーター")
    page.get_by_label(re.compile("^パスワード ※")).fill("taishido-4-chome")
    page.get_by_label("パスワード（確認）").fill("taishido-4-chome")
    look(page, "settings-staff-new")
    page.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("status")).to_contain_text(f"「{sc_name}」を追加しました")
    page.get_by_role("link", name=re.compile(rf"^パスワードを設定\s*（{sc_name}）$")).click()
    look(page, "settings-staff-password")
    page.get_by_role("link", name="やめる").click()
    page.get_by_role("link", name=re.compile(rf"^利用停止\s*（{sc_name}）$")).click()
    look(page, "settings-staff-disable")

    sc = browser.new_context(locale="ja-JP").new_page()
    sc.goto(live.url + "/login")
    sign_in(sc, sc_name, "taishido-4-chome")
    expect(sc.get_by_role("heading", level=1)).to_have_text(f"{sc_name} さん")
    sc.goto(live.url + "/settings/")
    expect(sc.get_by_role("heading", level=1)).to_have_text("このページは使えません")
    assert_accessible(sc)

    # 見守り is offered on the おためし form; 通院付き添い is not
    sc.goto(live.url + "/trial")
    expect(sc.get_by_label("見守り（30分ほど・50ポイント）")).to_be_visible()
    expect(sc.get_by_text("通院付き添い")).to_have_count(0)
    counter.context.close()
    sc.context.close()


def test_every_settings_page_fits_a_phone(phone: Page, live: LiveServer):
    admin = live.make_staff(role="admin")
    sc = live.make_staff()
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        shop, _ = shops.create_shop(
            session, name="下北沢 書店", address="世田谷区北沢2-1", now=dt.datetime.now(dt.UTC)
        )
    assert phone.viewport_size == PHONE
    phone.goto(live.url + "/login")
    sign_in(phone, admin.name, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{admin.name} さん")
    for path, name in [
        ("/settings/", "settings-360"),
        ("/settings/categories", "settings-categories-360"),
        ("/settings/categories/new", "settings-category-new-360"),
        ("/settings/categories/shopping/edit", "settings-category-edit-360"),
        ("/settings/point-rules", "settings-rules-360"),
        ("/settings/shops", "settings-shops-360"),
        ("/settings/shops/new", "settings-shop-new-360"),
        (f"/settings/shops/{shop.id}/key", "settings-shop-rotate-360"),
        ("/settings/staff", "settings-staff-360"),
        ("/settings/staff/new", "settings-staff-new-360"),
        (f"/settings/staff/{sc.id}/password", "settings-staff-password-360"),
        (f"/settings/staff/{sc.id}/disable", "settings-staff-disable-360"),
    ]:
        phone.goto(live.url + path)
        look(phone, name)
    # a new key on a phone: long, but it wraps inside the screen
    phone.goto(live.url + f"/settings/shops/{shop.id}/key")
    phone.get_by_role("button", name="発行し直す").click()
    expect(phone.locator("#shop-key")).to_be_visible()
    look(phone, "settings-shop-key-360")
    # a form sent with mistakes, at 360 px
    phone.goto(live.url + "/settings/staff/new")
    phone.get_by_role("button", name="追加する").click()
    expect(phone.locator("#name-error")).to_have_text("ログイン名を入力してください。")
    look(phone, "settings-staff-error-360")
