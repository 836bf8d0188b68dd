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
