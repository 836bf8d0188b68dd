"""Request series through the API and the command: an SC creates, reads, pauses and ends one;
`flask series generate` is safe to run again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from matching.models import Assignment, HelpRequest
from tests.conftest import TOKYO


def body(resident: int, **change):
    return {
        "resident_id": resident,
        "category": "garbage",
        "weekdays": [1, 4],
        "window_start": "07:00",
        "window_end": "08:30",
        "start_date": "2027-04-01",
        **change,
    }


def every_late_evening(api, coordinator, resident):
    """POST a series every day 23:00-24:00 from today, holidays kept: its next week's
    occurrences are all still ahead whenever the test runs."""
    today = dt.datetime.now(TOKYO).date()
    return api.post(
        "/api/v1/series",
        body(
            resident.id,
            weekdays=list(range(7)),
            window_start="23:00",
            window_end="24:00",
            start_date=today.isoformat(),
            holidays="keep",
        ),
        token=coordinator,
    )


def test_sc_creates_a_series_and_reads_it_back(api, coordinator, make_resident):
    resident = make_resident()
    response = api.post("/api/v1/series", body(resident.id, notes="燃やすごみ"), token=coordinator)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "active"
    assert created["weekdays"] == [1, 4]
    assert created["pattern"] == "weekly"
    assert (created["window_start"], created["window_end"]) == ("07:00", "08:30")
    assert (created["start_date"], created["end_date"]) == ("2027-04-01", None)
    assert created["holidays"] is None
    assert created["occurrences"] == []
    again = api.get(f"/api/v1/series/{created['id']}", token=coordinator)
    assert again.status_code == 200 and again.get_json() == created


def test_a_series_is_checked(api, coordinator, make_resident):
    resident = make_resident()
    for change, field in [
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": []}, "weekdays"),
        ({"pattern": "monthly"}, "pattern"),
        ({"window_end": "06:00"}, "window_end"),
        ({"window_end": "07:10"}, "window_end"),  # shorter than the category takes
        ({"end_date": "2027-03-01"}, "end_date"),
        ({"category": "nothing"}, "category"),
        ({"resident_id": 999999}, "resident_id"),
    ]:
        response = api.post("/api/v1/series", body(resident.id, **change), token=coordinator)
        assert response.status_code == 422, (change, response.get_json())
        assert field in str(response.get_json()), (change, response.get_json())


def test_pause_resume_and_end_are_state_changes(api, coordinator, make_resident):
    resident = make_resident()
    series_id = api.post("/api/v1/series", body(resident.id), token=coordinator).get_json()["id"]
    paused = api.post(f"/api/v1/series/{series_id}/pause", token=coordinator)
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    assert api.post(f"/api/v1/series/{series_id}/pause", token=coordinator).status_code == 409
    resumed = api.post(f"/api/v1/series/{series_id}/resume", token=coordinator)
    assert resumed.get_json()["status"] == "active"
    ended = api.post(f"/api/v1/series/{series_id}/end", token=coordinator)
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"
    assert api.post(f"/api/v1/series/{series_id}/end", token=coordinator).status_code == 409
    edit = api.patch(f"/api/v1/series/{series_id}", {"notes": "x"}, token=coordinator)
    assert edit.status_code == 409


def test_an_edit_changes_the_rule(api, coordinator, make_resident):
    resident = make_resident()
    series_id = api.post("/api/v1/series", body(resident.id), token=coordinator).get_json()["id"]
    response = api.patch(
        f"/api/v1/series/{series_id}",
        {"weekdays": [2], "pattern": "second_fourth", "window_start": "06:30"},
        token=coordinator,
    )
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()
    assert (edited["weekdays"], edited["pattern"], edited["window_start"]) == (
        [2],
        "second_fourth",
        "06:30",
    )


def test_only_coordinators_see_series(api, coordinator, make_resident, make_volunteer):
    resident = make_resident()
    _, volunteer_token = make_volunteer()
    assert api.post("/api/v1/series", body(resident.id)).status_code == 401
    assert api.post("/api/v1/series", body(resident.id), token=volunteer_token).status_code == 403
    series_id = api.post("/api/v1/series", body(resident.id), token=coordinator).get_json()["id"]
    assert api.get(f"/api/v1/series/{series_id}", token=volunteer_token).status_code == 403
    assert api.post(f"/api/v1/series/{series_id}/end", token=volunteer_token).status_code == 403
    assert api.get("/api/v1/series/999999", token=coordinator).status_code == 404


def test_the_command_generates_once_however_often_it_runs(
    app, session, api, coordinator, make_resident
):
    resident = make_resident()
    today = dt.datetime.now(TOKYO).date()
    created = every_late_evening(api, coordinator, resident)
    series_id = created.get_json()["id"]
    runner = app.test_cli_runner()
    first = runner.invoke(args=["series", "generate", "--weeks", "1"])
    assert first.exit_code == 0, first.output
    assert "Generated 8 occurrences" in first.output
    again = runner.invoke(args=["series", "generate", "--weeks", "1"])
    assert "Generated 0 occurrences" in again.output
    count = session.scalar(
        select(func.count()).select_from(HelpRequest).where(HelpRequest.series_id == series_id)
    )
    assert count == 8
    shown = api.get(f"/api/v1/series/{series_id}", token=coordinator).get_json()
    assert [o["occurrence_date"] for o in shown["occurrences"]] == [
        (today + dt.timedelta(days=n)).isoformat() for n in range(8)
    ]
    assert shown["occurrences"][0]["window_start"].endswith("T23:00:00+09:00")


def test_a_standing_volunteer_keeps_the_series_through_a_match_run(
    app, session, api, coordinator, make_resident, make_volunteer
):
    resident = make_resident()
    volunteer, _ = make_volunteer()
    neighbour, _ = make_volunteer(name="鈴木 次郎", lat=resident.lat, lon=resident.lon)
    created = every_late_evening(api, coordinator, resident).get_json()
    taken = api.post(
        f"/api/v1/series/{created['id']}/standing",
        {"volunteer_id": volunteer.id},
        token=coordinator,
    )
    assert taken.status_code == 200 and taken.get_json()["standing_volunteer_id"] == volunteer.id
    assert app.test_cli_runner().invoke(args=["series", "generate", "--weeks", "1"]).exit_code == 0
    assert api.post("/api/v1/match-runs", token=coordinator).status_code == 201
    shown = api.get(f"/api/v1/series/{created['id']}", token=coordinator).get_json()
    assert {o["status"] for o in shown["occurrences"]} == {"accepted"}
    held = session.scalars(
        select(Assignment.volunteer_id).where(
            Assignment.help_request_id.in_([o["id"] for o in shown["occurrences"]]),
            Assignment.status == "accepted",
        )
    ).all()
    assert set(held) == {volunteer.id} and len(held) == 8

    dropped = api.post(
        f"/api/v1/series/{created['id']}/standing", {"volunteer_id": None}, token=coordinator
    )
    assert dropped.status_code == 200
    after = api.get(f"/api/v1/series/{created['id']}", token=coordinator).get_json()
    assert {o["status"] for o in after["occurrences"]} == {"open"}
    nobody = api.post(
        f"/api/v1/series/{created['id']}/standing", {"volunteer_id": 999999}, token=coordinator
    )
    assert nobody.status_code == 422


def test_a_standing_volunteer_set_after_generation_takes_the_open_occurrences(
    app, session, api, coordinator, make_resident, make_volunteer
):
    """The SC makes the series (its weeks generated at once), then finds the neighbour: the
    occurrences already made and still open are theirs too, not only the later ones; one the
    volunteer declined before stays open for matching."""
    resident = make_resident()
    volunteer, _ = make_volunteer()
    created = every_late_evening(api, coordinator, resident).get_json()
    assert app.test_cli_runner().invoke(args=["series", "generate", "--weeks", "1"]).exit_code == 0
    made = api.get(f"/api/v1/series/{created['id']}", token=coordinator).get_json()["occurrences"]
    assert len(made) == 8 and {o["status"] for o in made} == {"open"}
    declined = made[-1]["id"]
    session.add(
        Assignment(
            help_request_id=declined,
            volunteer_id=volunteer.id,
            status="declined",
            distance_m=0.0,
            cost=0.0,
            reasons={},
        )
    )
    session.flush()

    taken = api.post(
        f"/api/v1/series/{created['id']}/standing",
        {"volunteer_id": volunteer.id},
        token=coordinator,
    )
    assert taken.status_code == 200
    after = {o["id"]: o["status"] for o in taken.get_json()["occurrences"]}
    assert after.pop(declined) == "open"
    assert set(after.values()) == {"accepted"}
    held = session.scalars(
        select(Assignment.volunteer_id).where(
            Assignment.help_request_id.in_(after), Assignment.status == "accepted"
        )
    ).all()
    assert sorted(held) == [volunteer.id] * 7
