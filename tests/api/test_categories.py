"""Task categories through the API: anyone lists them, the ward's admin adds and changes them."""

from __future__ import annotations

import pytest

MIMAMORI = {
    "code": "mimamori",
    "label_ja": "見守り",
    "duration_min": 30,
    "points": 50,
    "trial_ok": True,
    "new_skills": [{"code": "watching", "label_ja": "見守りの経験"}],
}


def codes(api) -> list[str]:
    return [c["code"] for c in api.get("/api/v1/categories").json["items"]]


def test_an_admin_adds_a_trial_category_that_everyone_then_lists(api, admin):
    created = api.post("/api/v1/categories", MIMAMORI, token=admin)
    assert created.status_code == 201, created.json
    assert created.json == {
        "code": "mimamori",
        "label_ja": "見守り",
        "duration_min": 30,
        "points": 50,
        "trial_ok": True,
        "required_skills": ["watching"],
    }
    listed = api.get("/api/v1/categories").json["items"]
    assert listed[-1] == created.json
    assert codes(api) == ["garbage", "shopping", "light_bulb", "mimamori"]


def test_a_category_requires_existing_skills_by_code(api, admin):
    body = {
        "code": "escort",
        "label_ja": "通院付き添い",
        "duration_min": 120,
        "points": 200,
        "required_skills": ["shopping"],
    }
    created = api.post("/api/v1/categories", body, token=admin)
    assert created.status_code == 201
    assert created.json["required_skills"] == ["shopping"]
    assert created.json["trial_ok"] is False


@pytest.mark.parametrize("who", ["coordinator", "volunteer"])
def test_only_an_admin_adds_or_changes_categories(api, request, who, make_volunteer):
    token = request.getfixturevalue("coordinator") if who == "coordinator" else make_volunteer()[1]
    assert api.post("/api/v1/categories", MIMAMORI, token=token).status_code == 403
    assert api.patch("/api/v1/categories/garbage", {"points": 1}, token=token).status_code == 403
    assert api.call("DELETE", "/api/v1/categories/garbage", token=token).status_code == 403
    assert api.post("/api/v1/categories", MIMAMORI).status_code == 401
    assert "mimamori" not in codes(api)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_min": 0}, "duration_min"),
        ({"duration_min": 481}, "duration_min"),
        ({"points": 0}, "points"),
        ({"points": -50}, "points"),
        ({"label_ja": ""}, "label_ja"),
        ({"code": "見守り"}, "code"),
        ({"code": "Mimamori"}, "code"),
        ({"required_skills": ["flying"]}, "required_skills"),
        ({"new_skills": [{"code": "watching"}]}, "new_skills"),
        ({"trial_ok": 0}, "trial_ok"),
        ({"trial_ok": "yes"}, "trial_ok"),
    ],
)
def test_a_category_that_breaks_a_rule_is_refused_with_422(api, admin, change, field):
    answer = api.post("/api/v1/categories", {**MIMAMORI, **change}, token=admin)
    assert answer.status_code == 422, answer.json
    assert list(answer.json["errors"]["json"]) == [field]
    assert "mimamori" not in codes(api)


def test_a_label_of_spaces_is_no_japanese_label(api, admin):
    answer = api.post("/api/v1/categories", {**MIMAMORI, "label_ja": "　 "}, token=admin)
    assert answer.status_code == 422
    assert answer.json["errors"]["json"] == {
        "label_ja": ["A Japanese label of 1 to 80 characters is required."]
    }


def test_an_unknown_skill_is_named_with_the_known_ones(api, admin):
    answer = api.post(
        "/api/v1/categories", {**MIMAMORI, "required_skills": ["flying"]}, token=admin
    )
    assert answer.json["errors"]["json"] == {
        "required_skills": ["Unknown skill flying; known: garbage, ladder, shopping."]
    }


@pytest.mark.parametrize(
    "change",
    [
        {"code": "garbage"},
        {"label_ja": "ゴミ出し"},
        {"new_skills": [{"code": "ladder", "label_ja": "はしご"}]},
    ],
)
def test_a_code_label_or_new_skill_that_exists_already_is_a_conflict(api, admin, change):
    answer = api.post("/api/v1/categories", {**MIMAMORI, **change}, token=admin)
    assert answer.status_code == 409, answer.json


def test_an_admin_changes_points_duration_skills_and_trial(api, admin):
    answer = api.patch(
        "/api/v1/categories/light_bulb",
        {"points": 80, "duration_min": 45, "trial_ok": True, "required_skills": []},
        token=admin,
    )
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "code": "light_bulb",
        "label_ja": "電球交換",
        "duration_min": 45,
        "points": 80,
        "trial_ok": True,
        "required_skills": [],
    }
    assert api.patch("/api/v1/categories/light_bulb", token=admin).json == answer.json


def test_a_code_changes_only_while_no_request_uses_it(api, admin, make_help_request):
    renamed = api.patch("/api/v1/categories/light_bulb", {"code": "bulb"}, token=admin)
    assert renamed.status_code == 200
    assert renamed.json["code"] == "bulb"
    make_help_request(category="garbage")
    used = api.patch("/api/v1/categories/garbage", {"code": "gomi"}, token=admin)
    assert used.status_code == 409
    # the same code again is no change
    same = api.patch("/api/v1/categories/garbage", {"code": "garbage"}, token=admin)
    assert same.status_code == 200
    assert api.patch("/api/v1/categories/nothing", {"points": 5}, token=admin).status_code == 404


def test_only_a_category_no_request_used_is_removed(api, admin, make_help_request):
    api.post("/api/v1/categories", MIMAMORI, token=admin)
    assert api.call("DELETE", "/api/v1/categories/mimamori", token=admin).status_code == 204
    assert "mimamori" not in codes(api)
    make_help_request(category="garbage")
    kept = api.call("DELETE", "/api/v1/categories/garbage", token=admin)
    assert kept.status_code == 409
    assert "trial_ok" in kept.json["message"]
    assert "garbage" in codes(api)
