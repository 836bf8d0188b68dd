"""An SC's day in a real browser, on the demo ward (seed_ward, 世田谷区): sign in, take a request
by phone, run matching, override one proposal, accept it by phone, print the volunteer's sheet,
complete the task and see the points. Every dispatch page gets axe and screenshots, on a desktop
and at 360 px."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from matching import services
from matching.demo import seed_ward
from tests.conftest import ALL_WEEK, TOKYO
from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in

HOME = (35.6432, 139.6710)  # 太子堂4丁目
M_PER_DEG_LAT = 111_195.0

_seeded: set[str] = set()


def seed(live: LiveServer) -> dict[str, object]:
    """The demo ward once per database, then a resident who will phone and three volunteers
    near them who are free all week (so one proposal surely has alternatives)."""
    tag = uuid.uuid4().hex[:4]
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        if live.url not in _seeded:
            seed_ward(session, ward="世田谷区", n_residents=120, n_volunteers=200, n_requests=40)
            _seeded.add(live.url)
        resident = services.create_resident(
            session,
            name=f"電話 花子{tag}",
            address="東京都世田谷区太子堂4-1-1",
            phone="03-3411-0000",
            lat=HOME[0],
            lon=HOME[1],
            zone="太子堂",
        )
        names = []
        for metres, name in ((60, "近所 一郎"), (150, "近所 二郎"), (250, "近所 三郎")):
            volunteer, _ = services.create_volunteer(
                session,
                name=f"{name}{tag}",
                birth_year=1950,
                lat=HOME[0] + metres / M_PER_DEG_LAT,
                lon=HOME[1],
                zone="太子堂",
                max_distance_m=1000,
                skills=["garbage", "shopping"],
                availability=ALL_WEEK,
                contact=f"090-0000-{metres:04d}",
            )
            names.append(volunteer.name)
        return {"resident_id": resident.id, "resident": resident.name, "volunteers": names}


def day_after_tomorrow() -> dt.date:
    return dt.datetime.now(TOKYO).date() + dt.timedelta(days=2)


def check(page: Page, name: str, *, fits: bool = False) -> None:
    assert_accessible(page)
    if fits:
        assert_fits(page)
    screenshot(page, name)


def take_request(page: Page, live: LiveServer, resident_id: int) -> None:
    page.goto(f"{live.url}/dispatch/requests/new?resident_id={resident_id}")
    page.get_by_label("活動の種類").select_option("shopping")
    page.get_by_label("日付").fill(day_after_tomorrow().isoformat())
    page.get_by_label("何時から").fill("10:00")
    page.get_by_label("何時まで").fill("16:00")
    page.get_by_label("メモ（電話で聞いたこと）").fill("牛乳と食パン。玄関は裏です")
    page.get_by_role("button", name="受け付ける").click()


def test_an_sc_takes_a_request_runs_matching_overrides_accepts_and_completes(
    page: Page, live: LiveServer
):
    seeded = seed(live)
    resident = str(seeded["resident"])
    sc = live.make_staff()
    page.goto(live.url + "/dispatch/")
    sign_in(page, sc.name, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("マッチング")
    check(page, "dispatch-board-empty")

    # a resident phones: the SC takes the request (a wrong window first, then right)
    page.goto(f"{live.url}/dispatch/requests/new?resident_id={seeded['resident_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("依頼を受け付ける")
    check(page, "dispatch-request-new")
    page.get_by_label("活動の種類").select_option("shopping")
    page.get_by_label("日付").fill(day_after_tomorrow().isoformat())
    page.get_by_label("何時から").fill("16:00")
    page.get_by_label("何時まで").fill("10:00")
    page.get_by_role("button", name="受け付ける").click()
    expect(page.get_by_text("終わりは始まりより後の時刻にしてください。")).to_be_visible()
    check(page, "dispatch-request-new-error")
    take_request(page, live, int(seeded["resident_id"]))  # type: ignore[call-overload]
    expect(page.get_by_role("status")).to_contain_text("受け付けました")
    card = page.locator(".dispatch-card", has_text=resident)
    expect(card).to_contain_text("牛乳と食パン")
    expect(card).to_contain_text("受付から")
    expect(page.locator("#zone-map")).to_have_count(1)
    expect(page.get_by_label("地域（町名）")).to_have_value("太子堂")
    check(page, "dispatch-board")

    page.get_by_role("button", name="マッチングを実行").click()
    expect(page).to_have_url(re.compile(r"/dispatch/runs/\d+"))
    expect(page.get_by_role("heading", level=1)).to_have_text("マッチングの結果")
    check(page, "dispatch-run")
    proposal = page.locator(".dispatch-card--proposed", has_text=resident)
    expect(proposal).to_contain_text("担い手の電話")
    first = proposal.locator(".dispatch-facts dd").nth(2).inner_text()

    # override: another feasible volunteer from the ranked list
    proposal.get_by_role("link", name="担い手を替える").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("担い手を替える")
    check(page, "dispatch-alternatives")
    choice = page.locator(".dispatch-choices > li").first
    chosen = choice.locator(".dispatch-card__title").inner_text().split(" さん")[0]
    assert chosen not in first
    choice.get_by_role("button", name="替える").click()
    expect(page.get_by_role("status")).to_contain_text(f"{chosen} さんに替えました")
    proposal = page.locator(".dispatch-card--proposed", has_text=resident)
    expect(proposal).to_contain_text(chosen)
    expect(proposal).to_contain_text("SCが選択")

    # the volunteer says yes on the phone
    proposal.get_by_role("button", name="電話で承諾を記録").click()
    expect(page.get_by_role("status")).to_contain_text("承諾を電話で記録しました")
    accepted = page.locator(".dispatch-card--accepted", has_text=resident)
    expect(accepted).to_contain_text("電話で（SCが記録）")

    # the sheet the SC prints and posts to them
    accepted.get_by_role("link", name="予定表を印刷").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{chosen} さんの予定表")
    expect(page.get_by_text("東京都世田谷区太子堂4-1-1")).to_be_visible()
    check(page, "dispatch-sheet")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    screenshot(page, "dispatch-sheet-print")
    page.emulate_media(media="screen")
    page.go_back()

    accepted = page.locator(".dispatch-card--accepted", has_text=resident)
    accepted.get_by_role("button", name="完了にする").click()
    expect(page.get_by_role("status")).to_contain_text("pt 付与しました")
    done = page.locator(".dispatch-card--completed", has_text=resident)
    expect(done.locator(".dispatch-points")).to_have_text(re.compile(r"[1-9][0-9]* pt 付与"))
    check(page, "dispatch-run-completed")


@pytest.fixture
def signed_in_phone(phone: Page, live: LiveServer) -> Page:
    sc = live.make_staff()
    phone.goto(live.url + "/login")
    sign_in(phone, sc.name, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{sc.name} さん")
    return phone


def test_every_dispatch_page_works_at_360_px(signed_in_phone: Page, live: LiveServer):
    page = signed_in_phone
    seeded = seed(live)
    resident = str(seeded["resident"])

    page.goto(f"{live.url}/dispatch/requests/new?resident_id={seeded['resident_id']}")
    check(page, "dispatch-request-new-360", fits=True)
    take_request(page, live, int(seeded["resident_id"]))  # type: ignore[call-overload]
    expect(page.get_by_role("status")).to_contain_text("受け付けました")
    check(page, "dispatch-board-360", fits=True)

    page.get_by_role("button", name="マッチングを実行").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マッチングの結果")
    check(page, "dispatch-run-360", fits=True)

    proposal = page.locator(".dispatch-card--proposed", has_text=resident)
    proposal.get_by_role("link", name="担い手を替える").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("担い手を替える")
    check(page, "dispatch-alternatives-360", fits=True)
    page.go_back()

    proposal = page.locator(".dispatch-card--proposed", has_text=resident)
    proposal.get_by_role("button", name="電話で承諾を記録").click()
    accepted = page.locator(".dispatch-card--accepted", has_text=resident)
    accepted.get_by_role("link", name="予定表を印刷").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("さんの予定表")
    check(page, "dispatch-sheet-360", fits=True)
