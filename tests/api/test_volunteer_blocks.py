"""Date blocks through the API: a volunteer or an SC blocks days; a profile shows no-shows."""

from __future__ import annotations

import datetime as dt

from matching.models import Assignment
from tests.conftest import TOKYO, local


def day(offset: int) -> str:
    return (dt.datetime.now(TOKYO).date() + dt.timedelta(days=offset)).isoformat()


def test_a_volunteer_blocks_lists_and_removes_their_own_days(api, make_volunteer):
    volunteer, token = make_volunteer()
    path = f"/api/v1/volunteers/{volunteer.id}/blocks"
    created = api.post(path, {"first_day": day(3), "last_day": day(5), "note": "旅行"}, token=token)
    assert created.status_code == 201, created.get_json()
    block = created.get_json()
    assert (block["first_day"], block["last_day"], block["note"]) == (day(3), day(5), "旅行")
    one_day = api.post(path, {"first_day": day(9)}, token=token).get_json()
    assert one_day["last_day"] == day(9) and one_day["note"] is None
    listed = api.get(path, token=token).get_json()
    assert [b["id"] for b in listed] == [block["id"], one_day["id"]]
    assert [b["id"] for b in api.get(f"{path}?since={day(6)}", token=token).get_json()] == [
        one_day["id"]
    ]
    removed = api.call("DELETE", f"{path}/{block['id']}", token=token)
    assert removed.status_code == 204
    assert [b["id"] for b in api.get(path, token=token).get_json()] == [one_day["id"]]
    assert api.call("DELETE", f"{path}/{block['id']}", token=token).status_code == 404


def test_an_sc_blocks_days_for_a_volunteer_by_phone(api, coordinator, make_volunteer):
    volunteer, token = make_volunteer()
    path = f"/api/v1/volunteers/{volunteer.id}/blocks"
    assert api.post(path, {"first_day": day(2)}, token=coordinator).status_code == 201
    assert len(api.get(path, token=token).get_json()) == 1


def test_a_volunteer_cannot_see_or_touch_anothers_blocks(api, coordinator, make_volunteer):
    volunteer, _ = make_volunteer()
    _, stranger = make_volunteer(name="他人")
    path = f"/api/v1/volunteers/{volunteer.id}/blocks"
    block = api.post(path, {"first_day": day(2)}, token=coordinator).get_json()
    assert api.get(path, token=stranger).status_code == 404
    assert api.post(path, {"first_day": day(2)}, token=stranger).status_code == 404
    assert api.call("DELETE", f"{path}/{block['id']}", token=stranger).status_code == 404
    assert api.get(path).status_code == 401


def test_a_block_that_ends_before_it_begins_is_refused(api, make_volunteer):
    volunteer, token = make_volunteer()
    path = f"/api/v1/volunteers/{volunteer.id}/blocks"
    response = api.post(path, {"first_day": day(5), "last_day": day(4)}, token=token)
    assert response.status_code == 422
    assert "last_day" in str(response.get_json())
    assert api.post(path, {"first_day": "5月3日"}, token=token).status_code == 422


def test_a_blocked_day_is_explained_in_a_match_run(
    api, coordinator, make_help_request, make_volunteer
):
    volunteer, token = make_volunteer()
    api.post(f"/api/v1/volunteers/{volunteer.id}/blocks", {"first_day": day(2)}, token=token)
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    run = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()
    assert run["assignments"] == []
    assert [(u["help_request_id"], u["reason"]) for u in run["unmatched"]] == [
        (request.id, "blocked")
    ]


def test_the_profile_shows_how_many_times_a_volunteer_did_not_show(
    api, coordinator, session, make_help_request, make_volunteer
):
    volunteer, token = make_volunteer()
    path = f"/api/v1/volunteers/{volunteer.id}"
    assert api.get(path, token=coordinator).get_json()["no_show_count"] == 0
    request = make_help_request(
        window_start=local(-2, 7), window_end=local(-2, 9), now=local(-3, 0)
    )
    session.add(
        Assignment(
            help_request_id=request.id,
            volunteer_id=volunteer.id,
            status="no_show",
            distance_m=10.0,
            cost=10.0,
        )
    )
    session.flush()
    assert api.get(path, token=coordinator).get_json()["no_show_count"] == 1
    profile = api.get(path, token=token).get_json()
    assert profile["no_show_count"] == 1 and profile["status"] == "active"
