"""The SC through the API: other feasible volunteers for a proposal, an override, and answers
recorded by phone on a volunteer's behalf."""

import datetime as dt

import pytest

from tests.matching.test_dispatch_history import north


@pytest.fixture
def proposal(api, coordinator, make_help_request, make_volunteer):
    """A proposal to the nearest volunteer; others at 300 m and 200 m. Returns
    (assignment id, the proposed volunteer's token, [volunteer at 200 m, at 300 m])."""
    _, token = make_volunteer(name="近い 人", **north(50))
    at_300, _ = make_volunteer(name="候補 300", **north(300))
    at_200, _ = make_volunteer(name="候補 200", **north(200))
    make_help_request()
    [assignment] = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()["assignments"]
    return assignment["id"], token, [at_200, at_300]


def test_the_sc_sees_the_alternatives_cheapest_first(api, coordinator, proposal):
    assignment, _, (at_200, at_300) = proposal
    response = api.get(f"/api/v1/assignments/{assignment}/alternatives", token=coordinator)
    assert response.status_code == 200
    body = response.get_json()
    assert [a["volunteer_id"] for a in body] == [at_200.id, at_300.id]
    assert body[0]["name"] == "候補 200"
    assert body[0]["cost"] <= body[1]["cost"]
    assert set(body[0]["reasons"]) == {
        "distance",
        "continuity",
        "load",
        "trial_experience",
        "no_show",
    }
    limited = api.get(f"/api/v1/assignments/{assignment}/alternatives?limit=1", token=coordinator)
    assert len(limited.get_json()) == 1


def test_a_volunteer_may_not_see_alternatives_or_override(api, proposal):
    assignment, token, (at_200, _) = proposal
    assert api.get(f"/api/v1/assignments/{assignment}/alternatives", token=token).status_code == 403
    overridden = api.post(
        f"/api/v1/assignments/{assignment}/override", {"volunteer_id": at_200.id}, token=token
    )
    assert overridden.status_code == 403


def test_the_sc_overrides_a_proposal(api, coordinator, proposal):
    assignment, _, (_, at_300) = proposal
    response = api.post(
        f"/api/v1/assignments/{assignment}/override",
        {"volunteer_id": at_300.id},
        token=coordinator,
    )
    assert response.status_code == 201
    new = response.get_json()
    assert (new["volunteer_id"], new["status"]) == (at_300.id, "proposed")
    assert new["proposed_by_id"] is not None
    old = api.get(f"/api/v1/assignments/{assignment}", token=coordinator).get_json()
    assert old["status"] == "cancelled"


def test_an_infeasible_override_is_refused_with_422(
    api, coordinator, proposal, make_volunteer, session
):
    assignment, _, _ = proposal
    far, _ = make_volunteer(name="遠い 人", max_distance_m=500, **north(5000))
    response = api.post(
        f"/api/v1/assignments/{assignment}/override", {"volunteer_id": far.id}, token=coordinator
    )
    assert response.status_code == 422
    assert "volunteer_id" in response.get_json()["errors"]["json"]
    still = api.get(f"/api/v1/assignments/{assignment}", token=coordinator).get_json()
    assert still["status"] == "proposed"


def test_the_sc_records_an_answer_by_phone(api, coordinator, proposal):
    assignment, _, _ = proposal
    response = api.post(
        f"/api/v1/assignments/{assignment}/accept", {"by_phone": True}, token=coordinator
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["answered_via"]) == ("accepted", "phone")
    assert body["answered_by_id"] is not None


def test_a_volunteers_own_answer_is_recorded_as_through_the_app(api, proposal):
    assignment, token, _ = proposal
    body = api.post(f"/api/v1/assignments/{assignment}/decline", token=token).get_json()
    assert (body["status"], body["answered_via"], body["answered_by_id"]) == (
        "declined",
        "app",
        None,
    )


def test_by_phone_is_true_or_false(api, coordinator, proposal):
    assignment, _, _ = proposal
    for wrong in (0, 1, "yes", None):
        response = api.post(
            f"/api/v1/assignments/{assignment}/accept", {"by_phone": wrong}, token=coordinator
        )
        assert response.status_code == 422, wrong


def test_a_volunteer_cannot_answer_by_phone(api, proposal):
    assignment, token, _ = proposal
    response = api.post(f"/api/v1/assignments/{assignment}/accept", {"by_phone": True}, token=token)
    assert response.status_code == 403


def test_a_time_late_on_the_last_day_of_2100_is_written_within_the_documents_years(
    api, coordinator
):
    # found by schemathesis: 2100-12-31T20:31Z is allowed in, but is already 2101 in Tokyo
    import re

    from api.schemas import DATETIME_PATTERN

    response = api.post(
        "/api/v1/match-runs",
        {"window_from": "2100-12-31T00:00:00Z", "window_to": "2100-12-31T20:31:54.5Z"},
        token=coordinator,
    )
    assert response.status_code == 201
    written = response.get_json()["window_to"]
    assert re.fullmatch(DATETIME_PATTERN, written), written
    assert dt.datetime.fromisoformat(written) == dt.datetime(
        2100, 12, 31, 20, 31, 54, 500000, tzinfo=dt.UTC
    )
