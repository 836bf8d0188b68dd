"""Rounds on the SC's dispatch screens in a real browser: a run in which one volunteer goes to
three residents (ゴミ出し, 7:00–8:30) is one 「まわる順」 card with planned starts, one numbered
line on the map, and one list on the printed sheet. axe and screenshots on a desktop and at
360 px: dispatch-run-rounds, dispatch-run-rounds-phone, dispatch-sheet-rounds (and -phone)."""

from __future__ import annotations

import datetime as dt
import uuid

from playwright.sync_api import Page, expect

from matching import services
from matching.models import Assignment, MatchRun
from tests.conftest import ALL_WEEK, TOKYO
from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_sc_dispatch import signed_in_phone  # noqa: F401 - the fixture
from tests.e2e.test_staff_sign_in import assert_fits, sign_in

HOME = (35.6432, 139.6710)  # 太子堂4丁目
M_PER_DEG_LAT = 111_195.0


def north(metres: float) -> dict[str, float]:
    return {"lat": HOME[0] + metres / M_PER_DEG_LAT, "lon": HOME[1]}


def at(hh: int, mm: int) -> dt.datetime:
    day = dt.datetime.now(TOKYO).date() + dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(hh, mm), TOKYO).astimezone(dt.UTC)


def seed_round(live: LiveServer) -> dict[str, object]:
    """A run (as run_match leaves one) where 「まわる」 goes round three residents and
    「ひとつ」 has one task; nothing else in it, so the screens show just these."""
    tag = uuid.uuid4().hex[:4]
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():

        def volunteer(name: str, metres: float, phone: str):
            made, _ = services.create_volunteer(
                session,
                name=f"{name}{tag}",
                birth_year=1952,
                zone="太子堂",
                max_distance_m=1500,
                skills=["garbage", "shopping"],
                availability=ALL_WEEK,
                contact=phone,
                **north(metres),
            )
            return made

        walker = volunteer("まわる 花子", 0, "090-7000-0001")
        single = volunteer("ひとつ 太郎", -300, "090-7000-0002")
        tasks = []
        for n, (name, metres) in enumerate(
            (("一番 さち", 120), ("二番 とも", 430), ("三番 みち", 760))
        ):
            resident = services.create_resident(
                session,
                name=f"{name}{tag}",
                address=f"東京都世田谷区太子堂4-{n + 10}-1",
                phone=f"03-3411-00{n}0",
                zone="太子堂",
                **north(metres),
            )
            tasks.append(
                services.create_help_request(
                    session,
                    resident_id=resident.id,
                    category="garbage",
                    window_start=at(7, 0),
                    window_end=at(8, 30),
                )
            )
        alone = services.create_help_request(
            session,
            resident_id=services.create_resident(
                session,
                name=f"ひとり よし{tag}",
                address="東京都世田谷区太子堂4-20-1",
                zone="太子堂",
                **north(-250),
            ).id,
            category="shopping",
            window_start=at(10, 0),
            window_end=at(16, 0),
        )
        run = MatchRun(
            zone="太子堂",
            window_from=at(0, 0),
            window_to=at(23, 59),
            requests_count=4,
            volunteers_count=2,
            matched_count=4,
            params={"weights": {"walking_m_per_min": 67.0}},
            stats={
                "proven_optimal": False,
                "bound_reached": False,
                "gap_pct": 0.8,
                "matched_bound": 4,
                "rounds": 1,
                "total_distance_m": 170.0,
                "total_walking_m": 640.0,
            },
        )
        session.add(run)
        session.flush()
        plan = [
            (tasks[0], walker, 1, at(7, 2), 120.0),
            (tasks[1], walker, 2, at(7, 17), 120.0),
            (tasks[2], walker, 3, at(7, 33), 120.0),
            (alone, single, 1, at(10, 0), 50.0),
        ]
        for request, who, order, start, metres in plan:
            request.status = "proposed"
            session.add(
                Assignment(
                    match_run_id=run.id,
                    help_request_id=request.id,
                    volunteer_id=who.id,
                    distance_m=metres,
                    cost=metres,
                    reasons={"distance": metres},
                    round_order=order,
                    planned_start=start,
                )
            )
        session.flush()
        return {"run": run.id, "walker": walker.name, "walker_id": walker.id, "tag": tag}


def check(page: Page, name: str, *, fits: bool = False) -> None:
    assert_accessible(page)
    if fits:
        assert_fits(page)
    screenshot(page, name)


def the_round_is_shown(page: Page, seeded: dict[str, object]) -> None:
    card = page.locator(".rounds-card", has_text=str(seeded["walker"]))
    expect(card).to_contain_text("まわる順")
    expect(card.locator(".rounds-stop__time")).to_have_text(
        ["予定 07:02", "予定 07:17", "予定 07:33"]
    )
    tag = seeded["tag"]
    expect(card.locator(".rounds-stop__head")).to_contain_text(
        [f"一番 さち{tag}", f"二番 とも{tag}", f"三番 みち{tag}"]
    )
    expect(page.get_by_text("下限との差 0.8 %（件数の上限 4 件）")).to_be_visible()
    line = page.locator(f'#zonemap polyline[data-volunteer="{seeded["walker_id"]}"]')
    expect(line).to_have_count(1)
    expect(page.locator("#zonemap .zonemap__order-number")).to_have_text(["①", "②", "③"])


def test_a_round_on_the_run_page_its_map_and_the_sheet(page: Page, live: LiveServer):
    seeded = seed_round(live)
    sc = live.make_staff()
    page.goto(f"{live.url}/dispatch/runs/{seeded['run']}")
    sign_in(page, sc.name, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("マッチングの結果")
    the_round_is_shown(page, seeded)
    check(page, "dispatch-run-rounds")

    # the SC phones the volunteer: yes to the second stop of the round
    card = page.locator(".rounds-card", has_text=str(seeded["walker"]))
    card.get_by_role("button", name=f"電話で承諾を記録（二番 とも{seeded['tag']} さんの").click()
    expect(page.get_by_role("status")).to_contain_text("承諾を電話で記録しました")
    card = page.locator(".rounds-card", has_text=str(seeded["walker"]))
    expect(card.locator(".rounds-stop--accepted")).to_contain_text("予定 07:17")

    card.get_by_role("link", name="予定表を印刷").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{seeded['walker']} さんの予定表")
    expect(page.locator(".dispatch-sheet__time")).to_have_text(
        ["予定 07:02", "予定 07:17", "予定 07:33"]
    )
    expect(page.get_by_text("3件を、上から順にまわります")).to_be_visible()
    check(page, "dispatch-sheet-rounds")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    screenshot(page, "dispatch-sheet-rounds-print")
    page.emulate_media(media="screen")

    page.goto(f"{live.url}/dispatch/runs/{seeded['run']}/sheet")
    expect(page.get_by_role("heading", level=2)).to_have_count(2)
    check(page, "dispatch-run-sheet-rounds")


def test_a_round_reads_at_360_px(signed_in_phone: Page, live: LiveServer):  # noqa: F811
    page = signed_in_phone
    seeded = seed_round(live)
    page.goto(f"{live.url}/dispatch/runs/{seeded['run']}")
    the_round_is_shown(page, seeded)
    # the order numbers stay readable on a 360 px map: at least 13 px high
    height = page.locator("#zonemap .zonemap__order-number").first.bounding_box()["height"]
    assert height >= 13, height
    check(page, "dispatch-run-rounds-phone", fits=True)
    page.goto(
        f"{live.url}/dispatch/sheet/{seeded['walker_id']}/{at(7, 0).astimezone(TOKYO).date()}"
    )
    check(page, "dispatch-sheet-rounds-phone", fits=True)
