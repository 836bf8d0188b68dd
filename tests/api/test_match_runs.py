"""Match runs: the optimal, explained proposal for the open requests in a zone and window."""

import datetime as dt
import threading

import pytest
from sqlalchemy import delete, select

from access.models import ApiToken, User
from matching.engine import REASONS
from matching.models import Assignment, HelpRequest, MatchRun, Resident, Volunteer
from tests.conftest import local

HOME = (35.6432, 139.6710)
M_PER_DEG_LAT = 111_195.0


def north(metres, of=HOME):
    """A point this many metres north of another (haversine along a meridian is exact)."""
    return {"lat": of[0] + metres / M_PER_DEG_LAT, "lon": of[1]}


def run(api, token, **scope):
    body = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in scope.items()}
    response = api.post("/api/v1/match-runs", body, token=token)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_nearest_volunteer_is_proposed_with_distance_cost_and_reasons(
    api, coordinator, make_help_request, make_volunteer, session
):
    request = make_help_request()
    near, _ = make_volunteer(name="近い 人", **north(200))
    make_volunteer(name="遠い 人", **north(600))
    result = run(api, coordinator, zone="太子堂")

    [proposal] = result["assignments"]
    assert proposal["help_request_id"] == request.id
    assert proposal["volunteer_id"] == near.id
    assert proposal["distance_m"] == pytest.approx(200, abs=0.5)
    # no history, not on trial: the cost is the distance and every other term is zero
    assert proposal["cost"] == pytest.approx(proposal["distance_m"], abs=0.1)
    assert proposal["reasons"]["distance"] == pytest.approx(200, abs=0.5)
    assert all(v == 0 for k, v in proposal["reasons"].items() if k != "distance")
    assert result["unmatched"] == []
    assert result["stats"]["matched"] == 1 and result["stats"]["requests"] == 1

    session.refresh(request)
    assert request.status == "proposed"
    assert request.first_matched_at is not None


def test_a_run_can_be_read_back(api, coordinator, make_help_request, make_resident, make_volunteer):
    make_help_request()
    make_help_request(resident=make_resident(name="二人目", **north(20)))  # all_taken
    make_volunteer(**north(100))
    created = run(api, coordinator)
    assert len(created["assignments"]) == len(created["unmatched"]) == 1
    shown = api.get(f"/api/v1/match-runs/{created['id']}", token=coordinator)
    assert shown.status_code == 200
    assert shown.get_json() == created
    assert api.get("/api/v1/match-runs/999999", token=coordinator).status_code == 404


def test_as_many_requests_as_possible_are_matched_before_distance_counts(
    api, coordinator, make_help_request, make_resident, make_volunteer
):
    # A is 100 m from both requests' residents' neighbour; greedy would give A to r1 and strand r2
    r1 = make_help_request(resident=make_resident(**north(0)))
    r2 = make_help_request(resident=make_resident(**north(900)))
    a, _ = make_volunteer(name="A", **north(450), max_distance_m=1000)
    b, _ = make_volunteer(name="B", **north(-300), max_distance_m=400)
    result = run(api, coordinator)
    pairs = {p["help_request_id"]: p["volunteer_id"] for p in result["assignments"]}
    assert pairs == {r1.id: b.id, r2.id: a.id}


def test_one_request_per_volunteer_per_run(
    api, coordinator, make_help_request, make_resident, make_volunteer
):
    first = make_help_request(resident=make_resident(**north(50)))
    second = make_help_request(resident=make_resident(**north(80)))
    make_volunteer(**north(0))
    result = run(api, coordinator)
    assert len(result["assignments"]) == 1
    [unmatched] = result["unmatched"]
    assert unmatched["help_request_id"] in (first.id, second.id)
    assert unmatched["reason"] == "all_taken"
    assert unmatched["detail"]


@pytest.mark.parametrize(
    ("volunteer", "category", "reason"),
    [
        ({"lat": HOME[0] + 3000 / M_PER_DEG_LAT, "lon": HOME[1]}, "garbage", "nobody_nearby"),
        ({"skills": ["garbage"]}, "shopping", "no_skill"),
        ({"status": "trial", "skills": ["shopping"]}, "shopping", "trial_only"),
        (
            {"availability": [{"weekday": 0, "start_min": 0, "end_min": 1}]},
            "garbage",
            "not_available",
        ),
    ],
)
def test_every_unmatched_request_says_why(
    api, coordinator, make_help_request, make_volunteer, volunteer, category, reason
):
    request = make_help_request(
        category=category, window_start=local(2, 9), window_end=local(2, 12)
    )
    make_volunteer(**volunteer)
    result = run(api, coordinator)
    assert result["assignments"] == []
    assert result["unmatched"] == [
        {"help_request_id": request.id, "reason": reason, "detail": dict(REASONS)[reason]}
    ]
    # the run remembers why, word for word
    shown = api.get(f"/api/v1/match-runs/{result['id']}", token=coordinator).get_json()
    assert shown["unmatched"] == result["unmatched"]


def test_availability_must_cover_the_duration_in_local_time(
    api, coordinator, make_help_request, make_volunteer
):
    start = local(2, 10)
    make_help_request(category="shopping", window_start=start, window_end=local(2, 12))
    weekday = start.weekday()
    # 10:30-11:00 local overlaps by 30 minutes only; shopping takes 60
    make_volunteer(availability=[{"weekday": weekday, "start_min": 630, "end_min": 660}])
    assert run(api, coordinator)["unmatched"][0]["reason"] == "not_available"
    make_volunteer(availability=[{"weekday": weekday, "start_min": 660, "end_min": 780}])
    assert len(run(api, coordinator)["assignments"]) == 1


def test_touching_slots_cover_a_task_together(api, coordinator, make_help_request, make_volunteer):
    start = local(2, 10)
    weekday = start.weekday()
    make_help_request(category="shopping", window_start=start, window_end=local(2, 11))
    halves = [
        {"weekday": weekday, "start_min": 630, "end_min": 660},
        {"weekday": weekday, "start_min": 600, "end_min": 630},
    ]
    make_volunteer(availability=halves)
    assert len(run(api, coordinator)["assignments"]) == 1


def test_slots_join_across_midnight(api, coordinator, make_help_request, make_volunteer):
    # an hour from 23:30; the volunteer gives 22:00-24:00 and 00:00-02:00 the next day
    start = local(2, 23, 30)
    make_help_request(category="shopping", window_start=start, window_end=local(3, 0, 30))
    make_volunteer(
        availability=[
            {"weekday": start.weekday(), "start_min": 22 * 60, "end_min": 1440},
            {"weekday": (start.weekday() + 1) % 7, "start_min": 0, "end_min": 120},
        ],
        skills=["shopping"],
    )
    result = run(api, coordinator)
    assert len(result["assignments"]) == 1, result["unmatched"]


def test_the_scope_limits_zone_and_window(
    api, coordinator, make_help_request, make_resident, make_volunteer, session
):
    here = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    later = make_help_request(window_start=local(6, 7), window_end=local(6, 9))
    elsewhere = make_help_request(resident=make_resident(zone="三宿"))
    for i in range(3):
        make_volunteer(name=f"v{i}", **north(100 + i))
    result = run(api, coordinator, zone="太子堂", window_from=local(1, 0), window_to=local(3, 0))
    assert [p["help_request_id"] for p in result["assignments"]] == [here.id]
    for request in (later, elsewhere):
        session.refresh(request)
        assert request.status == "open"


def test_proposed_requests_are_not_proposed_again(
    api, coordinator, make_help_request, make_volunteer
):
    make_help_request()
    make_volunteer()
    make_volunteer(name="二人目")
    assert len(run(api, coordinator)["assignments"]) == 1
    again = run(api, coordinator)
    assert again["assignments"] == [] and again["stats"]["requests"] == 0


def test_a_volunteer_busy_in_an_overlapping_window_is_not_proposed_twice(
    api, coordinator, make_help_request, make_resident, make_volunteer
):
    make_help_request()
    make_volunteer()
    assert len(run(api, coordinator)["assignments"]) == 1
    make_help_request(resident=make_resident(**north(30)))  # same window
    result = run(api, coordinator)
    assert result["assignments"] == []
    [unmatched] = result["unmatched"]
    assert unmatched["reason"] == "busy"


def test_a_volunteer_who_accepted_a_task_at_that_time_is_busy(
    api, coordinator, make_help_request, make_resident, make_volunteer
):
    make_help_request()
    _, token = make_volunteer(max_tasks_per_day=2)  # room for another task that day
    [proposal] = run(api, coordinator)["assignments"]
    accepted = api.post(f"/api/v1/assignments/{proposal['id']}/accept", token=token)
    assert accepted.status_code == 200
    overlapping = make_help_request(
        resident=make_resident(**north(30)), window_start=local(2, 8), window_end=local(2, 10)
    )
    later = make_help_request(
        resident=make_resident(**north(40)), window_start=local(2, 9), window_end=local(2, 11)
    )
    result = run(api, coordinator)
    # 07:00-09:00 is taken: 08:00-10:00 overlaps it, 09:00-11:00 only touches it
    assert [p["help_request_id"] for p in result["assignments"]] == [later.id]
    assert [(u["help_request_id"], u["reason"]) for u in result["unmatched"]] == [
        (overlapping.id, "busy")
    ]


def test_not_available_comes_before_busy_and_declined_before_busy(
    api, coordinator, make_help_request, make_resident, make_volunteer
):
    # one volunteer, free 07:00-09:00 that day, holds a task from 07:00 to 09:00
    first = make_help_request()
    weekday = local(2, 7).weekday()
    _, token = make_volunteer(availability=[{"weekday": weekday, "start_min": 420, "end_min": 540}])
    [proposal] = run(api, coordinator)["assignments"]
    assert proposal["help_request_id"] == first.id
    api.post(f"/api/v1/assignments/{proposal['id']}/accept", token=token)
    # 60 minutes of shopping from 08:30 to 10:00: that volunteer is busy then, and 30 minutes
    # of their slot are left: not available is the earlier reason
    unavailable = make_help_request(
        resident=make_resident(**north(30)),
        category="shopping",
        window_start=local(2, 8, 30),
        window_end=local(2, 10),
    )
    result = run(api, coordinator)
    assert [(u["help_request_id"], u["reason"]) for u in result["unmatched"]] == [
        (unavailable.id, "not_available")
    ]
    # a second volunteer declines it; the first is still busy: declined, not busy
    helper, helper_token = make_volunteer(name="二人目")
    [offer] = run(api, coordinator)["assignments"]
    assert (offer["help_request_id"], offer["volunteer_id"]) == (unavailable.id, helper.id)
    api.post(f"/api/v1/assignments/{offer['id']}/decline", token=helper_token)
    again = run(api, coordinator)
    assert [(u["help_request_id"], u["reason"]) for u in again["unmatched"]] == [
        (unavailable.id, "declined")
    ]


def test_continuity_prefers_a_volunteer_who_helped_this_resident(
    api, coordinator, make_resident, make_help_request, make_volunteer, session
):
    resident = make_resident()
    old = make_help_request(resident=resident, window_start=local(1, 7), window_end=local(1, 9))
    familiar, _ = make_volunteer(name="顔なじみ", **north(250))
    session.add(
        Assignment(
            help_request_id=old.id,
            volunteer_id=familiar.id,
            status="completed",
            distance_m=250,
            cost=250,
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),  # no recent load
        )
    )
    old.status = "completed"
    session.flush()
    make_volunteer(name="近いが初めて", **north(100))
    make_help_request(resident=resident)
    [proposal] = run(api, coordinator)["assignments"]
    assert proposal["volunteer_id"] == familiar.id
    assert proposal["reasons"]["continuity"] < 0
    assert proposal["cost"] == pytest.approx(sum(proposal["reasons"].values()), abs=0.2)


def test_bad_scope_is_422_and_only_coordinators_run(api, coordinator, make_volunteer):
    bad = api.post(
        "/api/v1/match-runs",
        {"window_from": local(3, 0).isoformat(), "window_to": local(2, 0).isoformat()},
        token=coordinator,
    )
    assert bad.status_code == 422
    assert "window_to" in bad.get_json()["errors"]["json"]
    assert api.post("/api/v1/match-runs", {"zone": ""}, token=coordinator).status_code == 422
    _, token = make_volunteer()
    assert api.post("/api/v1/match-runs", {}, token=token).status_code == 403
    assert api.post("/api/v1/match-runs", {}).status_code == 401


# --- two runs at once, with real commits ------------------------------------------------


@pytest.fixture
def commit_separately(app, engine):
    """Run a function in its own committed transaction (threads must see the data); the rows
    it reports are removed after the test."""
    made: dict[type, list[int]] = {}
    factory = app.extensions["sasaeai.sessionmaker"]

    def commit(fn):
        with factory() as s, s.begin():
            objs = fn(s)
            s.flush()
            for obj in objs:
                made.setdefault(type(obj), []).append(obj.id)
        return objs

    yield commit
    ids = lambda model: made.get(model, [])  # noqa: E731
    with engine.begin() as conn:
        conn.execute(delete(Assignment).where(Assignment.help_request_id.in_(ids(HelpRequest))))
        conn.execute(delete(MatchRun).where(MatchRun.created_by_id.in_(ids(User))))
        conn.execute(delete(HelpRequest).where(HelpRequest.id.in_(ids(HelpRequest))))
        conn.execute(delete(Resident).where(Resident.id.in_(ids(Resident))))
        conn.execute(delete(ApiToken).where(ApiToken.user_id.in_(ids(User))))
        conn.execute(delete(ApiToken).where(ApiToken.volunteer_id.in_(ids(Volunteer))))
        conn.execute(delete(Volunteer).where(Volunteer.id.in_(ids(Volunteer))))
        conn.execute(delete(User).where(User.id.in_(ids(User))))


def test_two_runs_at_once_never_propose_a_request_twice(app, commit_separately, engine):
    from access.tokens import new_token
    from matching import services

    token, token_hash = new_token()

    def staff(s):
        user = User(name="sc-concurrent", role="coordinator")
        s.add(user)
        s.flush()
        s.add(ApiToken(token_hash=token_hash, role="coordinator", user_id=user.id))
        return [user]

    def people(s):
        made = []
        for i in range(12):
            resident = services.create_resident(
                s, name=f"r{i}", address="x", zone="並行町", **north(i * 40)
            )
            made += [
                resident,
                services.create_help_request(
                    s,
                    resident_id=resident.id,
                    category="garbage",
                    window_start=local(2, 7),
                    window_end=local(2, 9),
                ),
            ]
        for i in range(8):
            volunteer, _ = services.create_volunteer(
                s,
                name=f"v{i}",
                birth_year=1960,
                zone="並行町",
                max_distance_m=2000,
                skills=["garbage"],
                availability=[{"weekday": d, "start_min": 0, "end_min": 1440} for d in range(7)],
                **north(i * 60),
            )
            made.append(volunteer)
        return made

    commit_separately(staff)
    made = commit_separately(people)
    request_ids = [o.id for o in made if isinstance(o, HelpRequest)]
    results = []

    def one_run():
        response = app.test_client().post(
            "/api/v1/match-runs",
            json={"zone": "並行町"},
            headers={"Authorization": f"Bearer {token}"},
        )
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [status for status, _ in results] == [201] * 4, results
    proposals = [p for _, body in results for p in body["assignments"]]
    # 8 volunteers for 12 requests: 8 proposals in all, each request and volunteer once
    assert len(proposals) == 8
    assert len({p["help_request_id"] for p in proposals}) == 8
    assert len({p["volunteer_id"] for p in proposals}) == 8
    with engine.connect() as conn:
        live = (
            conn.execute(
                select(Assignment.help_request_id).where(
                    Assignment.help_request_id.in_(request_ids), Assignment.status == "proposed"
                )
            )
            .scalars()
            .all()
        )
    assert sorted(live) == sorted(p["help_request_id"] for p in proposals)


def test_a_window_that_has_begun_is_matched_on_what_is_left(
    api, coordinator, make_help_request, make_volunteer, session
):
    now = dt.datetime.now(dt.UTC)
    # 15 minutes of ゴミ出し, but only 10 minutes of the window are left
    request = make_help_request(
        window_start=now - dt.timedelta(minutes=50), window_end=now + dt.timedelta(minutes=10)
    )
    make_volunteer()
    result = run(api, coordinator)
    assert result["assignments"] == []
    assert result["stats"]["requests"] == 1
    assert result["unmatched"] == [
        {
            "help_request_id": request.id,
            "reason": "too_late",
            "detail": "残り時間が作業時間に足りません。",
        }
    ]
    session.refresh(request)
    assert request.status == "open"
