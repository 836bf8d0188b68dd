"""Rounds in the API: max_tasks_per_day on a volunteer's profile (theirs to change, 1 to 5), and
a match run's round_order, planned_start, round_full and its proof in stats."""

import pytest

from tests.conftest import local

HOME = (35.6432, 139.6710)
M_PER_DEG_LAT = 111_195.0
MORNINGS = [{"weekday": d, "start": "06:30", "end": "09:00"} for d in range(7)]


def north(metres):
    return {"lat": HOME[0] + metres / M_PER_DEG_LAT, "lon": HOME[1]}


def test_a_volunteer_says_how_many_tasks_a_day_they_take(api, make_volunteer, session):
    volunteer, token = make_volunteer()
    assert (
        api.get(f"/api/v1/volunteers/{volunteer.id}", token=token).get_json()["max_tasks_per_day"]
        == 1
    )
    response = api.patch(
        f"/api/v1/volunteers/{volunteer.id}", {"max_tasks_per_day": 3}, token=token
    )
    assert response.status_code == 200
    assert response.get_json()["max_tasks_per_day"] == 3
    session.refresh(volunteer)
    assert volunteer.max_tasks_per_day == 3


@pytest.mark.parametrize("bad", [0, 6, -1, 2.5, "2", None, True])
def test_a_capacity_outside_one_to_five_is_422_and_changes_nothing(
    api, make_volunteer, session, bad
):
    volunteer, token = make_volunteer(max_tasks_per_day=2)
    response = api.patch(
        f"/api/v1/volunteers/{volunteer.id}", {"max_tasks_per_day": bad}, token=token
    )
    assert response.status_code == 422
    assert "max_tasks_per_day" in response.get_json()["errors"]["json"]
    session.refresh(volunteer)
    assert volunteer.max_tasks_per_day == 2


def test_the_sc_registers_a_volunteer_with_a_capacity(api, coordinator):
    body = {
        "name": "ゴミ出し 名人",
        "birth_year": 1950,
        **north(0),
        "zone": "太子堂",
        "skills": ["garbage"],
        "availability": MORNINGS,
        "max_tasks_per_day": 3,
    }
    created = api.post("/api/v1/volunteers", body, token=coordinator).get_json()
    assert created["max_tasks_per_day"] == 3
    without = api.post(
        "/api/v1/volunteers",
        {k: v for k, v in body.items() if k != "max_tasks_per_day"},
        token=coordinator,
    ).get_json()
    assert without["max_tasks_per_day"] == 1


def test_a_run_proposes_a_round_in_order_with_planned_starts_and_its_proof(
    api, coordinator, make_help_request, make_resident, make_volunteer
):
    bags = [
        make_help_request(
            resident=make_resident(name=f"住民 {n}", **north(100 * n)),
            window_start=local(2, 7),
            window_end=local(2, 8, 30),
        )
        for n in range(3)
    ]
    make_volunteer(
        max_tasks_per_day=2,
        availability=[{"weekday": d, "start_min": 390, "end_min": 540} for d in range(7)],
        **north(-50),
    )
    result = api.post("/api/v1/match-runs", {}, token=coordinator).get_json()
    proposals = sorted(result["assignments"], key=lambda a: a["round_order"])
    assert [a["help_request_id"] for a in proposals] == [bags[0].id, bags[1].id]
    assert [a["round_order"] for a in proposals] == [1, 2]
    assert [a["planned_start"][11:16] for a in proposals] == ["07:00", "07:17"]
    assert proposals[0]["planned_start"].endswith("+09:00")
    assert result["unmatched"] == [
        {
            "help_request_id": bags[2].id,
            "reason": "round_full",
            "detail": result["unmatched"][0]["detail"],
        }
    ]
    stats = result["stats"]
    assert stats["proven_optimal"] is True
    assert stats["gap_pct"] == 0.0
    assert stats["matched_bound"] == 2
    assert stats["rounds"] == 1
