"""Two things at once on PostgreSQL: two first tasks of one おためし volunteer completed at the
same moment open one follow-up (the UNIQUE volunteer_id, not a check in Python, and both
completions stand); two SCs registering them at once register them once (the second UPDATE
waits for the first's row lock, then finds them active). SQLite serialises every writer."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from access.models import User
from db import Conflict
from matching import followups, services
from matching.models import Assignment, HelpRequest, Resident, TrialFollowup, Volunteer

pytestmark = pytest.mark.postgres_only

NOW = dt.datetime.now(dt.UTC)


@dataclass
class Committed:
    user_id: int
    volunteer_id: int
    resident_id: int
    assignment_ids: list[int]


@pytest.fixture
def committed(engine: Engine) -> Iterator[Committed]:
    """A trial volunteer with two completed tasks (no follow-up yet) and an SC, committed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): concurrent transactions, row locks")
    with Session(engine) as session, session.begin():
        user = User(name=f"sc-race-{uuid.uuid4().hex[:8]}", role="coordinator")
        volunteer = Volunteer(
            name="鈴木 はじめ", birth_year=1990, lat=35.75, lon=139.74, zone="王子", status="trial"
        )
        session.add_all([user, volunteer])
        session.flush()
        resident = services.create_resident(
            session,
            name="山田 花子",
            address="東京都北区王子本町1-2-3",
            phone="03-3908-0000",
            lat=35.751,
            lon=139.74,
            zone="王子",
        )
        ids = []
        for day in (1, 2):
            start = NOW + dt.timedelta(days=day)
            request = services.create_help_request(
                session,
                resident_id=resident.id,
                category="garbage",
                window_start=start,
                window_end=start + dt.timedelta(hours=1),
            )
            assignment = Assignment(
                help_request_id=request.id,
                volunteer_id=volunteer.id,
                status="completed",
                distance_m=100.0,
                cost=100.0,
                completed_at=NOW,
            )
            session.add(assignment)
            session.flush()
            ids.append(assignment.id)
        data = Committed(user.id, volunteer.id, resident.id, ids)
    yield data
    with Session(engine) as session, session.begin():
        session.execute(
            delete(TrialFollowup).where(TrialFollowup.volunteer_id == data.volunteer_id)
        )
        session.execute(delete(Assignment).where(Assignment.id.in_(data.assignment_ids)))
        session.execute(delete(HelpRequest).where(HelpRequest.resident_id == data.resident_id))
        session.execute(delete(Resident).where(Resident.id == data.resident_id))
        session.execute(delete(Volunteer).where(Volunteer.id == data.volunteer_id))
        session.execute(delete(User).where(User.id == data.user_id))


def test_two_first_tasks_completed_at_once_open_one_follow_up(engine: Engine, committed):
    first_task, second_task = committed.assignment_ids
    second: list[object] = []

    def complete_the_other() -> None:
        with Session(engine) as other, other.begin():
            task = other.get(Assignment, second_task)
            second.append(followups.on_trial_task_completed(other, assignment=task, now=NOW))

    with Session(engine) as first:
        first.begin()
        task = first.get(Assignment, first_task)
        assert followups.on_trial_task_completed(first, assignment=task, now=NOW) is not None
        racer = threading.Thread(target=complete_the_other)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second insert waits on the first's unique key"
        first.commit()
    racer.join(timeout=10)
    assert second == [None]  # its transaction went on and committed

    with Session(engine) as session:
        rows = session.scalars(
            select(TrialFollowup).where(TrialFollowup.volunteer_id == committed.volunteer_id)
        ).all()
        assert [r.assignment_id for r in rows] == [first_task]


def test_two_scs_registering_at_once_register_once(engine: Engine, committed):
    second: list[object] = []

    def press_again() -> None:
        with Session(engine) as other, other.begin():
            try:
                second.append(
                    followups.activate(
                        other, volunteer_id=committed.volunteer_id, by_user_id=None, now=NOW
                    )
                )
            except Conflict as refused:
                second.append(refused)

    with Session(engine) as first:
        first.begin()
        followups.activate(
            first, volunteer_id=committed.volunteer_id, by_user_id=committed.user_id, now=NOW
        )
        racer = threading.Thread(target=press_again)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second UPDATE waits for the first one's row lock"
        first.commit()
    racer.join(timeout=10)
    assert len(second) == 1 and isinstance(second[0], Conflict)

    with Session(engine) as session:
        volunteer = session.get(Volunteer, committed.volunteer_id)
        assert volunteer is not None
        assert (volunteer.status, volunteer.registered_by_id) == ("active", committed.user_id)
