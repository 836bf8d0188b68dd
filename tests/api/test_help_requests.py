"""Help requests: an SC opens one for a resident in a window; lists filter; cancel is a state change."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from matching.models import Assignment, HelpRequest
from tests.conftest import local


def count(session):
    return session.scalar(select(func.count()).select_from(HelpRequest))


def body(resident, **change):
    return {
        "resident_id": resident,
        "category": "garbage",
        "window_start": local(3, 7).isoformat(),
        "window_end": local(3, 9).isoformat(),
        **change,
    }


def test_sc_opens_a_request(api, coordinator, make_resident):
    resident = make_resident()
    response = api.post(
        "/api/v1/help-requests", body(resident.id, notes="玄関前"), token=coordinator
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "open"
    assert created["category"] == "garbage"
    assert created["zone"] == "太子堂"
    assert created["window_start"] == local(3, 7).isoformat()


def test_utc_input_comes_back_in_tokyo_time(api, coordinator, make_resident):
    resident = make_resident()
    start = local(3, 7).astimezone(dt.UTC)
    response = api.post(
        "/api/v1/help-requests",
        body(
            resident.id,
            window_start=start.isoformat(),
            window_end=(start + dt.timedelta(hours=1)).isoformat(),
        ),
        token=coordinator,
    )
    assert response.get_json()["window_start"] == local(3, 7).isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "massage"}, "category"),
        ({"resident_id": 999999}, "resident_id"),
        ({"resident_id": "one"}, "resident_id"),
        ({"window_end": local(3, 6).isoformat()}, "window_end"),
        ({"window_end": local(3, 7).isoformat()}, "window_end"),
        ({"window_start": "2026-13-01T07:00:00+09:00"}, "window_start"),
        ({"window_start": local(3, 7).replace(tzinfo=None).isoformat()}, "window_start"),
        (
            {"window_start": local(-3, 7).isoformat(), "window_end": local(-3, 9).isoformat()},
            "window_end",
        ),
        ({"category": "shopping", "window_end": local(3, 7, 30).isoformat()}, "window_end"),
        ({"window_end": local(30, 9).isoformat()}, "window_end"),
        ({"notes": "x" * 1001}, "notes"),
    ],
)
def test_bad_requests_are_422_and_change_nothing(
    api, coordinator, make_resident, session, change, field
):
    resident = make_resident()
    before = count(session)
    response = api.post("/api/v1/help-requests", body(resident.id, **change), token=coordinator)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    assert count(session) == before


def test_only_coordinators_open_requests(api, make_volunteer, make_resident):
    resident = make_resident()
    _, token = make_volunteer()
    assert api.post("/api/v1/help-requests", body(resident.id), token=token).status_code == 403
    assert api.post("/api/v1/help-requests", body(resident.id)).status_code == 401
    assert api.get("/api/v1/help-requests", token=token).status_code == 403


def test_list_filters_by_status_zone_and_window(api, coordinator, make_resident, make_help_request):
    taishido = make_resident()
    mishuku = make_resident(zone="三宿")
    early = make_help_request(resident=taishido, window_start=local(1, 7), window_end=local(1, 9))
    late = make_help_request(resident=taishido, window_start=local(5, 7), window_end=local(5, 9))
    elsewhere = make_help_request(resident=mishuku)
    cancelled = make_help_request(resident=taishido)
    api.post(f"/api/v1/help-requests/{cancelled.id}/cancel", token=coordinator)

    def ids(query):
        response = api.get(f"/api/v1/help-requests?{query}", token=coordinator)
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("zone=太子堂&status=open") == [early.id, late.id]
    assert ids("zone=三宿") == [elsewhere.id]
    assert ids("status=cancelled") == [cancelled.id]
    to = local(2, 0).isoformat().replace("+", "%2B")
    frm = local(4, 0).isoformat().replace("+", "%2B")
    assert ids(f"zone=太子堂&to={to}") == [early.id]
    assert ids(f"zone=太子堂&from={frm}") == [late.id]


def test_list_is_paginated(api, coordinator, make_resident, make_help_request):
    resident = make_resident(zone="池尻")
    made = [
        make_help_request(
            resident=resident, window_start=local(1, 7 + i), window_end=local(1, 9 + i)
        )
        for i in range(5)
    ]
    page = api.get(
        "/api/v1/help-requests?zone=池尻&page=2&page_size=2", token=coordinator
    ).get_json()
    assert [item["id"] for item in page["items"]] == [made[2].id, made[3].id]
    assert page["total"] == 5 and page["pages"] == 3 and page["page"] == 2
    assert api.get("/api/v1/help-requests?page_size=500", token=coordinator).status_code == 422


def test_cancel_open_request(api, coordinator, make_help_request):
    request = make_help_request()
    response = api.post(f"/api/v1/help-requests/{request.id}/cancel", token=coordinator)
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    again = api.post(f"/api/v1/help-requests/{request.id}/cancel", token=coordinator)
    assert again.status_code == 409
    assert "cancelled" in again.get_json()["message"]


def test_cancel_a_proposed_request_withdraws_the_proposal(
    api, coordinator, make_help_request, make_volunteer, session
):
    request = make_help_request()
    volunteer, _ = make_volunteer()
    request.status = "proposed"
    session.add(
        Assignment(
            help_request_id=request.id, volunteer_id=volunteer.id, distance_m=100.0, cost=100.0
        )
    )
    session.flush()
    response = api.post(f"/api/v1/help-requests/{request.id}/cancel", token=coordinator)
    assert response.status_code == 200
    assignment = session.scalar(select(Assignment).where(Assignment.help_request_id == request.id))
    session.refresh(assignment)
    assert assignment.status == "cancelled"


@pytest.mark.parametrize("status", ["accepted", "completed"])
def test_accepted_or_completed_requests_cannot_be_cancelled(
    api, coordinator, make_help_request, session, status
):
    request = make_help_request()
    request.status = status
    session.flush()
    assert (
        api.post(f"/api/v1/help-requests/{request.id}/cancel", token=coordinator).status_code == 409
    )


def test_cancel_unknown_is_404(api, coordinator):
    assert api.post("/api/v1/help-requests/777777/cancel", token=coordinator).status_code == 404


def test_one_request_is_shown_to_coordinators(api, coordinator, make_help_request, make_volunteer):
    request = make_help_request(notes="玄関の前に出してあります")
    shown = api.get(f"/api/v1/help-requests/{request.id}", token=coordinator)
    assert shown.status_code == 200
    assert shown.get_json()["notes"] == "玄関の前に出してあります"
    assert api.get("/api/v1/help-requests/555555", token=coordinator).status_code == 404
    _, token = make_volunteer()
    assert api.get(f"/api/v1/help-requests/{request.id}", token=token).status_code == 403
