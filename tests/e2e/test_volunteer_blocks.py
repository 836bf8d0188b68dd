"""A volunteer blocks the days they cannot help on a 360 px phone; axe checks the page."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from tests.conftest import TOKYO
from tests.e2e.conftest import LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits
from tests.web.test_volunteer_page import make_helper


def test_a_volunteer_blocks_days_on_their_phone(phone: Page, live: LiveServer):
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        # free on no day: the live server's database is shared by the worker's tests, and this
        # volunteer must never be the one another test's match run proposes
        _, token = make_helper(session, availability=[])
    phone.goto(f"{live.url}/me/sign-in")
    phone.get_by_label("ログイン用の番号").fill(token)
    phone.get_by_role("button", name="ログイン").click()
    phone.get_by_role("link", name="行けない日を伝える（旅行、入院など）").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("行けない日")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-blocks-empty")

    first = dt.datetime.now(TOKYO).date() + dt.timedelta(days=3)
    phone.get_by_label("行けない最初の日").fill(first.isoformat())
    phone.get_by_label("最後の日（1日だけなら空のまま）").fill(
        (first + dt.timedelta(days=2)).isoformat()
    )
    phone.get_by_label("メモ（旅行、入院など）").fill("旅行")
    phone.get_by_role("button", name="登録する").click()
    expect(phone.get_by_role("status")).to_contain_text("行けない日を登録しました")
    expect(phone.locator(".me-task")).to_contain_text(f"{first.month}月{first.day}日")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-blocks")

    phone.get_by_role("button", name="取り消す").click()
    expect(phone.get_by_text("登録している日はありません。")).to_be_visible()
