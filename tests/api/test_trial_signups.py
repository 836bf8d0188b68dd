"""おためしボランティア: anyone may sign up to try, for easy categories only, a few times a minute."""

import pytest
from sqlalchemy import func, select

from api import create_app
from matching.models import Volunteer

JIRO = {
    "name": "田中 次郎",
    "birth_year": 1990,
    "contact": "jiro@example.jp",
    "lat": 35.645,
    "lon": 139.668,
    "interests": ["garbage"],
    "availability": [{"weekday": 5, "start": "09:00", "end": "12:00"}],
}


def count(session):
    return session.scalar(select(func.count()).select_from(Volunteer))


def test_anyone_can_sign_up_to_try(api, session):
    response = api.post("/api/v1/trial-signups", JIRO)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "trial"
    assert body["skills"] == ["garbage"]
    assert body["token"]
    # the zone is the 町名 of the nearest census 町丁目
    assert body["zone"] == "太子堂"
    volunteer = session.get(Volunteer, body["volunteer_id"])
    assert volunteer.contact == "jiro@example.jp"
    assert volunteer.registered_at is None


def test_the_token_reads_the_trial_volunteers_own_profile(api):
    body = api.post("/api/v1/trial-signups", JIRO).get_json()
    profile = api.get(f"/api/v1/volunteers/{body['volunteer_id']}", token=body["token"])
    assert profile.status_code == 200
    assert profile.get_json()["status"] == "trial"


def test_a_chome_instead_of_coordinates(api, session):
    body = {k: v for k, v in JIRO.items() if k not in ("lat", "lon")}
    response = api.post("/api/v1/trial-signups", {**body, "chome": "世田谷区三軒茶屋２丁目"})
    assert response.status_code == 201
    assert response.get_json()["zone"] == "三軒茶屋"
    volunteer = session.get(Volunteer, response.get_json()["volunteer_id"])
    assert 35.64 < volunteer.lat < 35.65


def test_an_unknown_chome_is_422(api, session):
    before = count(session)
    body = {k: v for k, v in JIRO.items() if k not in ("lat", "lon")}
    response = api.post("/api/v1/trial-signups", {**body, "chome": "どこにもない町9丁目"})
    assert response.status_code == 422
    assert "chome" in response.get_json()["errors"]["json"]
    assert count(session) == before


def test_neither_place_nor_chome_is_422(api):
    body = {k: v for k, v in JIRO.items() if k not in ("lat", "lon")}
    response = api.post("/api/v1/trial-signups", body)
    assert response.status_code == 422
    assert "chome" in response.get_json()["errors"]["json"]


def test_harder_categories_are_for_registered_volunteers(api, session):
    before = count(session)
    response = api.post("/api/v1/trial-signups", {**JIRO, "interests": ["garbage", "light_bulb"]})
    assert response.status_code == 422
    reason = response.get_json()["errors"]["json"]["interests"][0]
    assert "電球交換" in reason
    assert count(session) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interests": []}, "interests"),
        ({"interests": ["knitting"]}, "interests"),
        ({"contact": ""}, "contact"),
        ({"availability": []}, "availability"),
        ({"lat": 95}, "lat"),
        ({"birth_year": 3000}, "birth_year"),
    ],
)
def test_bad_signups_are_422(api, change, field):
    response = api.post("/api/v1/trial-signups", {**JIRO, **change})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_the_signup_form_is_rate_limited(engine, database_url):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ENGINE": engine,
            "TRIAL_SIGNUP_RATE_LIMIT": "2 per minute",
        }
    )
    client = app.test_client()
    # bad bodies change nothing, but they count against the limit like any other try
    statuses = [client.post("/api/v1/trial-signups", json={}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    response = client.post("/api/v1/trial-signups", json={})
    assert response.get_json()["code"] == 429
    assert "Retry-After" in response.headers


def test_a_place_outside_the_23_wards_is_422(api, session):
    before = count(session)
    response = api.post("/api/v1/trial-signups", {**JIRO, "lat": -33.9, "lon": 151.2})
    assert response.status_code == 422
    assert "lat" in response.get_json()["errors"]["json"]
    assert count(session) == before
