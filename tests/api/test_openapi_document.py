"""What /openapi.json says is what the server enforces: the cases schemathesis first found."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/openapi.json").get_json()


def _patterns(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_patterns_mean_the_same_in_python_and_in_json_schema(spec):
    patterns = set(_patterns(spec))
    assert len(patterns) >= 5
    for pattern in patterns:
        # \d is any Unicode digit in Python, ASCII in ECMA-262; [0-9] is ASCII in both
        assert "\\d" not in pattern, pattern
        assert pattern.startswith("^") and pattern.endswith("$"), pattern


@pytest.mark.parametrize(
    ("method", "path"),
    [("patch", "/api/v1/volunteers/{volunteer_id}"), ("post", "/api/v1/match-runs")],
)
def test_a_body_the_server_does_without_is_not_required(spec, method, path):
    assert spec["paths"][path][method]["requestBody"]["required"] is False


def test_without_a_body_a_match_run_takes_everything_and_a_patch_changes_nothing(
    api, coordinator, make_volunteer
):
    volunteer, _ = make_volunteer()
    assert api.post("/api/v1/match-runs", token=coordinator).status_code == 201
    response = api.patch(f"/api/v1/volunteers/{volunteer.id}", token=coordinator)
    assert response.status_code == 200
    assert response.get_json()["name"] == volunteer.name


def test_times_are_bounded_to_the_years_the_server_takes(spec):
    window = spec["components"]["schemas"]["HelpRequestCreate"]["properties"]["window_start"]
    assert window["format"] == "date-time"
    pattern = re.compile(window["pattern"])
    assert pattern.fullmatch("2026-12-01T07:00:00+09:00")
    assert pattern.fullmatch("2100-12-31T23:59:59.5Z")
    for refused in ("1999-12-31T23:59:59Z", "2101-01-01T00:00:00Z", "2026-12-01T07:00+09:00"):
        assert not pattern.fullmatch(refused), refused


def test_clock_times_and_months_show_their_pattern(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Slot"]["properties"]["start"]["pattern"] == (
        "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
    )
    csv = spec["paths"]["/api/v1/redemptions.csv"]["get"]["parameters"]
    month = next(p for p in csv if p["name"] == "month")
    assert month["schema"]["pattern"] == "^[0-9]{4}-(0[1-9]|1[0-2])$"


def test_a_signup_needs_a_slot_as_the_document_says(spec, api):
    availability = spec["components"]["schemas"]["TrialSignup"]["properties"]["availability"]
    assert availability["minItems"] == 1
    body = {
        "name": "田中",
        "birth_year": 1990,
        "contact": "jiro@example.jp",
        "chome": "太子堂4丁目",
        "interests": ["garbage"],
        "availability": [],
    }
    response = api.post("/api/v1/trial-signups", body)
    assert response.status_code == 422
    assert "availability" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("weekday", [2, 2.0])
def test_an_integer_is_json_schemas_integer_so_2_0_is_2(api, coordinator, make_volunteer, weekday):
    volunteer, _ = make_volunteer()
    slot = {"weekday": weekday, "start": "09:00", "end": "12:00"}
    response = api.patch(
        f"/api/v1/volunteers/{volunteer.id}",
        {"availability": [slot], "max_distance_m": 800.0},
        token=coordinator,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["availability"] == [{**slot, "weekday": 2}]
    assert response.get_json()["max_distance_m"] == 800


@pytest.mark.parametrize("weekday", [2.5, "2", True])
def test_a_fraction_a_string_or_a_boolean_is_still_not_an_integer(
    api, coordinator, make_volunteer, weekday
):
    volunteer, _ = make_volunteer()
    slot = {"weekday": weekday, "start": "09:00", "end": "12:00"}
    response = api.patch(
        f"/api/v1/volunteers/{volunteer.id}", {"availability": [slot]}, token=coordinator
    )
    assert response.status_code == 422


def test_operations_say_who_may_call_them(spec):
    assert spec["security"] == [{"bearer": []}]
    for path in ("/api/v1/categories", "/api/v1/trial-signups", "/api/v1/point-rules"):
        public = spec["paths"][path]["get" if "trial" not in path else "post"]
        assert public["security"] == []


@pytest.mark.parametrize(
    ("method", "path", "rule"),
    [
        ("post", "/api/v1/help-requests", "window_end is later than window_start"),
        ("post", "/api/v1/match-runs", "window_to is later than window_from"),
        (
            "post",
            "/api/v1/volunteers/{volunteer_id}/vouchers",
            "multiple of the ward's voucher_unit",
        ),
        ("post", "/api/v1/volunteers", "end is later than its start"),
        ("post", "/api/v1/trial-signups", "lat and lon together, or a chome"),
        ("post", "/api/v1/residents", "names exactly one 町丁目"),
        ("post", "/api/v1/volunteers", "names exactly one 町丁目"),
        ("post", "/api/v1/residents", "lat and lon (both or neither)"),
        ("post", "/api/v1/redemptions", "check symbol"),
    ],
)
def test_rules_the_schema_cannot_hold_are_in_the_description(spec, method, path, rule):
    assert rule in spec["paths"][path][method]["description"]


@pytest.mark.parametrize("path", ["/api/v1/residents", "/api/v1/volunteers"])
def test_an_address_may_stand_for_the_point(spec, path):
    body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].rsplit("/", 1)[1]
    schema = spec["components"]["schemas"][name]
    assert "lat" not in schema.get("required", []) and "zone" not in schema.get("required", [])
    assert "address" in schema["properties"]


@pytest.mark.parametrize("path", ["/api/v1/residents", "/api/v1/volunteers"])
def test_people_are_searched_and_paged(spec, path):
    listed = spec["paths"][path]["get"]
    names = {p["name"] for p in listed["parameters"]}
    assert {"q", "zone", "page", "page_size"} <= names
    if path.endswith("volunteers"):
        assert {"status", "skill"} <= names
    ok = listed["responses"]["200"]["content"]["application/json"]["schema"]
    page = spec["components"]["schemas"][ok["$ref"].rsplit("/", 1)[1]]
    assert {"items", "page", "page_size", "total", "pages"} <= set(page["properties"])
