"""An SC opens a zone's map on the seeded demo ward: requests, volunteers and the newest run's
pairs drawn on the server; then picks a nearer point on the map, by tap, click or arrow keys."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from matching import dispatch
from matching.demo import seed_ward
from matching.models import HelpRequest, Resident
from tests.e2e.conftest import PASSWORD, PHONE, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in

M_PER_DEG = 111_195.0


@dataclass(frozen=True)
class Demo:
    zone: str
    sc: str
    pairs: int
    accepted: int
    #: volunteers with several proposals in the run: one line through their round each
    rounds: int = 0


@pytest.fixture(scope="module")
def demo(live: LiveServer) -> Demo:
    """The demo ward seeded as `make demo` seeds it, a match run over its busiest zone and one
    proposal accepted."""
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        seed_ward(
            session, ward="世田谷区", n_residents=400, n_volunteers=160, n_requests=120, seed=9
        )
        zones = Counter(
            session.scalars(
                select(Resident.zone)
                .join(HelpRequest, HelpRequest.resident_id == Resident.id)
                .where(HelpRequest.status == "open")
            )
        )
        zone = next(z for z, _ in zones.most_common() if z != "太子堂")
        run = dispatch.run_match(session, zone=zone)
        assert run.assignments, "the busiest zone has a proposal"
        per_volunteer = Counter(a.volunteer_id for a in run.assignments)
        # accept a one-task volunteer's proposal: its line turns solid
        single = next(a for a in run.assignments if per_volunteer[a.volunteer_id] == 1)
        dispatch.accept(session, assignment_id=single.id)
        rounds = sum(1 for n in per_volunteer.values() if n >= 2)
        pairs = len(run.assignments)
    return Demo(zone=zone, sc=live.make_staff().name, pairs=pairs, accepted=1, rounds=rounds)


def open_map(page: Page, live: LiveServer, demo: Demo) -> None:
    page.goto(f"{live.url}/map/?zone={demo.zone}")
    sign_in(page, demo.sc, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{demo.zone}の地図")


def test_an_sc_sees_the_zone_s_requests_volunteers_and_pairs_on_the_map(
    page: Page, live: LiveServer, demo: Demo
):
    open_map(page, live, demo)
    the_map = page.get_by_role("img", name=f"世田谷区{demo.zone}の地図")
    expect(the_map).to_be_visible()
    requests = page.locator("#zonemap g[data-request]")
    volunteers = page.locator("#zonemap g[data-volunteer]")
    # every listed request and volunteer is on the map, and the pairs are lines between them
    listed = page.locator("#zonemap-requests + ul > li")
    assert requests.count() == listed.count() > 0
    assert volunteers.count() == page.locator("#zonemap-volunteers + ul > li").count() > 0
    expect(page.locator("#zonemap line[data-status=accepted]")).to_have_count(demo.accepted)
    # a volunteer with one task has a line; one with several, one line through their round
    rounds = page.locator("#zonemap polyline.zonemap__round")
    expect(rounds).to_have_count(demo.rounds)
    in_rounds = sum(len((r.get_attribute("data-requests") or "").split()) for r in rounds.all())
    expect(page.locator("#zonemap line[data-status=proposed]")).to_have_count(
        demo.pairs - demo.accepted - in_rounds
    )
    # everything drawn is inside the map's box as the browser lays it out
    box = the_map.bounding_box()
    assert box is not None
    for marker in requests.all() + volunteers.all():
        inner = marker.bounding_box()
        assert inner is not None
        assert box["x"] <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"]
        assert box["y"] <= inner["y"] and inner["y"] + inner["height"] <= box["y"] + box["height"]
    expect(page.locator(".zonemap__legend")).to_contain_text("依頼（住民の場所）")
    assert_accessible(page)
    screenshot(page, "zone-map")

    # another zone from the list
    page.get_by_label("地区（町名）").select_option("太子堂")
    page.get_by_role("button", name="表示する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("太子堂の地図")
    expect(page.get_by_role("img", name="世田谷区太子堂の地図")).to_be_visible()
    assert_accessible(page)

    # the whole ward: every open request in it, names left to the markers' titles
    page.get_by_label("地区（町名）").select_option("")
    page.get_by_role("button", name="表示する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("世田谷区全体の地図")
    assert page.locator("#zonemap g[data-request]").count() > demo.pairs
    assert_accessible(page)
    screenshot(page, "zone-map-ward")


def test_at_360_px_the_map_fills_the_width_and_nothing_scrolls_sideways(
    phone: Page, live: LiveServer, demo: Demo
):
    open_map(phone, live, demo)
    assert_fits(phone)
    box = phone.get_by_role("img", name=f"世田谷区{demo.zone}の地図").bounding_box()
    assert box is not None and 300 <= box["width"] <= PHONE["width"]
    assert box["height"] > 150
    assert_accessible(phone)
    screenshot(phone, "zone-map-phone")


def marker_at(page: Page) -> tuple[float, float]:
    transform = page.locator("[data-pointpicker-marker]").get_attribute("transform") or ""
    found = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", transform)
    assert found, transform
    return float(found.group(1)), float(found.group(2))


def picked(page: Page) -> tuple[float, float]:
    return (
        float(page.locator("[data-pointpicker-lat]").input_value()),
        float(page.locator("[data-pointpicker-lon]").input_value()),
    )


def test_a_tap_on_the_picker_moves_the_marker_and_fills_the_hidden_inputs(
    phone: Page, live: LiveServer, demo: Demo
):
    open_map(phone, live, demo)
    picker = phone.get_by_role("img", name="地点を選ぶ地図（世田谷区）")
    picker.scroll_into_view_if_needed()
    start, start_at = picked(phone), marker_at(phone)
    box = picker.bounding_box()
    assert box is not None
    # a tap a quarter of the way in from the top left: north-west of the centre
    picker.tap(position={"x": box["width"] / 4, "y": box["height"] / 4})
    lat, lon = picked(phone)
    assert lat > start[0] and lon < start[1]
    x, y = marker_at(phone)
    assert x < start_at[0] and y < start_at[1]
    # half of the 1.5 km neighbourhood each way, give or take a finger
    assert (lat - start[0]) * M_PER_DEG == pytest.approx(375, abs=30)
    expect(phone.locator("[data-pointpicker-status]")).to_contain_text(f"北緯 {lat:.5f}")
    expect(phone.locator("[data-pointpicker-status]")).to_contain_text("いちばん近い町丁目:")
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "zone-map-picker-phone")

    # the point goes with the form: the page names its nearest 町丁目
    phone.get_by_role("button", name="この地点で確かめる").click()
    expect(phone.get_by_role("status")).to_contain_text("この地点にいちばん近い町丁目は 世田谷区")
    assert picked(phone) == (lat, lon)


def test_a_click_or_the_arrow_keys_move_the_marker_on_a_desktop(
    page: Page, live: LiveServer, demo: Demo
):
    open_map(page, live, demo)
    picker = page.get_by_role("img", name="地点を選ぶ地図（世田谷区）")
    box = picker.bounding_box()
    assert box is not None
    start = picked(page)
    cos_lat = float(page.locator("[data-pointpicker]").get_attribute("data-cos") or 0)
    picker.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
    lat, lon = picked(page)
    # a quarter of the width east of the centre: 375 m east (1.5 km across), the same latitude
    assert (lon - start[1]) * M_PER_DEG * cos_lat == pytest.approx(375, abs=10)
    assert (lat - start[0]) * M_PER_DEG == pytest.approx(0, abs=10)
    # keyboard: focus the map, ArrowUp moves 20 m north, Shift+ArrowLeft 100 m west
    picker.focus()
    page.keyboard.press("ArrowUp")
    up_lat, up_lon = picked(page)
    assert (up_lat - lat) * M_PER_DEG == pytest.approx(20, abs=0.5) and up_lon == lon
    page.keyboard.press("Shift+ArrowLeft")
    left_lat, left_lon = picked(page)
    assert left_lat == up_lat
    assert (up_lon - left_lon) * M_PER_DEG * cos_lat == pytest.approx(100, abs=0.5)
    assert_accessible(page)
    screenshot(page, "zone-map-picker")


def test_without_javascript_the_picker_keeps_the_chome_point_and_still_posts(
    browser: Browser, live: LiveServer, demo: Demo
):
    # (axe needs JavaScript: the same page is checked with it on, above)
    context = browser.new_context(java_script_enabled=False, locale="ja-JP", viewport=PHONE)
    page = context.new_page()
    try:
        open_map(page, live, demo)
        start = picked(page)
        page.get_by_role("button", name="この地点で確かめる").click()
        expect(page.get_by_role("status")).to_contain_text("この地点にいちばん近い町丁目は")
        assert picked(page) == start
        assert_fits(page)
        screenshot(page, "zone-map-picker-nojs")
    finally:
        context.close()
