"""The assignment lifecycle: proposed -> accepted -> completed; declined, no-show, cancelled."""

import pytest

from matching.models import HelpRequest
from tests.conftest import local


@pytest.fixture
def proposal(api, coordinator, make_help_request, make_volunteer):
    """A request proposed to a volunteer by a match run: (assignment id, volunteer token, request)."""
    request = make_help_request()
    volunteer, token = make_volunteer()
    response = api.post("/api/v1/match-runs", {}, token=coordinator)
    [assignment] = response.get_json()["assignments"]
    assert assignment["volunteer_id"] == volunteer.id
    return assignment["id"], token, request


def status_of(session, request):
    session.expire_all()
    return session.get(HelpRequest, request.id).status


def test_volunteer_accepts_and_sc_completes(api, coordinator, proposal, session):
    assignment, token, request = proposal
    accepted = api.post(f"/api/v1/assignments/{assignment}/accept", token=token)
    assert accepted.status_code == 200
    assert accepted.get_json()["status"] == "accepted"
    assert accepted.get_json()["accepted_at"]
    assert status_of(session, request) == "accepted"

    completed = api.post(f"/api/v1/assignments/{assignment}/complete", token=coordinator)
    assert completed.status_code == 200
    assert completed.get_json()["status"] == "completed"
    assert status_of(session, request) == "completed"


def test_completing_twice_is_the_same_completion(api, coordinator, proposal):
    assignment, token, _ = proposal
    api.post(f"/api/v1/assignments/{assignment}/accept", token=token)
    first = api.post(f"/api/v1/assignments/{assignment}/complete", token=coordinator).get_json()
    again = api.post(f"/api/v1/assignments/{assignment}/complete", token=coordinator)
    assert again.status_code == 200
    assert again.get_json()["completed_at"] == first["completed_at"]


def test_the_sc_may_accept_on_the_volunteers_behalf(api, coordinator, proposal):
    assignment, _, _ = proposal
    assert (
        api.post(f"/api/v1/assignments/{assignment}/accept", token=coordinator).status_code == 200
    )


@pytest.mark.parametrize(
    ("steps", "then", "expected"),
    [
        ([], "complete", 409),  # proposed cannot be completed before it is accepted
        ([], "no-show", 409),
        (["accept"], "accept", 409),
        (["accept", "complete"], "accept", 409),
        (["accept", "complete"], "decline", 409),
        (["accept", "complete"], "cancel", 409),
        (["decline"], "accept", 409),
        (["decline"], "decline", 409),
        (["cancel"], "accept", 409),
        (["accept", "no-show"], "complete", 409),
    ],
)
def test_transitions_not_allowed_from_the_current_state_are_409(
    api, coordinator, proposal, steps, then, expected
):
    assignment, _, _ = proposal
    for step in steps:
        assert (
            api.post(f"/api/v1/assignments/{assignment}/{step}", token=coordinator).status_code
            == 200
        )
    response = api.post(f"/api/v1/assignments/{assignment}/{then}", token=coordinator)
    assert response.status_code == expected
    assert response.get_json()["code"] == expected


def test_decline_reopens_and_the_volunteer_is_never_proposed_again(
    api, coordinator, proposal, session, make_volunteer
):
    assignment, token, request = proposal
    declined = api.post(f"/api/v1/assignments/{assignment}/decline", token=token)
    assert declined.status_code == 200
    assert status_of(session, request) == "open"

    again = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()
    assert again["assignments"] == []
    assert again["unmatched"][0]["reason"] == "declined"

    other, _ = make_volunteer(name="別の 人")
    third = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()
    assert [p["volunteer_id"] for p in third["assignments"]] == [other.id]


def test_an_accepted_task_can_be_declined_later(api, proposal, session):
    assignment, token, request = proposal
    api.post(f"/api/v1/assignments/{assignment}/accept", token=token)
    assert api.post(f"/api/v1/assignments/{assignment}/decline", token=token).status_code == 200
    assert status_of(session, request) == "open"


def test_no_show_reopens_the_request(api, coordinator, proposal, session):
    assignment, token, request = proposal
    api.post(f"/api/v1/assignments/{assignment}/accept", token=token)
    response = api.post(f"/api/v1/assignments/{assignment}/no-show", token=coordinator)
    assert response.get_json()["status"] == "no_show"
    assert status_of(session, request) == "open"


def test_the_sc_withdraws_a_proposal(api, coordinator, proposal, session):
    assignment, _, request = proposal
    response = api.post(f"/api/v1/assignments/{assignment}/cancel", token=coordinator)
    assert response.get_json()["status"] == "cancelled"
    assert status_of(session, request) == "open"


def test_another_volunteer_cannot_touch_or_see_it(api, proposal, make_volunteer):
    assignment, _, _ = proposal
    _, stranger = make_volunteer(name="他人")
    for action in ("accept", "decline"):
        assert (
            api.post(f"/api/v1/assignments/{assignment}/{action}", token=stranger).status_code
            == 404
        )
    assert api.get(f"/api/v1/assignments/{assignment}", token=stranger).status_code == 404
    assert api.get("/api/v1/assignments", token=stranger).get_json()["items"] == []


def test_a_volunteer_cannot_complete_cancel_or_mark_no_show(api, proposal):
    assignment, token, _ = proposal
    api.post(f"/api/v1/assignments/{assignment}/accept", token=token)
    for action in ("complete", "cancel", "no-show"):
        assert (
            api.post(f"/api/v1/assignments/{assignment}/{action}", token=token).status_code == 403
        )


def test_unknown_assignment_is_404(api, coordinator):
    assert api.post("/api/v1/assignments/987654/accept", token=coordinator).status_code == 404


def test_the_residents_address_is_shown_to_the_volunteer_only_while_accepted(
    api, coordinator, proposal
):
    assignment, token, _ = proposal
    path = f"/api/v1/assignments/{assignment}"
    assert api.get(path, token=token).get_json()["resident"] is None
    api.post(f"{path}/accept", token=token)
    shown = api.get(path, token=token).get_json()
    assert shown["resident"]["name"] == "山田 花子"
    assert shown["resident"]["address"] == "東京都世田谷区太子堂4-1-1"
    assert shown["resident"]["phone"] == "03-1234-5678"
    assert shown["resident"]["notes"] is None  # the SC's notes stay with the SC
    assert shown["category"] == "garbage" and shown["window_start"] == local(2, 7).isoformat()
    api.post(f"{path}/complete", token=coordinator)
    assert api.get(path, token=token).get_json()["resident"] is None
    # the SC always sees it
    assert api.get(path, token=coordinator).get_json()["resident"]["address"]


def test_a_volunteer_lists_their_own_tasks(api, proposal):
    assignment, token, _ = proposal
    listed = api.get("/api/v1/assignments?status=proposed", token=token).get_json()
    assert [a["id"] for a in listed["items"]] == [assignment]
    assert listed["total"] == 1


def test_the_address_is_hidden_again_once_the_window_is_long_past(
    api, coordinator, proposal, session
):
    import datetime as dt

    assignment, token, request = proposal
    api.post(f"/api/v1/assignments/{assignment}/accept", token=token)
    request.window_start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)
    request.window_end = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    session.flush()
    assert api.get(f"/api/v1/assignments/{assignment}", token=token).get_json()["resident"] is None


@pytest.mark.parametrize(
    ("steps", "sees"),
    [
        ([], False),  # proposed
        (["accept"], True),
        (["accept", "complete"], False),
        (["decline"], False),
        (["cancel"], False),
        (["accept", "no-show"], False),
    ],
)
def test_only_the_volunteer_of_an_accepted_task_sees_the_residents_name(
    api, coordinator, proposal, steps, sees
):
    assignment, token, _ = proposal
    for step in steps:
        response = api.post(f"/api/v1/assignments/{assignment}/{step}", token=coordinator)
        assert response.status_code == 200
    one = api.get(f"/api/v1/assignments/{assignment}", token=token).get_json()
    [listed] = api.get("/api/v1/assignments", token=token).get_json()["items"]
    for task in (one, listed):
        if sees:
            assert task["resident"] == {
                "name": "山田 花子",
                "address": "東京都世田谷区太子堂4-1-1",
                "phone": "03-1234-5678",
                "notes": None,
            }
        else:
            assert task["resident"] is None
            assert "山田" not in str(task)
