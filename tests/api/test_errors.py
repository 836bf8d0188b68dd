"""Malformed requests get the one JSON error shape, never an HTML page or a 500, and a refused
request changes nothing: every table has the same number of rows before and after."""

import json
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from db import Base


def row_counts(session):
    """The number of rows of every table (residents, volunteers, help requests, assignments,
    transfers, entries, vouchers, redemptions, tokens …), as the next request would see them."""
    session.expire_all()
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


class Unchanged:
    """Rows counted before the request; calling it asserts every count is the same now."""

    def __init__(self, session, resident, volunteer):
        self.session = session
        self.resident = resident
        self.volunteer = volunteer
        self.before = row_counts(session)
        assert self.before["residents"] and self.before["volunteers"]
        assert self.before["help_requests"] and self.before["api_tokens"]

    def __call__(self):
        assert row_counts(self.session) == self.before
        return True


@pytest.fixture
def unchanged(session, coordinator, admin, make_help_request, make_volunteer):
    """A resident with a request, a volunteer and staff in the database, all counted."""
    request = make_help_request()
    volunteer, _ = make_volunteer()
    return Unchanged(session, request.resident, volunteer)


def test_malformed_json_is_400_json(api, coordinator, unchanged):
    response = api.client.post(
        "/api/v1/residents",
        data='{"name": "山田",',
        headers={"Authorization": f"Bearer {coordinator}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["code"] == 400
    assert unchanged()


def test_a_body_that_is_not_json_is_415(api, coordinator, unchanged):
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
    assert unchanged()


def test_a_json_array_instead_of_an_object_is_422(api, coordinator, unchanged):
    response = api.post("/api/v1/residents", [1, 2], token=coordinator)
    assert response.status_code == 422
    assert response.is_json
    assert unchanged()


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


def test_oversize_body_is_413_json(api, coordinator, unchanged):
    response = api.post("/api/v1/residents", {"notes": "x" * 300_000}, token=coordinator)
    assert response.status_code == 413
    assert response.is_json
    assert unchanged()


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


def test_out_of_range_numbers_and_times_in_bodies_are_422(api, coordinator, unchanged):
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
            "resident_id": unchanged.resident.id,
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
    assert unchanged()


@pytest.mark.parametrize("name", ["a\u0000b", "\ud800"])
def test_text_no_database_can_store_is_422_and_changes_nothing(api, coordinator, unchanged, name):
    body = {"name": name, "address": "x", "lat": 35.6, "lon": 139.6, "zone": "z"}
    response = api.client.post(
        "/api/v1/residents",
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {coordinator}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.is_json
    assert unchanged()


def test_a_refusal_after_validation_changes_nothing(api, coordinator, unchanged):
    # the service looks the skills up and refuses: whatever it began is rolled back
    body = {"name": "佐藤", "birth_year": 1956, "lat": 35.64, "lon": 139.67, "zone": "太子堂"}
    response = api.post("/api/v1/volunteers", {**body, "skills": ["teleport"]}, token=coordinator)
    assert response.status_code == 422
    # a volunteer without points asks for a voucher: no account, voucher, transfer or entry
    refused = api.post(
        f"/api/v1/volunteers/{unchanged.volunteer.id}/vouchers",
        {"points": 500},
        token=coordinator,
        headers={"Idempotency-Key": "refused-1"},
    )
    assert refused.status_code == 409
    assert unchanged()


# --- item 9 of issue 8: ASCII digits only, and nothing after the value ----------------------

BAD_MONTHS = ["2026-11\n", "２０２６-11", "2026-１１", "2026-11 ", "2026-1", "202６-11"]


@pytest.mark.parametrize("month", BAD_MONTHS)
@pytest.mark.parametrize("path", ["/api/v1/redemptions.csv", "/api/v1/redemptions"])
def test_a_month_is_ascii_yyyy_mm_and_nothing_else(api, admin, path, month):
    response = api.get(f"{path}?month={quote(month)}", token=admin)
    assert response.status_code == 422
    assert response.is_json
    assert "month" in response.get_json()["errors"]["query"]


def test_an_ascii_month_still_downloads(api, admin):
    response = api.get("/api/v1/redemptions.csv?month=2026-11", token=admin)
    assert response.status_code == 200
    assert 'filename="settlement-2026-11.csv"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("time", ["09:00\n", "０9:00", "1０:00", "10:0５", "9:00", "24:01"])
def test_a_clock_time_is_ascii_hh_mm_and_nothing_else(api, coordinator, unchanged, time):
    body = {
        "name": "佐藤",
        "birth_year": 1956,
        "lat": 35.64,
        "lon": 139.67,
        "zone": "太子堂",
        "availability": [{"weekday": 0, "start": time, "end": "23:00"}],
    }
    response = api.post("/api/v1/volunteers", body, token=coordinator)
    assert response.status_code == 422
    assert "availability" in response.get_json()["errors"]["json"]
    assert unchanged()


@pytest.mark.parametrize("phone", ["03-1234-5678\n", "０３-1234-5678", "03-1234-567８"])
def test_a_phone_number_is_ascii_digits_and_nothing_after(api, coordinator, unchanged, phone):
    body = {"name": "山田", "address": "x", "lat": 35.6, "lon": 139.6, "zone": "z", "phone": phone}
    response = api.post("/api/v1/residents", body, token=coordinator)
    assert response.status_code == 422
    assert "phone" in response.get_json()["errors"]["json"]
    assert unchanged()


@pytest.mark.parametrize(
    "moment",
    [
        "2026-12-01T07:00:00+09:00\n",
        "２０２６-12-01T07:00:00+09:00",
        "2026-12-01T07:00+09:00",
        "2026-12-01 07:00:00+09:00",
        "20261201T070000+0900",
    ],
)
def test_a_time_is_rfc_3339_as_the_document_says(api, coordinator, unchanged, moment):
    response = api.get(f"/api/v1/help-requests?from={quote(moment)}", token=coordinator)
    assert response.status_code == 422
    assert "from" in response.get_json()["errors"]["query"]
    assert unchanged()
