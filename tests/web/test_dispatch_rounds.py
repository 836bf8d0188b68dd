"""Rounds on the SC's dispatch screens: a volunteer who goes to several residents in one run is
one 「まわる順」 card (tasks in visiting order, planned starts in Tokyo time, the walk between
stops at the run's walking speed), one line through their stops on the map (①②③), and one
list on the printed sheet; the run's numbers say how many go round and how good the result is.

The runs here are written directly (as dispatch.run_match would leave them), so the screens are
tested apart from the planner."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from matching.models import Assignment, MatchRun
from tests.conftest import local
from tests.matching.test_dispatch_history import north
from tests.web.conftest import csrf_token
from tests.web.test_zone_map import SVG, the_map, translate
from web.zonemap import MapRequest, MapRound, MapVolunteer, zone_map

UTC = dt.UTC
DAY = local(2, 0).date()


@pytest.fixture
def sc(visitor, make_staff):
    staff = make_staff(name="sc-rounds")
    assert visitor.sign_in("sc-rounds").status_code == 303
    return staff


def at(hh: int, mm: int) -> dt.datetime:
    """A Tokyo time the day after tomorrow, stored as the database gives it back: in UTC."""
    return local(2, hh, mm).astimezone(UTC)


def propose(session, run, request, volunteer, *, order, start, distance_m=100.0, status="proposed"):
    assignment = Assignment(
        match_run_id=run.id,
        help_request_id=request.id,
        volunteer_id=volunteer.id,
        status=status,
        distance_m=distance_m,
        cost=distance_m,
        reasons={"distance": distance_m},
        round_order=order,
        planned_start=start,
    )
    request.status = status
    session.add(assignment)
    session.flush()
    return assignment


def make_run(session, **fields):
    fields.setdefault("zone", "太子堂")
    fields.setdefault("window_from", at(0, 0))
    fields.setdefault("window_to", at(23, 59))
    run = MatchRun(**fields)
    session.add(run)
    session.flush()
    return run


@pytest.fixture
def round_run(session, make_volunteer, make_resident, make_help_request):
    """One volunteer with three ゴミ出し on one walk (the run's speed 45 m/min), another with
    one task; the assignments are written out of visiting order."""
    walker, _ = make_volunteer(name="まわる 花子", contact="090-5555-0001", **north(0))
    single, _ = make_volunteer(name="ひとつ 太郎", contact="090-5555-0002", **north(-300))
    homes = {
        name: make_resident(name=name, address=f"東京都世田谷区太子堂4-{n}-1", **north(m))
        for n, (name, m) in enumerate((("一番 さち", 100), ("二番 とも", 400), ("三番 みち", 700)))
    }
    requests = {
        name: make_help_request(resident=r, window_start=at(7, 0), window_end=at(8, 30))
        for name, r in homes.items()
    }
    alone = make_help_request(
        resident=make_resident(name="ひとり よし", **north(-250)),
        category="shopping",
        window_start=at(10, 0),
        window_end=at(16, 0),
    )
    run = make_run(
        session,
        requests_count=4,
        volunteers_count=2,
        matched_count=4,
        params={"weights": {"walking_m_per_min": 45.0}},
        stats={
            "proven_optimal": True,
            "rounds": 1,
            "total_distance_m": 150.0,
            "total_walking_m": 600.0,
        },
    )
    third = propose(session, run, requests["三番 みち"], walker, order=3, start=at(7, 52))
    first = propose(session, run, requests["一番 さち"], walker, order=1, start=at(7, 17))
    lone = propose(session, run, alone, single, order=1, start=at(10, 3), distance_m=50.0)
    second = propose(session, run, requests["二番 とも"], walker, order=2, start=at(7, 31))
    return run, walker, single, (first, second, third), lone


def positions(html: str, *words: str) -> list[int]:
    found = [html.find(word) for word in words]
    assert all(p >= 0 for p in found), dict(zip(words, found, strict=True))
    return found


def test_a_round_is_one_card_with_its_tasks_in_visiting_order_and_planned_times(
    visitor, sc, round_run
):
    run, walker, _, (first, second, third), _ = round_run
    html = visitor.get(f"/dispatch/runs/{run.id}").text
    card = html[html.index(f'id="round-{walker.id}"') :]
    card = card[: card.index("</ol>")]
    assert "まわる順" in card and "まわる 花子 さん" in card and "090-5555-0001" in card
    # in round order, though written 3, 1, 2; odd minutes in Tokyo time from UTC datetimes
    a, b, c = positions(card, "予定 07:17", "予定 07:31", "予定 07:52")
    assert a < b < c
    assert positions(card, "一番 さち", "二番 とも", "三番 みち") == sorted(
        positions(card, "一番 さち", "二番 とも", "三番 みち")
    )
    # each task's window and 町丁目
    assert card.count("07:00〜08:30") == 3
    assert card.count("太子堂") >= 3 and "丁目" in card
    # the walk: from home 100 m, then 300 m between residents, at the run's 45 m/min
    # (the default 67 m/min would say 2 and 5 minutes)
    assert "家から" in card and "徒歩 約3分（100 m）" in card
    assert card.count("徒歩 約7分（300 m）") == 2
    # the same buttons as for one task, on every task
    for assignment in (first, second, third):
        assert f"/dispatch/assignments/{assignment.id}/accept" in card
        assert f"/dispatch/assignments/{assignment.id}/decline" in card
        assert f"/dispatch/assignments/{assignment.id}/alternatives" in card
        assert f"/dispatch/assignments/{assignment.id}/cancel" in card
    assert "まわる 花子 さん：電話で承諾を記録（一番 さち さんの" in card


def test_a_one_task_volunteer_shows_as_before_with_their_planned_start(visitor, sc, round_run):
    run, _, single, _, lone = round_run
    html = visitor.get(f"/dispatch/runs/{run.id}").text
    card = html[html.index(f'id="assignment-{lone.id}"') :]
    card = card[: card.index("</li>")]
    assert "ひとつ 太郎 さん" in card and "予定 10:03" in card and "距離" in card
    assert f'id="round-{single.id}"' not in html


def test_the_run_s_numbers_say_who_goes_round_and_that_the_result_is_proven(visitor, sc, round_run):
    run, *_ = round_run
    html = visitor.get(f"/dispatch/runs/{run.id}").text
    numbers = html[html.index('aria-label="この実行の数字"') :]
    assert re.search(r"複数の依頼をまわる</span><span class=\"numbers__value\">1<small>人", numbers)
    assert "最適であることを確認済み" in html
    assert "下限との差" not in html
    assert "依頼の間を歩く距離の合計 600 m" in html


def test_an_unproven_run_shows_its_gap_to_the_bound(session, visitor, sc, round_run):
    run, *_ = round_run
    run.stats = {
        "proven_optimal": False,
        "bound_reached": False,
        "gap_pct": 1.26,
        "matched_bound": 12,
        "lower_bound": 1234.5,
        "rounds": 1,
    }
    session.flush()
    html = visitor.get(f"/dispatch/runs/{run.id}").text
    assert "下限との差 1.3 %（件数の上限 12 件）" in html
    assert "最適であることを確認済み" not in html


def test_an_old_run_without_the_new_stats_still_renders(
    session, visitor, sc, make_volunteer, make_help_request
):
    volunteer, _ = make_volunteer(name="むかし 一郎", **north(50))
    request = make_help_request()
    run = make_run(session, requests_count=1, matched_count=1, volunteers_count=1, stats={})
    run.params = {}
    propose(session, run, request, volunteer, order=None, start=None)
    page = visitor.get(f"/dispatch/runs/{run.id}")
    assert page.status_code == 200
    assert "むかし 一郎" in page.text
    assert "予定 " not in page.text  # nothing planned: no time made up
    assert "最適であることを確認済み" not in page.text and "下限との差" not in page.text
    assert re.search(r"複数の依頼をまわる</span><span class=\"numbers__value\">0<small>", page.text)


def test_a_request_no_round_could_take_says_why(session, visitor, sc, make_help_request):
    request = make_help_request()
    run = make_run(
        session,
        requests_count=1,
        unmatched=[{"help_request_id": request.id, "reason": "round_full", "detail": "満杯"}],
    )
    html = visitor.get(f"/dispatch/runs/{run.id}").text
    assert "提案できなかった依頼" in html
    assert "その日に引き受けられる数に達しているか、まわる順に組み込めない" in html


def test_the_map_draws_a_round_as_one_line_from_home_through_its_stops_in_order(
    visitor, sc, round_run
):
    run, walker, single, (first, second, third), lone = round_run
    html = visitor.get(f"/dispatch/runs/{run.id}").text
    svg = the_map(html[html.index('<figure class="zonemap"') :])
    centres = {
        ("request", int(g.get("data-request"))): translate(g)
        for g in svg.iter(f"{SVG}g")
        if g.get("data-request")
    } | {
        ("volunteer", int(g.get("data-volunteer"))): translate(g)
        for g in svg.iter(f"{SVG}g")
        if g.get("data-volunteer")
    }
    (line,) = list(svg.iter(f"{SVG}polyline"))
    points = [tuple(float(v) for v in p.split(",")) for p in line.get("points").split()]
    assert points == [
        centres["volunteer", walker.id],
        centres["request", first.help_request_id],
        centres["request", second.help_request_id],
        centres["request", third.help_request_id],
    ]
    assert line.get("data-status") == "proposed" and line.get("stroke-dasharray")
    # the one-task volunteer keeps a line of their own; the round's stops have none
    lines = list(svg.iter(f"{SVG}line"))
    assert [(int(x.get("data-request")), int(x.get("data-volunteer"))) for x in lines] == [
        (lone.help_request_id, single.id)
    ]
    numbers = [t.text for t in svg.iter(f"{SVG}text") if "order-number" in t.get("class", "")]
    assert numbers == ["①", "②", "③"]
    assert "まわる順" in html[html.index('class="zonemap__legend"') :]
    assert "複数の依頼をまわる方 1人" in svg.findtext(f"{SVG}desc")


def test_a_round_all_accepted_is_a_solid_line():
    requests = [
        MapRequest(id=1, label="依頼1", lat=35.6432, lon=139.6710),
        MapRequest(id=2, label="依頼2", lat=35.6452, lon=139.6660),
    ]
    volunteers = [MapVolunteer(id=7, label="佐藤 一郎", lat=35.6440, lon=139.6690)]
    svg = the_map(
        zone_map(
            ward="世田谷区",
            zone="太子堂",
            requests=requests,
            volunteers=volunteers,
            rounds=[MapRound(volunteer_id=7, request_ids=(2, 1), status="accepted")],
        )
    )
    (line,) = list(svg.iter(f"{SVG}polyline"))
    assert line.get("data-requests") == "2 1" and line.get("stroke-dasharray") is None
    with pytest.raises(ValueError, match="not on the map"):
        zone_map(
            ward="世田谷区",
            zone="太子堂",
            requests=requests,
            volunteers=volunteers,
            rounds=[MapRound(volunteer_id=7, request_ids=(1, 3))],
        )


def test_the_sheet_lists_a_volunteer_s_day_in_round_order_with_planned_starts(
    session, visitor, sc, round_run
):
    run, walker, _, (first, second, third), _ = round_run
    second.status = "accepted"
    session.flush()
    html = visitor.get(f"/dispatch/sheet/{walker.id}/{DAY.isoformat()}").text
    assert "まわる 花子 さんの予定表" in html
    a, b, c = positions(html, "予定 07:17", "予定 07:31", "予定 07:52")
    assert a < b < c
    assert "3件を、上から順にまわります" in html
    assert "家から 徒歩 約3分（100 m）" in html and "前のお宅から 徒歩 約7分（300 m）" in html
    # an accepted task names the resident; a proposed one does not yet
    assert "二番 とも" in html and "一番 さち" not in html


def test_the_run_s_sheet_groups_every_volunteer_s_tasks_in_round_order(visitor, sc, round_run):
    run, walker, single, _, _ = round_run
    page = visitor.get(f"/dispatch/runs/{run.id}/sheet")
    assert page.status_code == 200
    html = page.text
    walker_at, single_at = positions(html, "まわる 花子 さん", "ひとつ 太郎 さん")
    assert walker_at < single_at  # volunteers in the order of their first proposal
    walker_part = html[walker_at:single_at]
    a, b, c = positions(walker_part, "予定 07:17", "予定 07:31", "予定 07:52")
    assert a < b < c
    assert "予定 10:03" in html[single_at:]
    assert f'href="/dispatch/runs/{run.id}/sheet"' in visitor.get(f"/dispatch/runs/{run.id}").text


def test_a_withdrawn_task_leaves_the_rest_of_the_round_in_order(session, visitor, sc, round_run):
    run, walker, _, (first, second, third), _ = round_run
    second.status = "cancelled"
    second.help_request.status = "open"
    session.flush()
    html = visitor.get(f"/dispatch/runs/{run.id}").text
    card = html[html.index(f'id="round-{walker.id}"') :]
    card = card[: card.index("</ol>")]
    a, c = positions(card, "予定 07:17", "予定 07:52")
    assert a < c and "予定 07:31" not in card
    assert "徒歩 約14分（600 m）" in card  # straight from the first to the third


def test_the_zone_s_map_page_draws_the_newest_run_s_round_too(visitor, sc, round_run):
    run, walker, _, (first, second, third), _ = round_run
    html = visitor.get("/map/?zone=太子堂").text
    svg = the_map(html[html.index('<figure class="zonemap"') :])
    (line,) = list(svg.iter(f"{SVG}polyline"))
    assert line.get("data-volunteer") == str(walker.id)
    assert line.get("data-requests") == " ".join(
        str(a.help_request_id) for a in (first, second, third)
    )


def test_the_board_says_who_takes_several_tasks_a_day(session, visitor, sc, make_volunteer):
    several, _ = make_volunteer(name="三件 まで子", **north(80))
    several.max_tasks_per_day = 3
    make_volunteer(name="一件 だけ男", **north(90))
    session.flush()
    html = visitor.get(f"/dispatch/?zone=太子堂&day={DAY.isoformat()}").text
    mine = html[html.index('class="dispatch-person__name">三件 まで子') :]
    assert "1日 3件まで" in mine[: mine.index("</li>")]
    theirs = html[html.index('class="dispatch-person__name">一件 だけ男') :]
    assert "件まで" not in theirs[: theirs.index("</li>")]


def test_a_real_run_shows_the_round_it_planned_and_the_request_that_did_not_fit(
    session, visitor, sc, make_volunteer, make_resident, make_help_request
):
    walker, _ = make_volunteer(name="二件 まで子", contact="090-5555-0003", **north(0))
    walker.max_tasks_per_day = 2
    for name, metres in (("北 一", 150), ("北 二", 350), ("北 三", 550)):
        make_help_request(resident=make_resident(name=name, **north(metres)))
    session.flush()
    board = f"/dispatch/?zone=太子堂&day={DAY.isoformat()}"
    page = visitor.get(board)
    response = visitor.client.post(
        "/dispatch/runs",
        data={"zone": "太子堂", "day": DAY.isoformat(), "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 303
    html = visitor.get(response.headers["Location"]).text
    card = html[html.index(f'id="round-{walker.id}"') :]
    card = card[: card.index("</ol>")]
    times = re.findall(r"予定 (\d\d:\d\d)", card)
    assert len(times) == 2 and times == sorted(times)
    assert "家から" in card and "前の場所から" in card
    assert "最適であることを確認済み" in html or "下限との差" in html
    assert re.search(r"複数の依頼をまわる</span><span class=\"numbers__value\">1<small>", html)
    unmatched = html[html.index("提案できなかった依頼") :]
    assert "その日に引き受けられる数に達しているか" in unmatched
    svg = the_map(html[html.index('<figure class="zonemap"') :])
    (line,) = list(svg.iter(f"{SVG}polyline"))
    assert line.get("data-volunteer") == str(walker.id)
    assert len(line.get("points").split()) == 3
