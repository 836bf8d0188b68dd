"""An SC sets up 燃やすごみ every Tuesday and Friday 7:00–8:30 for a resident, gives it to a
neighbour (いつもの担い手) and sees the next occurrences theirs; the same pages at 360 px, and
the neighbour's page lists the series by 地区 only.

The e2e database is shared by this worker's tests: the people here live in a zone of their own
(a new name each run), so nobody else's match run can take their occurrences.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from access.sign_in_links import issue_link
from matching import services
from tests.conftest import ALL_WEEK
from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in

TOKYO = ZoneInfo("Asia/Tokyo")
#: a corner of 北区 no other browser test uses
HERE = {"lat": 35.7651, "lon": 139.7206}


def seed(live: LiveServer) -> tuple[str, int, int, str]:
    """A resident and a neighbour free all week, in a zone of their own. Returns (zone,
    resident id, volunteer id, the neighbour's name)."""
    tag = uuid.uuid4().hex[:6]
    zone = f"e2e-series-{tag}"
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        resident = services.create_resident(
            session,
            name=f"高橋 和子{tag}",
            address="東京都北区西ケ原1-1-1",
            phone="03-3910-0000",
            zone=zone,
            **HERE,
        )
        neighbour, _ = services.create_volunteer(
            session,
            name=f"中村 進{tag}",
            birth_year=1952,
            lat=HERE["lat"] + 0.001,
            lon=HERE["lon"],
            zone=zone,
            max_distance_m=1000,
            skills=["garbage", "shopping"],
            availability=ALL_WEEK,
            contact="090-3333-4444",
        )
        return zone, resident.id, neighbour.id, neighbour.name


def check(page: Page, name: str, *, fits: bool = False) -> None:
    if fits:
        assert_fits(page)
    assert_accessible(page)
    screenshot(page, name)


def fill_rule(page: Page) -> None:
    page.get_by_label("活動の種類").select_option(label="ゴミ出し（15分）")
    page.get_by_label("火曜日").check()
    page.get_by_label("金曜日").check()
    page.get_by_label("くり返し方").select_option("weekly")
    page.get_by_label("何時から").fill("07:00")
    page.get_by_label("何時まで").fill("08:30")


def test_an_sc_creates_a_series_gives_it_to_a_neighbour_and_sees_the_next_occurrences(
    page: Page, live: LiveServer
):
    zone, resident_id, volunteer_id, neighbour = seed(live)
    sc = live.make_staff()
    page.goto(f"{live.url}/residents/{resident_id}")
    sign_in(page, sc.name, PASSWORD)
    page.get_by_role("link", name="くり返しの依頼をつくる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("くり返しの依頼をつくる")
    check(page, "series-new")

    # no weekday ticked: said next to the weekdays, nothing made
    page.get_by_label("活動の種類").select_option(label="ゴミ出し（15分）")
    page.get_by_role("button", name="くり返しの依頼をつくる").click()
    expect(page.get_by_role("alert")).to_contain_text("まだ登録していません")
    expect(page.locator("#weekdays-error")).to_have_text("曜日を1つ以上選んでください。")
    check(page, "series-new-error")

    fill_rule(page)
    page.get_by_role("button", name="くり返しの依頼をつくる").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ゴミ出し　毎週 火・金 7:00–8:30")
    expect(page.get_by_role("status")).to_contain_text("件を用意しました")
    next_ones = page.locator(".series-list__item")
    expect(next_ones.first).to_contain_text("7:00–8:30")
    expect(next_ones.first).to_contain_text("受付中")
    days = next_ones.locator(".series-list__name").all_inner_texts()
    assert days and all(re.search(r"（[火金]）", d) for d in days), days
    check(page, "series-show")

    # the neighbour takes the whole series: the coming occurrences are theirs
    page.get_by_label(f"{zone}の登録ボランティア（近い順）").select_option(str(volunteer_id))
    page.get_by_role("button", name="いつもの担い手にする").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"{neighbour} さんをいつもの担い手にしました"
    )
    expect(next_ones.first).to_contain_text(f"担い手：{neighbour} さん（引き受け）")
    expect(next_ones.first).to_contain_text("引き受け済み")
    expect(page.locator(".series-facts")).to_contain_text(f"{neighbour} さん")
    check(page, "series-standing")

    page.get_by_role("link", name="曜日・時間などを変える").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("くり返しの依頼を変える")
    expect(page.get_by_label("火曜日")).to_be_checked()
    expect(page.get_by_label("月曜日")).not_to_be_checked()
    check(page, "series-edit")
    page.get_by_role("link", name="変えずにもどる").click()

    page.get_by_role("link", name="終了する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("くり返しの依頼を終了しますか")
    check(page, "series-end")
    page.get_by_role("link", name="終了しないでもどる").click()
    expect(page.locator(".series-facts")).to_contain_text("実施中")

    page.goto(f"{live.url}/series/?zone={zone}")
    expect(page.get_by_role("heading", level=1)).to_have_text("くり返しの依頼")
    item = page.locator(".series-list__item").filter(has_text="ゴミ出し")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("「毎週 火・金 7:00–8:30」")
    expect(item).to_contain_text(f"いつもの担い手：{neighbour} さん")
    check(page, "series-list")


def test_the_series_pages_and_the_neighbours_page_at_360_px(phone: Page, live: LiveServer):
    zone, resident_id, volunteer_id, _ = seed(live)
    sc = live.make_staff()
    phone.goto(f"{live.url}/series/new?resident_id={resident_id}")
    sign_in(phone, sc.name, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text("くり返しの依頼をつくる")
    check(phone, "series-new-360", fits=True)
    fill_rule(phone)
    phone.get_by_role("button", name="くり返しの依頼をつくる").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("毎週 火・金")
    phone.get_by_role("button", name="いつもの担い手にする").click()
    expect(phone.get_by_role("status")).to_contain_text("いつもの担い手にしました")
    check(phone, "series-show-360", fits=True)
    series_url = phone.url

    phone.get_by_role("link", name="曜日・時間などを変える").click()
    check(phone, "series-edit-360", fits=True)
    phone.goto(series_url + "/end")
    check(phone, "series-end-360", fits=True)
    phone.goto(f"{live.url}/series/?zone={zone}")
    check(phone, "series-list-360", fits=True)

    # the pause button, then 再開 on the paused page
    phone.goto(series_url)
    phone.get_by_role("button", name=re.compile("一時停止")).click()
    expect(phone.get_by_role("status")).to_contain_text("一時停止しました")
    expect(phone.get_by_role("button", name="再開する")).to_be_visible()
    check(phone, "series-paused-360", fits=True)
    phone.get_by_role("button", name="再開する").click()
    expect(phone.get_by_role("status")).to_contain_text("再開しました")

    # the neighbour's own page: what they stand for, by 地区, not the resident
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        token = issue_link(
            session, volunteer_id=volunteer_id, by_user_id=sc.id, now=dt.datetime.now(dt.UTC)
        ).token
    phone.goto(f"{live.url}/me/link/{token}")
    phone.get_by_role("button", name="はじめる").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("わたしのページ")
    standing = phone.locator(".me-standing__item")
    expect(standing).to_have_count(1)
    expect(standing).to_contain_text("毎週 火・金 7:00–8:30")
    expect(standing).to_contain_text(f"ゴミ出し・{zone} 付近")
    expect(phone.locator(".me-standing")).not_to_contain_text("高橋")
    check(phone, "series-volunteer-home-360", fits=True)
