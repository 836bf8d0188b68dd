"""A shop clerk redeems a voucher at the counter, then tries the same code again, then a
mistyped one, in a real browser (and once more on a phone with JavaScript off)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from playwright.sync_api import Browser, Page, expect

from matching import services
from points import shops
from tests.conftest import ALL_WEEK
from tests.e2e.conftest import PHONE, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits
from tests.web.test_shop_counter import issue_voucher, mistype_check_symbol


def seed(live: LiveServer, vouchers: int = 1) -> tuple[str, str, list[str]]:
    """A partner shop and vouchers of 500円 made as the service makes them: a volunteer
    completes 買い物代行 tasks, is credited, and exchanges the points. Returns the shop's name,
    its key and the codes."""
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        name = f"三軒茶屋青果 {uuid.uuid4().hex[:4]}"
        _, key = shops.create_shop(
            session, name=name, address="世田谷区三軒茶屋1-1", now=dt.datetime.now(dt.UTC)
        )
        made = []
        for _ in range(vouchers):
            volunteer, _ = services.create_volunteer(
                session,
                name="佐藤 一郎",
                birth_year=1956,
                lat=35.6440,
                lon=139.6690,
                zone="太子堂",
                max_distance_m=1000,
                skills=["shopping"],
                availability=ALL_WEEK,
            )
            made.append(
                issue_voucher(
                    session, volunteer_id=volunteer.id, secret=live.app.config["SECRET_KEY"]
                )
            )
    return name, key, made


def sign_in(page: Page, key: str) -> None:
    page.get_by_label("お店のキー").fill(key)
    page.get_by_role("button", name="ログイン").click()


def redeem(page: Page, code: str) -> None:
    page.get_by_label("商品券のコード").fill(code)
    page.get_by_role("button", name="使用済みにする").click()


def test_a_shop_redeems_a_voucher_then_the_same_code_again_then_a_mistyped_one(
    page: Page, live: LiveServer
):
    name, key, (code,) = seed(live)
    page.goto(live.url + "/shop/")
    expect(page).to_have_url(re.compile(r"/shop/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("協力店のログイン")
    assert_accessible(page)
    screenshot(page, "shop-login")

    sign_in(page, "a-wrong-key")
    expect(page.get_by_role("alert")).to_have_text(
        "お店のキーが違います。もう一度入力してください。"
    )
    assert_accessible(page)
    screenshot(page, "shop-login-wrong-key")

    sign_in(page, key)
    expect(page).to_have_url(live.url + "/shop/")
    expect(page.get_by_role("heading", level=1)).to_have_text("商品券の受け付け")
    expect(page.get_by_text(name)).to_be_visible()
    expect(page.get_by_text("今月はまだ受け付けていません。")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "shop-counter")

    # the clerk types it as they read it: lower case, no hyphens
    redeem(page, code.lower().replace("-", ""))
    expect(page.get_by_role("status")).to_contain_text("500円 使用済みにしました")
    expect(page.get_by_label("商品券のコード")).to_have_value("")
    expect(page.locator(".shop-total")).to_have_text("合計 500円（1件）")
    expect(page.locator(".shop-list__item")).to_have_text(
        re.compile(rf"商品券 …{code[-4:]}\s*500円$")
    )
    assert_accessible(page)
    screenshot(page, "shop-redeemed")

    redeem(page, code)
    refused = page.get_by_role("alert")
    expect(refused).to_contain_text("この商品券は使用済みです")
    expect(refused).to_contain_text(
        re.compile(r"\d+月\d+日（.）\d\d:\d\d にこのお店で使われました")
    )
    expect(page.locator(".shop-total")).to_have_text("合計 500円（1件）")
    assert_accessible(page)
    screenshot(page, "shop-already-used")

    redeem(page, mistype_check_symbol(code))
    expect(page.get_by_role("alert")).to_contain_text(
        "コードの打ち間違いがあります（確認文字が合いません）"
    )
    # what was typed stays, to be corrected
    expect(page.get_by_label("商品券のコード")).to_have_value(mistype_check_symbol(code))
    assert_accessible(page)
    screenshot(page, "shop-mistyped")

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(live.url + "/shop/login")
    page.goto(live.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_on_a_phone_with_javascript_off_the_counter_works_at_360_px(
    browser: Browser, browser_context_args: dict[str, Any], live: LiveServer
):
    _, key, (first, second) = seed(live, vouchers=2)
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True},
        java_script_enabled=False,
    )
    try:
        phone = context.new_page()
        phone.goto(live.url + "/shop/login")
        sign_in(phone, key)
        expect(phone.get_by_role("heading", level=1)).to_have_text("商品券の受け付け")
        redeem(phone, first)
        expect(phone.get_by_role("status")).to_contain_text("500円 使用済みにしました")
        redeem(phone, second.replace("-", " "))
        expect(phone.get_by_role("status")).to_contain_text("500円 使用済みにしました")
        expect(phone.locator(".shop-total")).to_have_text("合計 1,000円（2件）")
        redeem(phone, first)
        expect(phone.get_by_role("alert")).to_contain_text("この商品券は使用済みです")
        assert_fits(phone)
        screenshot(phone, "shop-already-used-360-nojs")
    finally:
        context.close()


def test_with_text_twice_as_large_nothing_scrolls_sideways_at_360_px(phone: Page, live: LiveServer):
    _, key, (code,) = seed(live)
    phone.goto(live.url + "/shop/login")
    sign_in(phone, key)
    redeem(phone, code)
    expect(phone.get_by_role("status")).to_contain_text("500円 使用済みにしました")
    # as a browser set to large text does: every rem and em grows with the root font size
    phone.add_style_tag(content="html { font-size: 200% !important; }")
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "shop-redeemed-360-large-text")
