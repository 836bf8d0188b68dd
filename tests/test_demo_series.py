"""The demo seeds a few request series (燃やすごみ 火・金, 隔週 資源ごみ, 第2・第4 買い物), two of them
with a standing volunteer whose week fits, and makes their coming occurrences; the same seed
gives the same series."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.demo import DEMO_SERIES, seed_ward
from matching.models import Assignment, HelpRequest, RequestSeries, Resident, Volunteer
from matching.places import metres

TOKYO = ZoneInfo("Asia/Tokyo")
#: a Monday morning: the four weeks ahead hold no public holiday but 12/29–1/3 is far enough
NOW = dt.datetime(2026, 11, 30, 6, 0, tzinfo=TOKYO)


def seeded(session: Session, **kw) -> tuple[dict[str, int], list[RequestSeries]]:
    before = session.scalar(select(func.max(RequestSeries.id))) or 0
    counts = seed_ward(
        session,
        ward="世田谷区",
        n_residents=60,
        n_volunteers=150,
        n_requests=0,
        n_series=3,
        now=NOW,
        **kw,
    )
    series = list(
        session.scalars(
            select(RequestSeries).where(RequestSeries.id > before).order_by(RequestSeries.id)
        )
    )
    return counts, series


def describe(session: Session, series: RequestSeries) -> tuple:
    resident = session.get(Resident, series.resident_id)
    standing = (
        session.get(Volunteer, series.standing_volunteer_id)
        if series.standing_volunteer_id is not None
        else None
    )
    return (
        resident.name if resident else None,
        series.category.code,
        series.weekdays,
        series.pattern,
        series.window_start_min,
        series.window_end_min,
        standing.name if standing else None,
    )


def test_the_demo_seeds_series_with_standing_volunteers_and_their_occurrences(session: Session):
    counts, series = seeded(session)
    assert counts["series"] == 3 and counts["standing"] == 2
    assert [(s.category.code, s.weekdays, s.pattern) for s in series] == [
        ("garbage", [1, 4], "weekly"),
        ("garbage", [3], "biweekly"),
        ("shopping", [2], "second_fourth"),
    ]
    assert [s.notes for s in series] == [plan.notes for plan in DEMO_SERIES]
    assert len({s.resident_id for s in series}) == 3
    burnable, recyclable, shopping = series
    assert recyclable.standing_volunteer_id is None

    made = {
        s.id: list(
            session.scalars(
                select(HelpRequest)
                .where(HelpRequest.series_id == s.id)
                .order_by(HelpRequest.occurrence_date)
            )
        )
        for s in series
    }
    assert counts["occurrences"] == sum(len(m) for m in made.values())
    # 火・金 of 4 weeks from Monday 30 November; 隔週 木 from that week; the 2nd and 4th 水 of
    # December (9th, 23rd)
    assert len(made[burnable.id]) == 8
    assert [r.occurrence_date.day for r in made[recyclable.id]] == [3, 17]
    assert [r.occurrence_date for r in made[shopping.id]] == [
        dt.date(2026, 12, 9),
        dt.date(2026, 12, 23),
    ]

    for s in (burnable, shopping):
        volunteer = session.get(Volunteer, s.standing_volunteer_id)
        resident = session.get(Resident, s.resident_id)
        assert volunteer is not None and volunteer.status == "active"
        # their week fits: free on each weekday for the whole window, and in reach
        for day in s.weekdays:
            assert any(
                slot.weekday == day
                and slot.start_min <= s.window_start_min
                and s.window_end_min <= slot.end_min
                for slot in volunteer.availability
            )
        assert (
            metres(volunteer.lat, volunteer.lon, resident.lat, resident.lon)
            <= volunteer.max_distance_m
        )
        holders = session.scalars(
            select(Assignment.volunteer_id).where(
                Assignment.help_request_id.in_([r.id for r in made[s.id]]),
                Assignment.status == "accepted",
            )
        ).all()
        assert {r.status for r in made[s.id]} == {"accepted"}
        assert set(holders) == {volunteer.id}
    assert {r.status for r in made[recyclable.id]} == {"open"}


def test_the_same_seed_gives_the_same_series(session: Session):
    _, first = seeded(session)
    _, second = seeded(session)
    assert [describe(session, s) for s in first] == [describe(session, s) for s in second]


def test_the_demo_command_seeds_series_by_default(app, session: Session):
    result = app.test_cli_runner().invoke(
        args=["demo", "seed", "--residents", "60", "--volunteers", "150", "--requests", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "3 request series (2 with a standing volunteer" in result.output
