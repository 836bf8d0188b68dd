"""The demo seeds realistic capacities (most volunteers one task a day, some registered ones two
or three, every おためし newcomer one) and says how many requests a run would propose with rounds
and with one task per volunteer, without writing a run."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.demo import rounds_effect, seed_ward
from matching.models import Assignment, MatchRun, Volunteer

NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_most_take_one_a_day_some_two_or_three_and_newcomers_one(session: Session):
    seed_ward(session, ward="世田谷区", n_residents=50, n_volunteers=200, n_requests=0, now=NOW)
    rows = session.execute(select(Volunteer.status, Volunteer.max_tasks_per_day)).all()
    capacities = Counter(c for _, c in rows)
    assert set(capacities) == {1, 2, 3}
    assert capacities[1] > len(rows) / 2
    assert capacities[2] > capacities[3] > 0
    assert {c for status, c in rows if status == "trial"} == {1}


def test_rounds_propose_more_than_one_task_each_and_nothing_is_written(session: Session):
    seed_ward(
        session,
        ward="世田谷区",
        n_residents=150,
        n_volunteers=150,
        n_requests=200,
        days=2,
        now=NOW,
    )
    effect = rounds_effect(session)
    assert effect["open"] == 200
    assert effect["with_rounds"] > effect["without_rounds"] > 0
    assert effect["in_rounds"] > 0
    assert session.scalar(select(func.count()).select_from(MatchRun)) == 0
    assert session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_the_demo_command_prints_both_counts(app, session: Session):
    result = app.test_cli_runner().invoke(
        args=["demo", "seed", "--residents", "60", "--volunteers", "60", "--requests", "60"]
    )
    assert result.exit_code == 0, result.output
    assert "with rounds" in result.output
    assert "with one task per volunteer" in result.output
