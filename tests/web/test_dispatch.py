"""The SC's dispatch screen through the test client: pick a zone and a day, see the open
requests and who could help, run matching, answer by phone, override, complete (points shown),
no-show, cancel; print a volunteer's sheet; take a request by phone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matching.models import Assignment, HelpRequest
from tests.conftest import local
from tests.matching.test_dispatch_history import north
from tests.web.conftest import csrf_token

DAY = local(2, 0).date().isoformat()
BOARD = f"/dispatch/?zone=太子堂&day={DAY}"


@pytest.fixture
def sc(visitor, make_staff):
    staff = make_staff(name="sc-taishido")
    assert visitor.sign_in("sc-taishido").status_code == 303
    return staff


@pytest.fixture
def ward(make_help_request, make_resident, make_volunteer):
    """A request in 太子堂 the day after tomorrow, the nearest volunteer, two more."""
    resident = make_resident(name="山田 花子", notes=None)
    request = make_help_request(resident=resident, notes="玄関は裏です")
    nearest, _ = make_volunteer(name="近い 一郎", contact="090-1111-2222", **north(50))
    at_200, _ = make_volunteer(name="候補 次郎", contact="090-3333-4444", **north(200))
    at_300, _ = make_volunteer(name="候補 三郎", **north(300))
    return request, nearest, at_200, at_300


def post(visitor, path, data=None, *, form_at):
    """Post one of the page's forms (any form carries the same session token)."""
    page = visitor.get(form_at)
    return visitor.client.post(path, data={**(data or {}), "csrf_token": csrf_token(page.text)})


def run_matching(visitor):
    response = post(visitor, "/dispatch/runs", {"zone": "太子堂", "day": DAY}, form_at=BOARD)
    assert response.status_code == 303
    found = re.search(r"/dispatch/runs/(\d+)", response.headers["Location"])
    assert found
    return response.headers["Location"]


def proposal_of(session, request):
    session.expire_all()
    return session.scalar(
        select(Assignment).where(
            Assignment.help_request_id == request.id, Assignment.status != "cancelled"
        )
    )


def test_only_a_signed_in_sc_sees_the_screen(visitor, make_staff, ward):
    assert visitor.get(BOARD).status_code == 302
    make_staff(name="sc-x")
    visitor.sign_in("sc-x")
    assert visitor.get(BOARD).status_code == 200


def test_the_board_shows_the_zones_open_requests_and_who_could_help(
    visitor, sc, ward, make_volunteer, make_resident, make_help_request
):
    request, nearest, at_200, _ = ward
    make_volunteer(name="遠い 人", zone="三軒茶屋", max_distance_m=500, **north(5000))
    make_volunteer(name="平日だけ 人", availability=[], **north(100))
    make_help_request(resident=make_resident(name="よその 人", zone="三軒茶屋"))
    page = visitor.get(BOARD)
    assert page.status_code == 200
    html = page.text
    assert "山田 花子" in html
    assert "ごみ出し" in html or request.category.label_ja in html
    assert "玄関は裏です" in html
    assert "受付から" in html
    assert "よその 人" not in html  # another zone
    assert "近い 一郎" in html and "090-1111-2222" in html
    assert "候補 次郎" in html
    assert "遠い 人" not in html
    assert "平日だけ 人" not in html  # no slot that day
    assert 'id="zone-map"' in html
    assert "<option" in html and "太子堂" in html


def test_a_bad_date_is_explained_in_japanese(visitor, sc):
    page = visitor.get("/dispatch/?day=2026-13-40")
    assert page.status_code == 422
    assert "日付は 2026-11-30 の形で入力してください。" in page.text


def test_running_matching_shows_proposals_with_phone_distance_and_reasons(visitor, sc, ward):
    _, nearest, _, _ = ward
    page = visitor.get(run_matching(visitor))
    assert page.status_code == 200
    html = page.text
    assert "近い 一郎" in html
    assert "090-1111-2222" in html
    assert "距離" in html and " m" in html
    assert "提案できた" in html
    assert "電話で承諾を記録" in html


def test_unmatched_requests_show_their_reason_in_japanese(
    visitor, sc, make_help_request, make_resident, make_volunteer
):
    make_volunteer(name="近い 一郎", max_distance_m=500, **north(50))
    make_help_request(resident=make_resident(name="遠くの 人", **north(5000)))
    page = visitor.get(run_matching(visitor))
    assert "提案できなかった依頼" in page.text
    assert "遠くの 人" in page.text
    assert "近くに担い手がいない" in page.text


def test_a_form_without_its_token_is_refused(visitor, sc, ward):
    response = visitor.client.post("/dispatch/runs", data={"zone": "太子堂", "day": DAY})
    assert response.status_code == 400


def test_the_sc_records_an_acceptance_by_phone(visitor, sc, ward, session):
    request, nearest, _, _ = ward
    run = run_matching(visitor)
    assignment = proposal_of(session, request)
    response = post(visitor, f"/dispatch/assignments/{assignment.id}/accept", form_at=run)
    assert response.status_code == 303
    assignment = proposal_of(session, request)
    assert (assignment.status, assignment.answered_via, assignment.answered_by_id) == (
        "accepted",
        "phone",
        sc.id,
    )
    page = visitor.get(response.headers["Location"])
    assert "承諾を電話で記録しました" in page.text
    assert "電話で（SCが記録）" in page.text


def test_the_sc_records_a_decline_by_phone(visitor, sc, ward, session):
    request, _, _, _ = ward
    run = run_matching(visitor)
    assignment = proposal_of(session, request)
    post(visitor, f"/dispatch/assignments/{assignment.id}/decline", form_at=run)
    session.expire_all()
    declined = session.get(Assignment, assignment.id)
    assert (declined.status, declined.answered_via) == ("declined", "phone")
    assert session.get(HelpRequest, request.id).status == "open"


def test_the_sc_overrides_a_proposal_with_a_ranked_alternative(visitor, sc, ward, session):
    request, nearest, at_200, at_300 = ward
    run_matching(visitor)
    assignment = proposal_of(session, request)
    choices = visitor.get(f"/dispatch/assignments/{assignment.id}/alternatives")
    assert choices.status_code == 200
    assert choices.text.index("候補 次郎") < choices.text.index("候補 三郎")
    response = post(
        visitor,
        f"/dispatch/assignments/{assignment.id}/override",
        {"volunteer_id": str(at_300.id)},
        form_at=f"/dispatch/assignments/{assignment.id}/alternatives",
    )
    assert response.status_code == 303
    chosen = proposal_of(session, request)
    assert (chosen.volunteer_id, chosen.status, chosen.proposed_by_id) == (
        at_300.id,
        "proposed",
        sc.id,
    )
    assert session.get(Assignment, assignment.id).status == "cancelled"
    page = visitor.get(response.headers["Location"])
    assert "候補 三郎 さんに替えました" in page.text
    assert "SCが選択" in page.text


def test_an_infeasible_override_is_refused_and_changes_nothing(
    visitor, sc, ward, session, make_volunteer
):
    request, nearest, _, _ = ward
    far, _ = make_volunteer(name="遠い 人", max_distance_m=500, **north(5000))
    run_matching(visitor)
    assignment = proposal_of(session, request)
    response = post(
        visitor,
        f"/dispatch/assignments/{assignment.id}/override",
        {"volunteer_id": str(far.id)},
        form_at=f"/dispatch/assignments/{assignment.id}/alternatives",
    )
    assert response.status_code == 303
    assert "alternatives" in response.headers["Location"]
    assert proposal_of(session, request).id == assignment.id
    page = visitor.get(response.headers["Location"])
    assert "その担い手には替えられません" in page.text


def test_completing_a_task_shows_the_points_credited(visitor, sc, ward, session):
    request, _, _, _ = ward
    run = run_matching(visitor)
    assignment = proposal_of(session, request)
    post(visitor, f"/dispatch/assignments/{assignment.id}/accept", form_at=run)
    response = post(visitor, f"/dispatch/assignments/{assignment.id}/complete", form_at=run)
    points = request.category.points
    page = visitor.get(response.headers["Location"])
    assert f"完了にしました。{points} pt 付与しました" in page.text
    assert f"{points} pt 付与" in visitor.get(run).text
    assert proposal_of(session, request).status == "completed"


@pytest.mark.parametrize(("action", "after"), [("no-show", "no_show"), ("cancel", "cancelled")])
def test_an_accepted_task_can_be_marked_no_show_or_cancelled(
    visitor, sc, ward, session, action, after
):
    request, _, _, _ = ward
    run = run_matching(visitor)
    assignment = proposal_of(session, request)
    post(visitor, f"/dispatch/assignments/{assignment.id}/accept", form_at=run)
    post(visitor, f"/dispatch/assignments/{assignment.id}/{action}", form_at=run)
    session.expire_all()
    assert session.get(Assignment, assignment.id).status == after
    assert session.get(HelpRequest, request.id).status == "open"


def test_an_action_on_a_changed_proposal_says_so(visitor, sc, ward, session):
    request, _, _, _ = ward
    run = run_matching(visitor)
    assignment = proposal_of(session, request)
    response = post(visitor, f"/dispatch/assignments/{assignment.id}/complete", form_at=run)
    assert response.status_code == 303
    assert "すでに変わっていました" in visitor.get(response.headers["Location"]).text


def test_the_sheet_shows_addresses_of_accepted_tasks_only_in_time_order(
    visitor, sc, session, make_volunteer, make_resident, make_help_request
):
    helper, _ = make_volunteer(name="印刷 花子", max_tasks_per_day=2)
    later = make_help_request(
        resident=make_resident(name="午後の 人", address="東京都世田谷区太子堂2-2-2"),
        category="shopping",
        window_start=local(2, 13),
        window_end=local(2, 16),
    )
    earlier = make_help_request(
        resident=make_resident(name="朝の 人", address="東京都世田谷区太子堂1-1-1"),
        window_start=local(2, 7),
        window_end=local(2, 9),
    )
    run = run_matching(visitor)
    accepted = proposal_of(session, earlier)
    assert accepted.volunteer_id == helper.id
    post(visitor, f"/dispatch/assignments/{accepted.id}/accept", form_at=run)
    run_matching(visitor)  # one task per volunteer in a run: the second run proposes the other
    assert proposal_of(session, later).status == "proposed"
    sheet = visitor.get(f"/dispatch/sheet/{helper.id}/{DAY}")
    assert sheet.status_code == 200
    html = sheet.text
    assert "印刷 花子 さんの予定表" in html
    assert "東京都世田谷区太子堂1-1-1" in html
    assert "東京都世田谷区太子堂2-2-2" not in html
    assert "午後の 人" not in html
    assert "確定後にお知らせ" in html
    assert html.index("07:00") < html.index("13:00")
    assert "dispatch.css" in html
    assert visitor.get(f"/dispatch/sheet/{helper.id}/not-a-day").status_code == 404


def test_the_sheet_prints_in_large_type(app):
    response = app.test_client().get("/assets/dispatch.css")
    css = response.text
    response.close()
    assert "@media print" in css


def test_a_request_taken_by_phone_is_listed_on_the_board(visitor, sc, make_resident, session):
    resident = make_resident(name="電話の 人")
    form = f"/dispatch/requests/new?resident_id={resident.id}"
    page = visitor.get(form)
    assert page.status_code == 200
    assert "電話の 人" in page.text
    response = post(
        visitor,
        form,
        {
            "category": "shopping",
            "day": DAY,
            "start": "10:00",
            "end": "12:00",
            "notes": "牛乳とパン",
        },
        form_at=form,
    )
    assert response.status_code == 303
    assert f"day={DAY}" in response.headers["Location"]
    board = visitor.get(response.headers["Location"])
    assert (
        "電話の 人 さんの依頼（買い物代行）を受け付けました。" in board.text
        or "受け付けました" in board.text
    )
    assert "牛乳とパン" in board.text
    [created] = session.scalars(
        select(HelpRequest).where(HelpRequest.resident_id == resident.id)
    ).all()
    assert created.window_start == local(2, 10)
    assert created.window_end == local(2, 12)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("12:00", "10:00", "終わりは始まりより後の時刻にしてください。"),
        ("10:00", "10:15", "この活動に必要な時間より短い時間帯です。"),
        ("10:00", "25:00", "時刻は 10:00 の形で入力してください。"),
    ],
)
def test_a_wrong_window_is_explained_next_to_the_field(
    visitor, sc, make_resident, session, start, end, message
):
    resident = make_resident()
    form = f"/dispatch/requests/new?resident_id={resident.id}"
    response = post(
        visitor,
        form,
        {"category": "shopping", "day": DAY, "start": start, "end": end},
        form_at=form,
    )
    assert response.status_code == 422
    assert message in response.text
    assert session.scalar(select(HelpRequest).where(HelpRequest.resident_id == resident.id)) is None


def test_a_request_for_a_day_gone_by_is_refused(visitor, sc, make_resident):
    resident = make_resident()
    form = f"/dispatch/requests/new?resident_id={resident.id}"
    past = local(-2, 0).date().isoformat()
    response = post(
        visitor,
        form,
        {"category": "shopping", "day": past, "start": "10:00", "end": "12:00"},
        form_at=form,
    )
    assert response.status_code == 422
    assert "この時間はもう過ぎています" in response.text


def test_an_unknown_resident_is_not_found(visitor, sc):
    assert visitor.get("/dispatch/requests/new?resident_id=999999").status_code == 404
    assert visitor.get("/dispatch/requests/new").status_code == 404


def test_the_sc_cancels_an_open_request(visitor, sc, ward, session):
    request, _, _, _ = ward
    response = post(visitor, f"/dispatch/requests/{request.id}/cancel", form_at=BOARD)
    assert response.status_code == 303
    session.expire_all()
    assert session.get(HelpRequest, request.id).status == "cancelled"
    assert "山田 花子 さんの依頼を取り消しました。" in visitor.get(BOARD).text
