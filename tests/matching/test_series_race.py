"""Two generators at once (two cron hosts, or a retry overlapping a slow run) create each
occurrence once: the second INSERT … ON CONFLICT DO NOTHING waits for the first's uncommitted
row, then does nothing. Needs PostgreSQL's concurrent transactions; SQLite serialises every writer
with BEGIN IMMEDIATE."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from matching import series
from matching.models import HelpRequest, RequestSeries, Resident

pytestmark = pytest.mark.postgres_only

TODAY = dt.date(2027, 2, 1)


@pytest.fixture
def committed_series(engine: Engine) -> Iterator[list[int]]:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): concurrent transactions, row locks")
    with Session(engine) as session, session.begin():
        resident = Resident(
            name="山田 花子", address="東京都北区王子1-1", lat=35.75, lon=139.74, zone="王子"
        )
        session.add(resident)
        session.flush()
        ids = [
            series.create_series(
                session,
                resident_id=resident.id,
                category="garbage",
                weekdays=weekdays,
                window_start_min=7 * 60,
                window_end_min=8 * 60 + 30,
                start_date=TODAY,
            ).id
            for weekdays in ([1, 4], [0, 2, 4])
        ]
        resident_id = resident.id
    yield ids
    with Session(engine) as session, session.begin():
        session.execute(delete(HelpRequest).where(HelpRequest.series_id.in_(ids)))
        session.execute(delete(RequestSeries).where(RequestSeries.id.in_(ids)))
        session.execute(delete(Resident).where(Resident.id == resident_id))


def test_two_generators_at_once_create_each_occurrence_once(
    engine: Engine, committed_series: list[int]
):
    start = threading.Barrier(2)
    created: list[int] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with Session(engine) as session, session.begin():
                start.wait(timeout=10)
                created.append(series.generate(session, weeks_ahead=4, today=TODAY).created)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    # Monday 2/1 to Monday 3/1: 8 Tuesdays and Fridays less 2/23 天皇誕生日 (a Tuesday), and
    # 13 Mondays, Wednesdays and Fridays (2/11 建国記念の日 is a Thursday)
    with Session(engine) as session:
        per_series = dict(
            session.execute(
                select(HelpRequest.series_id, func.count())
                .where(HelpRequest.series_id.in_(committed_series))
                .group_by(HelpRequest.series_id)
            ).all()
        )
    expected = {committed_series[0]: 7, committed_series[1]: 13}
    assert per_series == expected
    assert sum(created) == sum(expected.values())


def test_the_second_generator_waits_for_the_first_then_adds_nothing(
    engine: Engine, committed_series: list[int]
):
    second: list[int] = []

    def run_again() -> None:
        with Session(engine) as other, other.begin():
            second.append(series.generate(other, weeks_ahead=1, today=TODAY).created)

    with Session(engine) as first:
        first.begin()
        made = series.generate(first, weeks_ahead=1, today=TODAY).created
        racer = threading.Thread(target=run_again)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second waits on the first's uncommitted occurrences"
        first.commit()
    racer.join(timeout=10)
    assert made > 0
    assert second == [0]
