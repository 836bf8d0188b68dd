"""A volunteer opens the link their SC made, accepts a task and exchanges points for a voucher
shown as a big code and a QR code, on a 360 px phone; axe checks every page on the way."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from matching.models import Assignment
from points import vouchers
from points.models import Voucher
from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in
from tests.web.test_volunteer_page import at, earn_points, make_helper, propose_task


def seed(live: LiveServer, *, lat: float, lon: float, zone: str) -> tuple[int, int, int]:
    """A registered volunteer who did five 買い物 (500 points, credited by the SC completing
    them) and now has two tasks proposed by matching. Returns (volunteer, first, second)."""
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        volunteer, _ = make_helper(session, lat=lat, lon=lon, zone=zone)
        earn_points(session, volunteer_id=volunteer.id, points=500)
        first = propose_task(
            session, volunteer_id=volunteer.id, start=at(2, 9), notes="燃えるゴミ2袋。玄関の前"
        )
        second = propose_task(
            session,
            volunteer_id=volunteer.id,
            start=at(4, 14),
            category="light_bulb",
            resident={"name": "田中 ハナ", "address": "東京都北区王子本町1-9-9"},
        )
        return volunteer.id, first.id, second.id


def test_a_volunteer_opens_their_link_accepts_a_task_and_exchanges_points(
    page: Page, browser: Browser, phone: Page, live: LiveServer
):
    volunteer_id, first, second = seed(live, lat=35.7530, lon=139.7370, zone="王子本町1丁目")

    # the SC (at the office, a desktop) makes a link for the volunteer
    sc = live.make_staff()
    page.goto(f"{live.url}/me/links/{volunteer_id}")
    sign_in(page, sc.name, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("佐藤 一郎 さんのログイン用リンク")
    assert_accessible(page)
    screenshot(page, "volunteer-link-issue")
    page.get_by_role("button", name="リンクを作る").click()
    expect(page.get_by_role("status")).to_contain_text("リンクを作りました")
    link = page.locator("#link-url").inner_text().strip()
    assert re.fullmatch(re.escape(live.url) + r"/me/link/[A-Za-z0-9_-]{43}", link)
    assert_accessible(page)
    screenshot(page, "volunteer-link-issued")

    # the volunteer opens it on their phone: one big button, nothing used yet
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("ボランティアのページを開きます")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-link-open")
    phone.get_by_role("button", name="はじめる").click()
    expect(phone).to_have_url(live.url + "/me/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("わたしのページ")
    expect(phone.get_by_text("佐藤 一郎 さん")).to_be_visible()

    # two requests, soonest first; no address before accepting
    cards = phone.locator(".me-task")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("ゴミ出し")
    expect(cards.nth(0)).to_contain_text("王子本町1丁目 付近")
    expect(cards.nth(1)).to_contain_text("電球交換")
    expect(phone.get_by_text("王子本町1-2-3")).to_have_count(0)
    expect(phone.get_by_text("燃えるゴミ2袋。玄関の前")).to_have_count(0)
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-home")

    phone.locator(f"#task-{first}").get_by_role("button", name="引き受ける").click()
    expect(phone.get_by_role("status")).to_have_text(
        "引き受けました。住所と時間を確かめてください。"
    )
    accepted = phone.locator(f"#task-{first}")
    expect(accepted).to_contain_text("東京都北区王子本町1-2-3")
    expect(accepted).to_contain_text("03-3908-0000")
    expect(accepted).to_contain_text("燃えるゴミ2袋。玄関の前")
    expect(phone.locator(f"#task-{second}")).not_to_contain_text("王子本町1-9-9")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-home-accepted")

    # the other one: a confirmation first, then it is gone
    phone.locator(f"#task-{second}").get_by_role("link", name="お断りする").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("この依頼をお断りしますか")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-decline")
    phone.get_by_role("button", name="お断りする").click()
    expect(phone.get_by_role("status")).to_have_text(
        "お断りしました。コーディネーターに伝わります。"
    )
    expect(phone.locator(".me-task")).to_have_count(1)

    # 500 points: exchange them for a voucher
    expect(phone.locator(".numbers__value").first).to_have_text("500ポイント")
    phone.get_by_label("交換するポイント").select_option("500")
    phone.get_by_role("button", name="商品券に交換する").click()
    expect(phone).to_have_url(re.compile(r"/me/vouchers/\d+$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("商品券 500円")
    groups = phone.locator(".voucher__group").all_inner_texts()
    assert len(groups) == 4 and all(len(g) == 4 for g in groups)
    qr = phone.locator(".voucher__qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and 200 <= box["width"] <= 360 and box["width"] == box["height"]
    with live.app.extensions["sasaeai.sessionmaker"]() as session:
        voucher = session.scalar(select(Voucher).where(Voucher.volunteer_id == volunteer_id))
        assert voucher is not None
        assert "-".join(groups) == vouchers.voucher_code(
            voucher, secret=live.app.config["SECRET_KEY"]
        )
        assert session.get(Assignment, first).status == "accepted"
    # the code is big: each group at least 40 px tall, and the four fit the phone
    height = phone.locator(".voucher__group").first.bounding_box()["height"]
    assert height >= 40
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-voucher")

    phone.get_by_role("link", name="わたしのページに戻る").click()
    expect(phone.locator(".numbers__value").first).to_have_text("0ポイント")
    expect(phone.locator(".me-vouchers__item")).to_contain_text("使えます")
    expect(phone.get_by_text("商品券に交換：")).to_be_visible()
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-home-after-exchange")

    # signed out, the same link no longer works; the token page is there instead
    phone.get_by_role("button", name="ログアウト").click()
    expect(phone).to_have_url(live.url + "/me/sign-in")
    expect(phone.get_by_role("heading", level=1)).to_have_text("ボランティアのログイン")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-sign-in")
    phone.get_by_label("ログイン用の番号").fill("not-my-number")
    phone.get_by_role("button", name="ログイン").click()
    expect(phone.get_by_role("alert")).to_contain_text("番号が違うか、もう使えない番号です")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-sign-in-wrong")

    phone.goto(link)
    phone.get_by_role("button", name="はじめる").click()
    expect(phone.get_by_role("alert")).to_contain_text("このリンクは、もう使われています")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-link-used")
