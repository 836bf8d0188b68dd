"""Two `dispatch due` at once (two cron hosts, or a slow run overlapping the next) propose each
request once: the second waits on the match-run lock, then finds nothing left to do. Needs
PostgreSQL's concurrent transactions; SQLite serialises every writer with BEGIN IMMEDIATE."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from access.models import ApiToken
from matching import dispatch, services
from matching.models import Assignment, HelpRequest, MatchRun, Resident, Volunteer
from matching.redispatch import run_due
from tests.conftest import ALL_WEEK, local

pytestmark = pytest.mark.postgres_only

# a place of its own (赤羽), so no other test's volunteers can reach these requests
HOME = (35.7770, 139.7210)


@pytest.fixture
def declined_requests(engine: Engine) -> Iterator[list[int]]:
    """Three requests, each declined by its first volunteer and queued, committed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): concurrent transactions")
    with Session(engine) as session, session.begin():
        resident = services.create_resident(
            session,
            name="赤羽 花子",
            address="東京都北区赤羽1-1",
            lat=HOME[0],
            lon=HOME[1],
            zone="赤羽",
        )
        for i in range(6):
            services.create_volunteer(
                session,
                name=f"赤羽 {i}",
                birth_year=1960,
                lat=HOME[0] + 0.0002 * (i + 1),
                lon=HOME[1],
                zone="赤羽",
                skills=["garbage"],
                availability=ALL_WEEK,
            )
        ids = [
            services.create_help_request(
                session,
                resident_id=resident.id,
                category="garbage",
                window_start=local(day, 7),
                window_end=local(day, 9),
            ).id
            for day in (2, 3, 4)
        ]
        run = dispatch.run_match(session, zone="赤羽", now=local(0, 9))
        for assignment in run.assignments:
            dispatch.decline(session, assignment_id=assignment.id, now=local(0, 10))
        resident_id = resident.id
    yield ids
    with Session(engine) as session, session.begin():
        runs = select(Assignment.match_run_id).where(Assignment.help_request_id.in_(ids))
        run_ids = list(session.scalars(runs))
        session.execute(delete(Assignment).where(Assignment.help_request_id.in_(ids)))
        session.execute(delete(MatchRun).where(MatchRun.id.in_(run_ids)))
        session.execute(delete(HelpRequest).where(HelpRequest.id.in_(ids)))
        ours = select(Volunteer.id).where(Volunteer.zone == "赤羽")
        session.execute(delete(ApiToken).where(ApiToken.volunteer_id.in_(ours)))
        session.execute(delete(Volunteer).where(Volunteer.zone == "赤羽"))
        session.execute(delete(Resident).where(Resident.id == resident_id))


def live_proposals(engine: Engine, ids: list[int]) -> dict[int, int]:
    with Session(engine) as session:
        return dict(
            session.execute(
                select(Assignment.help_request_id, func.count())
                .where(Assignment.help_request_id.in_(ids), Assignment.status == "proposed")
                .group_by(Assignment.help_request_id)
            ).all()
        )


def test_two_runs_at_once_propose_each_request_once(engine: Engine, declined_requests):
    start = threading.Barrier(2)
    reports = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with Session(engine) as session, session.begin():
                start.wait(timeout=10)
                reports.append(run_due(session, now=local(0, 10, 5)))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert live_proposals(engine, declined_requests) == dict.fromkeys(declined_requests, 1)
    assert sorted(len(r.proposed) for r in reports) == [0, 3]


def test_the_second_run_waits_for_the_first_then_finds_nothing(engine: Engine, declined_requests):
    second = []

    def run_again() -> None:
        with Session(engine) as other, other.begin():
            second.append(run_due(other, now=local(0, 10, 6)))

    with Session(engine) as first:
        first.begin()
        report = run_due(first, now=local(0, 10, 5))
        racer = threading.Thread(target=run_again)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second waits on the first's lock"
        first.commit()
    racer.join(timeout=20)
    assert sorted(report.proposed) == sorted(declined_requests)
    assert [(r.tried, r.unanswered) for r in second] == [([], [])]
    assert live_proposals(engine, declined_requests) == dict.fromkeys(declined_requests, 1)
