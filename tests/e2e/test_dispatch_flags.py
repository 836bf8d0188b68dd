"""An SC in a real browser sees the requests that came back (確認が必要な依頼) at the top of the
dispatch board: one whose volunteer declined and waits for `dispatch due`, one that was
proposed again automatically (its run page says so); they acknowledge one. axe and screenshots
on a desktop and at 360 px.

The e2e database is shared by the worker's tests: everything here sits in a 町丁目 of its own,
away from the other tests' places, with volunteers who reach only these residents."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from playwright.sync_api import Page, expect
from sqlalchemy import select

from matching import dispatch, services
from matching.models import Assignment
from matching.redispatch import TRIGGER
from tests.conftest import ALL_WEEK, TOKYO
from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in

#: 北区赤羽西のあたり: no other e2e test seeds here
HERE = (35.7705, 139.7150)
M_PER_DEG_LAT = 111_195.0


def at(day_offset: int, hh: int) -> dt.datetime:
    day = dt.datetime.now(TOKYO).date() + dt.timedelta(days=day_offset)
    return dt.datetime.combine(day, dt.time(hh), TOKYO)


def seed(live: LiveServer, spot: int) -> dict[str, str]:
    """Two residents and two volunteers in a zone of their own, at a spot of their own (each
    test's spot is 900 m from the next, out of the other's volunteers' reach). 待つ's ゴミ出し
    was declined and waits for `dispatch due`; 次's was declined, then proposed again by it."""
    tag = uuid.uuid4().hex[:4]
    zone = f"赤羽西e2e{tag}"
    here = (HERE[0], HERE[1] + 0.01 * spot)
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        volunteers = []
        for metres, name in ((40, "先に 一郎"), (120, "次に 二郎")):
            volunteer, _ = services.create_volunteer(
                session,
                name=f"{name}{tag}",
                birth_year=1952,
                lat=here[0] + metres / M_PER_DEG_LAT,
                lon=here[1],
                zone=zone,
                max_distance_m=300,
                skills=["garbage"],
                availability=ALL_WEEK,
            )
            volunteers.append(volunteer)
        requests = {}
        for day, name in ((2, "待つ 花子"), (3, "次 春子")):
            resident = services.create_resident(
                session,
                name=f"{name}{tag}",
                address="東京都北区赤羽西1-1-1",
                phone="03-3900-0000",
                lat=here[0],
                lon=here[1],
                zone=zone,
            )
            request = services.create_help_request(
                session,
                resident_id=resident.id,
                category="garbage",
                window_start=at(day, 7),
                window_end=at(day, 9),
            )
            requests[name] = request
            dispatch.run_match(session, help_request_ids=[request.id])
            first = session.scalars(
                select(Assignment).where(Assignment.help_request_id == request.id)
            ).one()
            assert first.volunteer_id == volunteers[0].id
            dispatch.decline(session, assignment_id=first.id, via="phone")
        # what `dispatch due` does for 次's request (only that one: the database is shared)
        dispatch.run_match(session, help_request_ids=[requests["次 春子"].id], trigger=TRIGGER)
    return {
        "zone": zone,
        "waiting": f"待つ 花子{tag}",
        "again": f"次 春子{tag}",
        "first": volunteers[0].name,
        "second": volunteers[1].name,
    }


def board_url(live: LiveServer, zone: str) -> str:
    return f"{live.url}/dispatch/?zone={zone}&day={at(2, 0).date().isoformat()}"


def test_an_sc_sees_flagged_requests_follows_one_and_acknowledges_another(
    page: Page, live: LiveServer
):
    seeded = seed(live, spot=0)
    sc = live.make_staff()
    page.goto(board_url(live, seeded["zone"]))
    sign_in(page, sc.name, PASSWORD)
    section = page.locator("#flagged")
    expect(section.get_by_role("heading", level=2)).to_have_text("確認が必要な依頼 2件")
    waiting = section.get_by_role("listitem").filter(has_text=seeded["waiting"])
    expect(waiting).to_contain_text("担い手が辞退しました")
    expect(waiting).to_contain_text(f"{seeded['first']} さん")
    expect(waiting).to_contain_text("自動で再提案します（数分以内）")
    again = section.get_by_role("listitem").filter(has_text=seeded["again"])
    expect(again).to_contain_text(f"自動で再提案しました：{seeded['second']} さんの返事待ち")
    assert_accessible(page)
    screenshot(page, "dispatch-flags")

    # the automatic proposal's run: who ran it is the service, not an SC
    again.get_by_role("link", name=re.compile("自動で再提案しました")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マッチングの結果")
    expect(page.get_by_text("実行：自動の再提案（dispatch due）")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "dispatch-flags-run")

    page.goto(board_url(live, seeded["zone"]))
    section = page.locator("#flagged")
    section.get_by_role("listitem").filter(has_text=seeded["waiting"]).get_by_role(
        "button", name="確認しました"
    ).click()
    expect(page.get_by_role("status")).to_contain_text(f"{seeded['waiting']} さんの依頼")
    expect(page.get_by_role("status")).to_contain_text("を確認済みにしました。")
    section = page.locator("#flagged")
    expect(section.get_by_role("heading", level=2)).to_have_text("確認が必要な依頼 1件")
    expect(section.get_by_role("listitem").filter(has_text=seeded["waiting"])).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "dispatch-flags-seen")


def test_flagged_requests_work_at_360_px(phone: Page, live: LiveServer):
    seeded = seed(live, spot=1)
    sc = live.make_staff()
    phone.goto(board_url(live, seeded["zone"]))
    sign_in(phone, sc.name, PASSWORD)
    section = phone.locator("#flagged")
    expect(section.get_by_role("heading", level=2)).to_have_text("確認が必要な依頼 2件")
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "dispatch-flags-360")
    section.get_by_role("listitem").filter(has_text=seeded["again"]).get_by_role(
        "button", name="確認しました"
    ).click()
    expect(phone.get_by_role("status")).to_contain_text("を確認済みにしました。")
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "dispatch-flags-seen-360")
