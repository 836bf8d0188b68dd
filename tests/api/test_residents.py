"""Residents: coordinators register and read them; nobody else sees their address or phone."""

import pytest
from sqlalchemy import func, select

from matching.models import Resident

HANAKO = {
    "name": "山田 花子",
    "address": "東京都世田谷区太子堂4-1-1",
    "lat": 35.6432,
    "lon": 139.6710,
    "zone": "太子堂",
    "phone": "03-1234-5678",
    "notes": "耳が遠いので電話はゆっくり",
}


def count(session):
    return session.scalar(select(func.count()).select_from(Resident))


def test_coordinator_registers_and_reads_a_resident(api, coordinator):
    created = api.post("/api/v1/residents", HANAKO, token=coordinator)
    assert created.status_code == 201
    body = created.get_json()
    assert body["id"] > 0
    assert body["address"] == HANAKO["address"]

    shown = api.get(f"/api/v1/residents/{body['id']}", token=coordinator)
    assert shown.status_code == 200
    assert shown.get_json()["phone"] == "03-1234-5678"
    assert shown.get_json()["created_at"].endswith("+09:00")


def test_phone_and_notes_are_optional(api, coordinator):
    body = {k: v for k, v in HANAKO.items() if k not in ("phone", "notes")}
    response = api.post("/api/v1/residents", body, token=coordinator)
    assert response.status_code == 201
    assert response.get_json()["phone"] is None


def test_admin_may_do_what_a_coordinator_does(api, admin):
    assert api.post("/api/v1/residents", HANAKO, token=admin).status_code == 201


def test_unknown_resident_is_404_in_the_error_shape(api, coordinator):
    response = api.get("/api/v1/residents/999999", token=coordinator)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    assert response.get_json()["status"] == "Not Found"
    assert "999999" in response.get_json()["message"]


def test_without_a_token_nothing_is_created(api, session):
    before = count(session)
    response = api.post("/api/v1/residents", HANAKO)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(session) == before


def test_a_bad_token_is_401(api):
    assert api.get("/api/v1/residents/1", token="not-a-token").status_code == 401


def test_a_volunteer_cannot_register_or_read_residents(api, make_volunteer, make_resident):
    resident = make_resident()
    _, token = make_volunteer()
    assert api.post("/api/v1/residents", HANAKO, token=token).status_code == 403
    response = api.get(f"/api/v1/residents/{resident.id}", token=token)
    assert response.status_code == 403
    assert "address" not in response.get_json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 135.0}, "lat"),
        ({"lat": -90.5}, "lat"),
        ({"lon": 181}, "lon"),
        ({"lat": "north"}, "lat"),
        ({"name": ""}, "name"),
        ({"name": "名" * 101}, "name"),
        ({"address": "a" * 201}, "address"),
        ({"zone": None}, "zone"),
        ({"phone": "call me maybe"}, "phone"),
        ({"notes": "x" * 1001}, "notes"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_bad_fields_are_422_with_a_reason_and_change_nothing(
    api, coordinator, session, change, field
):
    before = count(session)
    response = api.post("/api/v1/residents", {**HANAKO, **change}, token=coordinator)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert field in body["errors"]["json"]
    assert body["message"]
    assert count(session) == before


@pytest.mark.parametrize("missing", ["name", "address"])
def test_missing_required_fields_are_named(api, coordinator, missing):
    body = {k: v for k, v in HANAKO.items() if k != missing}
    response = api.post("/api/v1/residents", body, token=coordinator)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"][missing] == ["Missing data for required field."]


@pytest.mark.parametrize(("missing", "named"), [("lat", "lat"), ("lon", "lon")])
def test_lat_and_lon_come_together(api, coordinator, missing, named):
    body = {k: v for k, v in HANAKO.items() if k != missing}
    response = api.post("/api/v1/residents", body, token=coordinator)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"][named] == ["Give both lat and lon, or neither."]


def test_without_a_zone_the_points_chome_gives_it(api, coordinator):
    body = {k: v for k, v in HANAKO.items() if k != "zone"}
    response = api.post("/api/v1/residents", body, token=coordinator)
    assert response.status_code == 201
    # the nearest 町丁目 point to this one is 三軒茶屋一丁目's (太子堂四丁目's is farther)
    assert response.get_json()["zone"] == "三軒茶屋"
    assert (response.get_json()["lat"], response.get_json()["lon"]) == (
        HANAKO["lat"],
        HANAKO["lon"],
    )
