"""On a 360 px phone: a volunteer sees their morning round (「この日のまわる順」, ①②③ with planned
times) and changes how many tasks they take on one day; the SC changes it on the volunteer's
page. axe checks every page on the way."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from access.sign_in_links import issue_link
from matching.models import Volunteer
from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in
from tests.web.test_volunteer_page import at, make_helper
from tests.web.test_volunteer_round import planned_task

#: a place of its own in 北区 (the browser tests share their database)
JUJO = {"lat": 35.7630, "lon": 139.7200, "zone": "上十条3丁目"}


def seed(live: LiveServer) -> tuple[int, list[int], str]:
    """A volunteer who takes three a day, with a morning round of three ゴミ出し on day 2 (the
    first accepted), and a link to sign in. Returns (volunteer, tasks in walk order, link)."""
    sc = live.make_staff()
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        volunteer, _ = make_helper(session, name="十条 みどり", max_tasks_per_day=3, **JUJO)
        window = (at(2, 7), at(2, 8, 30))
        first = planned_task(
            session,
            volunteer,
            window=window,
            planned_start=at(2, 7, 4),
            round_order=1,
            accepted=True,
            resident={"name": "田中 ハナ", "address": "東京都北区上十条3-1-1"},
        )
        third = planned_task(
            session,
            volunteer,
            window=window,
            planned_start=at(2, 7, 39),
            round_order=3,
            resident={"name": "鈴木 トメ", "address": "東京都北区上十条3-5-5"},
        )
        second = planned_task(
            session,
            volunteer,
            window=window,
            planned_start=at(2, 7, 21),
            round_order=2,
            resident={"name": "高橋 ウメ", "address": "東京都北区上十条3-3-3"},
        )
        link = issue_link(
            session, volunteer_id=volunteer.id, by_user_id=sc.id, now=dt.datetime.now(dt.UTC)
        )
        return volunteer.id, [first.id, second.id, third.id], link.token


def test_a_volunteer_sees_their_round_and_changes_their_capacity_and_so_does_the_sc(
    phone: Page, live: LiveServer
):
    volunteer_id, walk, token = seed(live)
    phone.goto(f"{live.url}/me/link/{token}")
    phone.get_by_role("button", name="はじめる").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("わたしのページ")

    # the morning's round: one group, in the order to walk, with planned times in Tokyo
    round_ = phone.locator(".me-round")
    expect(round_).to_have_count(1)
    expect(round_.get_by_role("heading", level=3)).to_contain_text("この日のまわる順")
    cards = round_.locator(".me-task")
    expect(cards).to_have_count(3)
    assert [
        int(i.removeprefix("task-")) for i in cards.evaluate_all("cs => cs.map(c => c.id)")
    ] == walk
    expect(cards.nth(0).locator(".me-task__order")).to_have_text("① 予定 7:04")
    expect(cards.nth(1).locator(".me-task__order")).to_have_text("② 予定 7:21")
    expect(cards.nth(2).locator(".me-task__order")).to_have_text("③ 予定 7:39")
    expect(cards.nth(0)).to_contain_text("東京都北区上十条3-1-1")
    expect(phone.get_by_text("上十条3-3-3")).to_have_count(0)
    expect(cards.nth(1).get_by_role("button", name="引き受ける")).to_be_visible()
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "volunteer-round")

    # capacity: three now; down to two (the three held stay, and the page says so)
    capacity = phone.get_by_label("1日に引き受けられる数")
    expect(capacity).to_have_value("3")
    box = capacity.bounding_box()
    assert box is not None and box["height"] >= 48
    capacity.select_option("2")
    phone.get_by_role("button", name="この数にする").click()
    expect(phone).to_have_url(re.compile(r"/me/#me-capacity$"))
    expect(phone.get_by_role("status")).to_contain_text("「2件まで」にしました")
    expect(phone.get_by_role("status")).to_contain_text("その日に新しいお願いは届きません")
    expect(phone.locator(".me-capacity__now")).to_have_text("いまは 1日2件まで です。")
    expect(phone.locator(".me-round .me-task")).to_have_count(3)
    assert_accessible(phone)
    assert_fits(phone)
    phone.locator("#me-capacity").scroll_into_view_if_needed()
    screenshot(phone, "volunteer-capacity")

    # the SC (on a phone too) sees two and sets it back to three
    sc = live.make_staff()
    phone.goto(f"{live.url}/volunteers/{volunteer_id}")
    sign_in(phone, sc.name, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text("十条 みどり さん")
    expect(phone.get_by_role("link", name="2件まで")).to_be_visible()
    sc_capacity = phone.get_by_label("1日に引き受けられる数")
    expect(sc_capacity).to_have_value("2")
    sc_capacity.select_option("3")
    phone.get_by_role("button", name="この数にする").click()
    expect(phone.get_by_role("status")).to_contain_text(
        "十条 みどり さんの1日に引き受けられる数を「3件まで」にしました。"
    )
    expect(phone.get_by_label("1日に引き受けられる数")).to_have_value("3")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "people-volunteer-capacity")
    with live.app.extensions["sasaeai.sessionmaker"]() as session:
        volunteer = session.get(Volunteer, volunteer_id)
        assert volunteer is not None and volunteer.max_tasks_per_day == 3
