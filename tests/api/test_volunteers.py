"""Volunteers: an SC registers them; each volunteer sees and edits only their own profile."""

import pytest
from sqlalchemy import func, select

from access.models import ApiToken
from access.tokens import hash_token
from matching.models import Volunteer

ICHIRO = {
    "name": "佐藤 一郎",
    "birth_year": 1956,
    "lat": 35.6440,
    "lon": 139.6690,
    "zone": "太子堂",
    "skills": ["garbage", "shopping"],
    "availability": [
        {"weekday": 0, "start": "07:00", "end": "09:00"},
        {"weekday": 3, "start": "13:30", "end": "24:00"},
    ],
}


def count(session):
    return session.scalar(select(func.count()).select_from(Volunteer))


def test_coordinator_registers_an_active_volunteer_with_a_token_shown_once(
    api, coordinator, session
):
    response = api.post("/api/v1/volunteers", ICHIRO, token=coordinator)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "active"
    assert body["max_distance_m"] == 1000
    assert body["skills"] == ["garbage", "shopping"]
    assert body["availability"] == ICHIRO["availability"]
    assert body["registered_at"] is not None
    # only the hash is kept
    stored = session.scalar(select(ApiToken).where(ApiToken.volunteer_id == body["id"]))
    assert stored.token_hash == hash_token(body["token"]) != body["token"]
    # and the token is not shown again
    again = api.get(f"/api/v1/volunteers/{body['id']}", token=coordinator).get_json()
    assert "token" not in again


def test_the_token_lets_the_volunteer_read_their_own_profile(api, coordinator):
    body = api.post("/api/v1/volunteers", ICHIRO, token=coordinator).get_json()
    response = api.get(f"/api/v1/volunteers/{body['id']}", token=body["token"])
    assert response.status_code == 200
    assert response.get_json()["name"] == "佐藤 一郎"


def test_a_volunteer_cannot_see_another_volunteer(api, make_volunteer):
    other, _ = make_volunteer(name="鈴木 次郎")
    _, token = make_volunteer()
    response = api.get(f"/api/v1/volunteers/{other.id}", token=token)
    assert response.status_code == 404
    assert (
        api.patch(
            f"/api/v1/volunteers/{other.id}", {"max_distance_m": 500}, token=token
        ).status_code
        == 404
    )


def test_a_volunteer_cannot_register_volunteers(api, make_volunteer):
    _, token = make_volunteer()
    assert api.post("/api/v1/volunteers", ICHIRO, token=token).status_code == 403


def test_a_volunteer_changes_own_availability_skills_and_distance(api, make_volunteer):
    volunteer, token = make_volunteer(skills=["garbage"])
    response = api.patch(
        f"/api/v1/volunteers/{volunteer.id}",
        {
            "skills": ["garbage", "ladder"],
            "max_distance_m": 1500,
            "availability": [{"weekday": 6, "start": "09:00", "end": "12:00"}],
        },
        token=token,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["skills"] == ["garbage", "ladder"]
    assert body["max_distance_m"] == 1500
    assert body["availability"] == [{"weekday": 6, "start": "09:00", "end": "12:00"}]


@pytest.mark.parametrize("field", [{"status": "active"}, {"name": "別人"}, {"zone": "三宿"}])
def test_a_volunteer_cannot_change_what_the_sc_decides(api, make_volunteer, session, field):
    volunteer, token = make_volunteer(status="trial")
    response = api.patch(f"/api/v1/volunteers/{volunteer.id}", field, token=token)
    assert response.status_code == 403
    name = next(iter(field))
    assert name in response.get_json()["errors"]["json"]
    session.refresh(volunteer)
    assert volunteer.status == "trial" and volunteer.name == "佐藤 一郎"


def test_the_sc_registers_a_trial_volunteer(api, coordinator, make_volunteer):
    volunteer, _ = make_volunteer(status="trial")
    assert volunteer.registered_at is None
    body = api.patch(
        f"/api/v1/volunteers/{volunteer.id}", {"status": "active"}, token=coordinator
    ).get_json()
    assert body["status"] == "active"
    assert body["registered_at"] is not None


def test_back_to_trial_is_a_conflict(api, coordinator, make_volunteer):
    volunteer, _ = make_volunteer()
    response = api.patch(
        f"/api/v1/volunteers/{volunteer.id}", {"status": "trial"}, token=coordinator
    )
    assert response.status_code == 409


def test_unknown_skill_is_422_and_names_the_known_ones(api, coordinator, session):
    before = count(session)
    response = api.post("/api/v1/volunteers", {**ICHIRO, "skills": ["juggling"]}, token=coordinator)
    assert response.status_code == 422
    reason = response.get_json()["errors"]["json"]["skills"][0]
    assert "juggling" in reason and "garbage" in reason
    assert count(session) == before


@pytest.mark.parametrize(
    ("slot", "why"),
    [
        ({"weekday": 7, "start": "09:00", "end": "10:00"}, "weekday"),
        ({"weekday": -1, "start": "09:00", "end": "10:00"}, "weekday"),
        ({"weekday": "Mon", "start": "09:00", "end": "10:00"}, "weekday"),
        ({"weekday": 1, "start": "10:00", "end": "09:00"}, "end"),
        ({"weekday": 1, "start": "10:00", "end": "10:00"}, "end"),
        ({"weekday": 1, "start": "25:00", "end": "26:00"}, "start"),
        ({"weekday": 1, "start": "9am", "end": "10:00"}, "start"),
        ({"weekday": 1, "start": "09:00"}, "end"),
    ],
)
def test_bad_availability_slots_are_422(api, coordinator, session, slot, why):
    before = count(session)
    response = api.post("/api/v1/volunteers", {**ICHIRO, "availability": [slot]}, token=coordinator)
    assert response.status_code == 422
    assert why in response.get_json()["errors"]["json"]["availability"]["0"]
    assert count(session) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birth_year": 1850}, "birth_year"),
        ({"birth_year": "1956"}, "birth_year"),
        ({"max_distance_m": 0}, "max_distance_m"),
        ({"max_distance_m": 50_000}, "max_distance_m"),
        ({"lon": -200}, "lon"),
        ({"skills": "garbage"}, "skills"),
    ],
)
def test_bad_volunteer_fields_are_422(api, coordinator, change, field):
    response = api.post("/api/v1/volunteers", {**ICHIRO, **change}, token=coordinator)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_patch_validates_too_and_changes_nothing(api, coordinator, make_volunteer, session):
    volunteer, _ = make_volunteer()
    response = api.patch(
        f"/api/v1/volunteers/{volunteer.id}",
        {"max_distance_m": 900, "skills": ["juggling"]},
        token=coordinator,
    )
    assert response.status_code == 422
    session.refresh(volunteer)
    assert volunteer.max_distance_m == 1000


def test_unknown_volunteer_is_404(api, coordinator):
    assert api.get("/api/v1/volunteers/424242", token=coordinator).status_code == 404
