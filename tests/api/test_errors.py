"""Malformed requests get the one JSON error shape, never an HTML page or a 500."""

import pytest


def test_malformed_json_is_400_json(api, coordinator):
    response = api.client.post(
        "/api/v1/residents",
        data='{"name": "山田",',
        headers={"Authorization": f"Bearer {coordinator}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["code"] == 400


def test_a_body_that_is_not_json_is_415(api, coordinator):
    response = api.client.post(
        "/api/v1/residents",
        data="name=山田",
        headers={
            "Authorization": f"Bearer {coordinator}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 415
    assert response.get_json()["message"].startswith("Send the body as JSON")


def test_a_json_array_instead_of_an_object_is_422(api, coordinator):
    response = api.post("/api/v1/residents", [1, 2], token=coordinator)
    assert response.status_code == 422
    assert response.is_json


def test_unknown_path_is_json_404(api):
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["status"] == "Not Found"


def test_wrong_method_is_405_with_allow(api):
    response = api.call("DELETE", "/api/v1/categories")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["code"] == 405


@pytest.mark.parametrize("page", ["0", "-1", "x"])
def test_bad_page_is_422(api, coordinator, page):
    response = api.get(f"/api/v1/help-requests?page={page}", token=coordinator)
    assert response.status_code == 422
    assert "page" in response.get_json()["errors"]["query"]


def test_oversize_body_is_413_json(api, coordinator):
    response = api.post("/api/v1/residents", {"notes": "x" * 300_000}, token=coordinator)
    assert response.status_code == 413
    assert response.is_json


def test_openapi_describes_the_contract_and_docs_are_served_offline(api):
    spec = api.get("/openapi.json").get_json()
    for path in (
        "/api/v1/categories",
        "/api/v1/residents",
        "/api/v1/residents/{resident_id}",
        "/api/v1/volunteers",
        "/api/v1/volunteers/{volunteer_id}",
        "/api/v1/trial-signups",
        "/api/v1/help-requests",
        "/api/v1/help-requests/{help_request_id}/cancel",
    ):
        assert path in spec["paths"], path
    docs = api.get("/docs")
    assert docs.status_code == 200
    html = docs.get_data(as_text=True)
    assert "/docs-assets/swagger-ui-bundle.js" in html
    assert "unpkg" not in html and "cdn" not in html.lower()
    asset = api.get("/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/residents/2147483648",
        "/api/v1/residents/99999999999999999999",
        "/api/v1/volunteers/9223372036854775808/points",
        "/api/v1/match-runs/2147483648",
    ],
)
def test_ids_beyond_an_integer_column_are_404_not_500(api, coordinator, path):
    response = api.get(path, token=coordinator)
    assert response.status_code == 404
    assert response.is_json


@pytest.mark.parametrize(
    "query",
    [
        "page=4611686018427387904",
        "from=0001-01-01T00:00:00%2B09:00",
        "to=9999-12-31T23:59:59-14:00",
    ],
)
def test_out_of_range_numbers_and_times_in_queries_are_422(api, coordinator, query):
    response = api.get(f"/api/v1/help-requests?{query}", token=coordinator)
    assert response.status_code == 422
    assert response.is_json


def test_out_of_range_numbers_and_times_in_bodies_are_422(api, coordinator, make_resident):
    resident = make_resident()
    huge = api.post(
        "/api/v1/help-requests",
        {
            "resident_id": 2**63,
            "category": "garbage",
            "window_start": "2030-01-01T07:00:00+09:00",
            "window_end": "2030-01-01T08:00:00+09:00",
        },
        token=coordinator,
    )
    assert huge.status_code == 422
    far = api.post(
        "/api/v1/help-requests",
        {
            "resident_id": resident.id,
            "category": "garbage",
            "window_start": "9999-12-31T20:00:00-14:00",
            "window_end": "9999-12-31T23:00:00-14:00",
        },
        token=coordinator,
    )
    assert far.status_code == 422
    assert (
        api.post(
            "/api/v1/match-runs", {"window_from": "0001-01-01T00:00:00+09:00"}, token=coordinator
        ).status_code
        == 422
    )


@pytest.mark.parametrize("name", ["a\u0000b", "\ud800"])
def test_text_no_database_can_store_is_422_and_changes_nothing(api, coordinator, name):
    body = {"name": name, "address": "x", "lat": 35.6, "lon": 139.6, "zone": "z"}
    response = api.client.post(
        "/api/v1/residents",
        data=__import__("json").dumps(body),
        headers={"Authorization": f"Bearer {coordinator}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.is_json
