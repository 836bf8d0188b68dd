"""Flagged requests in the API: why a request came back, the SC acknowledging it, and the
proposal the service cancelled for no answer."""

from __future__ import annotations

from matching.redispatch import run_due
from tests.conftest import local
from tests.matching.test_dispatch_history import north


def declined_request(api, coordinator, make_help_request, make_volunteer):
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    _, token = make_volunteer(**north(50))
    [proposal] = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()["assignments"]
    assert api.post(f"/api/v1/assignments/{proposal['id']}/decline", token=token).status_code == 200
    return request, proposal


def test_a_declined_request_is_listed_as_flagged_and_queued(
    api, coordinator, make_help_request, make_volunteer
):
    request, _ = declined_request(api, coordinator, make_help_request, make_volunteer)
    make_help_request(window_start=local(3, 7), window_end=local(3, 9))

    flagged = api.get("/api/v1/help-requests?flagged=true", token=coordinator).get_json()
    assert [(r["id"], r["flag"]) for r in flagged["items"]] == [(request.id, "declined")]
    assert flagged["items"][0]["flagged_at"] and flagged["items"][0]["redispatch_at"]
    unflagged = api.get("/api/v1/help-requests?flagged=false", token=coordinator).get_json()
    assert request.id not in [r["id"] for r in unflagged["items"]]
    assert len(unflagged["items"]) == 1


def test_the_sc_acknowledges_a_flag_and_again_changes_nothing(
    api, coordinator, make_help_request, make_volunteer
):
    request, _ = declined_request(api, coordinator, make_help_request, make_volunteer)
    for _ in range(2):
        seen = api.post(f"/api/v1/help-requests/{request.id}/acknowledge", token=coordinator)
        assert seen.status_code == 200
        assert (seen.get_json()["flag"], seen.get_json()["flagged_at"]) == (None, None)
        assert seen.get_json()["redispatch_at"]  # still goes back to matching
    listed = api.get("/api/v1/help-requests?flagged=true", token=coordinator).get_json()
    assert listed["items"] == []


def test_acknowledging_needs_a_coordinator_and_an_existing_request(
    api, coordinator, make_help_request, make_volunteer
):
    request, _ = declined_request(api, coordinator, make_help_request, make_volunteer)
    _, volunteer_token = make_volunteer(name="鈴木 次郎")
    refused = api.post(f"/api/v1/help-requests/{request.id}/acknowledge", token=volunteer_token)
    assert refused.status_code == 403
    missing = api.post("/api/v1/help-requests/999999/acknowledge", token=coordinator)
    assert missing.status_code == 404
    assert missing.get_json()["message"] == "Help request 999999 not found."


def test_flagged_takes_true_or_false_only(api, coordinator):
    response = api.get("/api/v1/help-requests?flagged=yes", token=coordinator)
    assert response.status_code == 422
    assert "flagged" in response.get_json()["errors"]["query"]


def test_a_proposal_cancelled_for_no_answer_says_so(
    api, coordinator, session, make_help_request, make_volunteer
):
    make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    make_volunteer(**north(50))
    [proposal] = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()["assignments"]
    assert proposal["ended_reason"] is None
    run_due(session, now=local(1, 18))
    shown = api.get(f"/api/v1/assignments/{proposal['id']}", token=coordinator).get_json()
    assert (shown["status"], shown["ended_reason"]) == ("cancelled", "no_answer")
