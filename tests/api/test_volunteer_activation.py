"""POST /volunteers/{id}/activate: an SC registers an おためし volunteer, once."""

from __future__ import annotations

import pytest

from matching import followups


@pytest.fixture
def trial_volunteer(make_volunteer):
    volunteer, token = make_volunteer(status="trial", skills=["garbage"])
    return volunteer, token


def test_an_sc_registers_a_trial_volunteer_and_says_who(api, coordinator, trial_volunteer):
    volunteer, _ = trial_volunteer
    response = api.post(f"/api/v1/volunteers/{volunteer.id}/activate", token=coordinator)

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "active"
    assert body["registered_at"]
    assert body["registered_by_id"] is not None


def test_a_second_activation_is_409(api, coordinator, trial_volunteer):
    volunteer, _ = trial_volunteer
    path = f"/api/v1/volunteers/{volunteer.id}/activate"
    first = api.post(path, token=coordinator).get_json()

    again = api.post(path, token=coordinator)
    assert again.status_code == 409
    assert again.get_json()["code"] == 409
    now = api.get(f"/api/v1/volunteers/{volunteer.id}", token=coordinator).get_json()
    assert now["registered_at"] == first["registered_at"]


def test_activating_a_registered_volunteer_is_409(api, coordinator, make_volunteer):
    volunteer, _ = make_volunteer()
    response = api.post(f"/api/v1/volunteers/{volunteer.id}/activate", token=coordinator)
    assert response.status_code == 409


def test_activating_nobody_is_404(api, coordinator):
    assert api.post("/api/v1/volunteers/999999/activate", token=coordinator).status_code == 404


def test_a_volunteer_cannot_activate_themselves(api, trial_volunteer):
    volunteer, token = trial_volunteer
    response = api.post(f"/api/v1/volunteers/{volunteer.id}/activate", token=token)
    assert response.status_code == 403


def test_the_first_completed_task_then_activation_closes_the_follow_up(
    api, coordinator, session, make_help_request, trial_volunteer
):
    volunteer, token = trial_volunteer
    make_help_request()
    [assignment] = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()["assignments"]
    api.post(f"/api/v1/assignments/{assignment['id']}/accept", token=token)
    api.post(f"/api/v1/assignments/{assignment['id']}/complete", token=coordinator)
    [followup] = followups.open_followups(session)
    assert followup.volunteer_id == volunteer.id

    api.post(f"/api/v1/volunteers/{volunteer.id}/activate", token=coordinator)

    session.expire_all()
    assert followups.open_followups(session) == []
