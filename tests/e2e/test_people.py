"""An SC on a phone takes a resident's details by phone, then finds residents and volunteers."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from matching import services
from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in


def signed_in(page: Page, live: LiveServer, path: str) -> None:
    sc = live.make_staff()
    page.goto(live.url + path)
    sign_in(page, sc.name, PASSWORD)
    expect(page).to_have_url(live.url + path)


def check(page: Page, name: str) -> None:
    assert_fits(page)
    assert_accessible(page)
    screenshot(page, name)


def test_an_sc_takes_a_resident_by_phone_picking_the_chome_at_360_px(phone: Page, live: LiveServer):
    name = f"山田 花子{uuid.uuid4().hex[:4]}"
    signed_in(phone, live, "/residents/new")
    expect(phone.get_by_role("heading", level=1)).to_have_text("利用者を電話で受け付ける")
    check(phone, "people-resident-new-360")

    phone.get_by_label("お名前").fill(name)
    phone.get_by_label("住所（聞いたとおりに）").fill("東京都世田ヶ谷区太子堂4-12-3")
    phone.get_by_label("電話番号").fill("03-1234-5678")
    phone.get_by_role("button", name="登録する").click()
    expect(phone.locator("#address-error")).to_have_text(
        "区を確かめてください — 区が見つかりません: 世田ヶ谷区"
    )
    check(phone, "people-resident-new-wrong-ward-360")

    # the resident gives only the postcode: the 町's 丁目 come back to pick from
    phone.get_by_label("住所（聞いたとおりに）").fill("〒154-0004")
    phone.get_by_role("button", name="登録する").click()
    expect(phone.get_by_role("alert")).to_contain_text("下の一覧から選んでください")
    expect(phone.get_by_role("radio")).to_have_count(5)
    check(phone, "people-resident-new-pick-chome-360")
    phone.get_by_label("世田谷区太子堂四丁目").check()
    phone.get_by_role("button", name="登録する").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{name} さん")
    expect(phone.get_by_role("status")).to_contain_text("場所: 世田谷区太子堂四丁目")
    expect(phone.locator("#area")).to_have_text("世田谷区太子堂四丁目")
    link = phone.get_by_role("link", name="依頼を受ける")
    expect(link).to_have_attribute(
        "href", re.compile(r"^/dispatch/requests/new\?resident_id=[0-9]+$")
    )
    check(phone, "people-resident-360")

    # and finds them again by a part of the phone number, without its hyphens
    phone.get_by_role("link", name="利用者をさがす").click()
    phone.get_by_label("名前・電話番号・住所の一部").fill("12345678")
    phone.get_by_role("button", name="さがす").click()
    expect(phone.get_by_role("link", name=name)).to_be_visible()
    check(phone, "people-residents-360")


def test_an_sc_finds_a_volunteer_and_sees_their_week_at_360_px(phone: Page, live: LiveServer):
    name = f"佐藤 一郎{uuid.uuid4().hex[:4]}"
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        services.create_volunteer(
            session,
            name=name,
            birth_year=1950,
            address="世田谷区太子堂4-1",
            contact="03-5555-1111",
            skills=["garbage", "shopping"],
            availability=[{"weekday": 1, "start_min": 540, "end_min": 720}],
        )
    signed_in(phone, live, "/volunteers")
    expect(phone.get_by_role("heading", level=1)).to_have_text("ボランティアをさがす")
    phone.get_by_label("名前・連絡先の一部").fill(name)
    phone.get_by_label("できること").select_option(label="ゴミ出し")
    phone.get_by_role("button", name="さがす").click()
    expect(phone.get_by_text("03-5555-1111")).to_be_visible()
    check(phone, "people-volunteers-360")

    phone.get_by_role("link", name=name).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{name} さん")
    expect(phone.get_by_text("火曜日 9:00〜12:00")).to_be_visible()
    expect(phone.get_by_text("世田谷区太子堂四丁目のあたり", exact=False)).to_be_visible()
    check(phone, "people-volunteer-360")


def test_an_sc_registers_an_elderly_volunteer_by_phone_at_360_px(phone: Page, live: LiveServer):
    name = f"鈴木 トメ{uuid.uuid4().hex[:4]}"
    signed_in(phone, live, "/volunteers/new")
    expect(phone.get_by_role("heading", level=1)).to_have_text("ボランティアを電話で登録する")
    check(phone, "people-volunteer-new-360")
    phone.get_by_label("お名前").fill(name)
    phone.get_by_label("生まれた年（西暦）").fill("1944")
    phone.get_by_label("電話番号（連絡先）").fill("03-3333-4444")
    phone.get_by_label("住所（聞いたとおりに）").fill("北沢２丁目")
    phone.get_by_label("歩いて行ける距離").select_option("500")
    phone.get_by_label("ゴミ出し").check()
    first = phone.get_by_role("group", name="1つ目")
    first.get_by_label("曜日").select_option(label="月曜日")
    first.get_by_label("何時から").select_option(label="8:00")
    first.get_by_label("何時まで").select_option(label="10:00")
    phone.get_by_role("button", name="登録する").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{name} さん")
    expect(phone.get_by_role("status")).to_contain_text("ボランティアとして登録しました")
    expect(phone.get_by_text("月曜日 8:00〜10:00")).to_be_visible()
    expect(phone.get_by_text("世田谷区北沢二丁目のあたり", exact=False)).to_be_visible()
    check(phone, "people-volunteer-registered-360")
