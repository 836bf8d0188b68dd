"""Request series: which dates they fall on (months, the fiscal year, the year-end break,
public holidays), idempotent generation, and pausing, ending and editing from now on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import Conflict, InvalidInput
from matching import blocks, series
from matching.models import Assignment, HelpRequest

TOKYO = ZoneInfo("Asia/Tokyo")
D = dt.date
TUE, WED, THU, FRI, MON = 1, 2, 3, 4, 0


def dates(session: Session, series_id: int, status: str | None = None) -> list[dt.date]:
    stmt = select(HelpRequest.occurrence_date).where(HelpRequest.series_id == series_id)
    if status:
        stmt = stmt.where(HelpRequest.status == status)
    return list(session.scalars(stmt.order_by(HelpRequest.occurrence_date)))


@pytest.fixture
def make_series(session, make_resident):
    def make(**params):
        if "resident_id" not in params:
            params["resident_id"] = make_resident().id
        params.setdefault("category", "garbage")
        params.setdefault("weekdays", [TUE, FRI])
        params.setdefault("window_start_min", 7 * 60)
        params.setdefault("window_end_min", 8 * 60 + 30)
        params.setdefault("start_date", D(2026, 12, 1))
        return series.create_series(session, **params)

    return make


# --- the pure core --------------------------------------------------------------------------


def test_the_year_end_break_is_29_december_to_3_january():
    inside = [D(2026, 12, 29), D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 3)]
    outside = [D(2026, 12, 28), D(2027, 1, 4)]
    assert all(series.in_year_end_break(d) for d in inside)
    assert not any(series.in_year_end_break(d) for d in outside)


def test_public_holidays_come_from_the_package_with_substitute_days():
    assert series.is_day_off(D(2027, 1, 11))  # 成人の日, second Monday of January
    assert series.is_day_off(D(2027, 3, 22))  # 振替休日: 春分の日 fell on a Sunday
    assert not series.is_day_off(D(2027, 3, 23))


def test_the_second_and_fourth_weekday_of_each_month():
    found = series.occurrence_dates(
        weekdays=[TUE],
        pattern="second_fourth",
        start_date=D(2027, 4, 1),
        end_date=None,
        first=D(2027, 4, 1),
        last=D(2027, 5, 31),
        holidays="keep",
    )
    assert found == [D(2027, 4, 13), D(2027, 4, 27), D(2027, 5, 11), D(2027, 5, 25)]


def test_every_other_week_counts_from_the_week_of_the_start_date():
    found = series.occurrence_dates(
        weekdays=[MON, THU],
        pattern="biweekly",
        start_date=D(2027, 4, 7),  # a Wednesday: its week's Monday is before the start
        end_date=D(2027, 5, 6),
        first=D(2027, 4, 1),
        last=D(2027, 6, 30),
        holidays="keep",
    )
    assert found == [D(2027, 4, 8), D(2027, 4, 19), D(2027, 4, 22), D(2027, 5, 3), D(2027, 5, 6)]


# --- generation -----------------------------------------------------------------------------


def test_occurrences_cross_the_fiscal_year_in_tokyo_time(session, make_series):
    s = make_series(weekdays=[TUE, WED, THU], start_date=D(2027, 3, 1))
    report = series.generate(session, weeks_ahead=1, today=D(2027, 3, 29))
    assert report.created == 3
    assert dates(session, s.id) == [D(2027, 3, 30), D(2027, 3, 31), D(2027, 4, 1)]
    first = session.scalars(
        select(HelpRequest).where(HelpRequest.series_id == s.id).order_by(HelpRequest.id)
    ).first()
    assert first is not None
    assert first.window_start.astimezone(TOKYO) == dt.datetime(2027, 3, 30, 7, 0, tzinfo=TOKYO)
    assert first.window_end.astimezone(TOKYO) == dt.datetime(2027, 3, 30, 8, 30, tzinfo=TOKYO)
    assert (first.status, first.category.code, first.resident_id) == (
        "open",
        "garbage",
        s.resident_id,
    )


def test_occurrences_cross_a_month_end(session, make_series):
    s = make_series(weekdays=[FRI, MON], start_date=D(2027, 4, 1))
    series.generate(session, weeks_ahead=1, today=D(2027, 6, 25), holidays="keep")
    assert dates(session, s.id) == [D(2027, 6, 25), D(2027, 6, 28), D(2027, 7, 2)]


def test_the_year_end_break_and_new_year_are_skipped_by_default(session, make_series):
    s = make_series(weekdays=[TUE, FRI])
    series.generate(session, weeks_ahead=3, today=D(2026, 12, 21))
    assert dates(session, s.id) == [D(2026, 12, 22), D(2026, 12, 25), D(2027, 1, 5), D(2027, 1, 8)]


def test_a_ward_that_keeps_holidays_gets_the_year_end_too(session, make_series):
    s = make_series(weekdays=[TUE, FRI])
    series.generate(session, weeks_ahead=3, today=D(2026, 12, 21), holidays="keep")
    assert D(2026, 12, 29) in dates(session, s.id)
    assert D(2027, 1, 1) in dates(session, s.id)


def test_a_series_own_rule_overrides_the_wards(session, make_series):
    kept = make_series(weekdays=[MON], holidays="keep", start_date=D(2027, 1, 4))
    ward = make_series(weekdays=[MON], start_date=D(2027, 1, 4))
    series.generate(session, weeks_ahead=2, today=D(2027, 1, 4), holidays="skip")
    assert dates(session, kept.id) == [D(2027, 1, 4), D(2027, 1, 11), D(2027, 1, 18)]
    assert dates(session, ward.id) == [D(2027, 1, 4), D(2027, 1, 18)]  # 1/11 成人の日


def test_generating_again_creates_nothing_twice(session, make_series):
    s = make_series()
    assert series.generate(session, weeks_ahead=2, today=D(2027, 2, 1)).created == 4
    assert series.generate(session, weeks_ahead=2, today=D(2027, 2, 1)).created == 0
    assert series.generate(session, weeks_ahead=3, today=D(2027, 2, 1)).created == 2
    assert len(dates(session, s.id)) == 6


def test_nothing_before_the_start_after_the_end_or_already_over(session, make_series):
    s = make_series(start_date=D(2027, 2, 5), end_date=D(2027, 2, 12))
    now = dt.datetime(2027, 2, 5, 9, 0, tzinfo=TOKYO)  # Friday's window is over
    series.generate(session, weeks_ahead=4, today=D(2027, 2, 1), now=now)
    assert dates(session, s.id) == [D(2027, 2, 9), D(2027, 2, 12)]


def test_the_database_refuses_a_second_occurrence_on_one_date(session, make_series):
    from sqlalchemy.exc import IntegrityError

    s = make_series()
    series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))
    twin = session.scalars(select(HelpRequest).where(HelpRequest.series_id == s.id)).first()
    assert twin is not None
    copy = HelpRequest(
        resident_id=twin.resident_id,
        category_id=twin.category_id,
        window_start=twin.window_start,
        window_end=twin.window_end,
        series_id=s.id,
        occurrence_date=twin.occurrence_date,
    )
    nested = session.begin_nested()
    session.add(copy)
    with pytest.raises(IntegrityError):
        session.flush()
    nested.rollback()


def test_a_series_is_checked(session, make_series):
    with pytest.raises(InvalidInput) as refused:
        make_series(weekdays=[7], window_start_min=480, window_end_min=490)
    assert set(refused.value.errors or {}) == {"weekdays", "window_end"}
    with pytest.raises(InvalidInput):
        make_series(category="no-such-category")


# --- pause, end, edit: the future only -------------------------------------------------------


def _propose(session: Session, request: HelpRequest, volunteer_id: int, status: str) -> None:
    session.add(
        Assignment(
            help_request_id=request.id,
            volunteer_id=volunteer_id,
            status=status,
            distance_m=100.0,
            cost=100.0,
        )
    )
    request.status = status
    session.flush()


def test_pausing_withdraws_what_is_ahead_and_keeps_what_is_past(
    session, make_series, make_volunteer
):
    s = make_series(start_date=D(2027, 2, 1))
    series.generate(session, weeks_ahead=2, today=D(2027, 2, 1))  # 2/2 2/5 2/9 2/12
    by_date = {r.occurrence_date: r for r in s.occurrences}
    volunteer, _ = make_volunteer()
    _propose(session, by_date[D(2027, 2, 9)], volunteer.id, "proposed")
    _propose(session, by_date[D(2027, 2, 12)], volunteer.id, "accepted")
    now = dt.datetime(2027, 2, 6, 12, 0, tzinfo=TOKYO)

    series.pause_series(session, series_id=s.id, now=now)
    session.expire_all()
    assert s.status == "paused"
    assert dates(session, s.id) == [D(2027, 2, 2), D(2027, 2, 5), D(2027, 2, 9), D(2027, 2, 12)]
    assert dates(session, s.id, "open") == [D(2027, 2, 2), D(2027, 2, 5)]  # the past stays
    assert dates(session, s.id, "cancelled") == [D(2027, 2, 9)]
    assert dates(session, s.id, "accepted") == [D(2027, 2, 12)]  # a yes is the SC's to undo
    proposal = session.scalars(select(Assignment).where(Assignment.volunteer_id == volunteer.id))
    assert sorted(a.status for a in proposal) == ["accepted", "cancelled"]
    assert series.generate(session, weeks_ahead=4, today=D(2027, 2, 7)).created == 0

    with pytest.raises(Conflict):
        series.pause_series(session, series_id=s.id, now=now)
    series.resume_series(session, series_id=s.id)
    assert series.generate(session, weeks_ahead=2, today=D(2027, 2, 7)).created == 2
    assert dates(session, s.id, "open") == [
        D(2027, 2, 2),
        D(2027, 2, 5),
        D(2027, 2, 16),
        D(2027, 2, 19),
    ]


def test_a_withdrawn_date_never_proposed_comes_back_on_resume(session, make_series):
    s = make_series(start_date=D(2027, 2, 1))
    series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))
    series.pause_series(session, series_id=s.id, now=dt.datetime(2027, 2, 1, tzinfo=TOKYO))
    assert dates(session, s.id) == []
    series.resume_series(session, series_id=s.id)
    series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))
    assert dates(session, s.id) == [D(2027, 2, 2), D(2027, 2, 5)]


def test_an_ended_series_makes_no_more(session, make_series):
    s = make_series(start_date=D(2027, 2, 1))
    series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))
    series.end_series(session, series_id=s.id, now=dt.datetime(2027, 2, 3, tzinfo=TOKYO))
    assert dates(session, s.id) == [D(2027, 2, 2)]
    assert series.generate(session, weeks_ahead=4, today=D(2027, 2, 3)).created == 0
    with pytest.raises(Conflict):
        series.end_series(session, series_id=s.id)
    with pytest.raises(Conflict):
        series.edit_series(session, series_id=s.id, changes={"notes": "x"})


def test_an_edit_changes_the_future_only(session, make_series):
    s = make_series(start_date=D(2027, 2, 1))
    series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))  # 2/2, 2/5
    now = dt.datetime(2027, 2, 3, 12, 0, tzinfo=TOKYO)
    series.edit_series(
        session,
        series_id=s.id,
        changes={"weekdays": [WED], "window_start_min": 6 * 60, "window_end_min": 7 * 60},
        now=now,
    )
    series.generate(session, weeks_ahead=1, today=D(2027, 2, 4), now=now)
    session.expire_all()
    got = {r.occurrence_date: r.window_start.astimezone(TOKYO).time() for r in s.occurrences}
    assert got == {D(2027, 2, 2): dt.time(7, 0), D(2027, 2, 10): dt.time(6, 0)}


def test_an_edit_is_checked_against_the_category(session, make_series):
    s = make_series()
    with pytest.raises(InvalidInput):
        series.edit_series(session, series_id=s.id, changes={"window_end_min": 7 * 60 + 1})
    with pytest.raises(InvalidInput):
        series.edit_series(session, series_id=s.id, changes={"start_date": D(2030, 1, 1)})


def test_occurrences_are_ordinary_requests(session, make_series):
    make_series()
    series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))
    assert (
        session.scalar(
            select(func.count())
            .select_from(HelpRequest)
            .where(HelpRequest.series_id.is_not(None), HelpRequest.status == "open")
        )
        == 2
    )


# --- standing assignment --------------------------------------------------------------------


def _statuses(session: Session, series_id: int) -> dict[dt.date, tuple[str, int | None]]:
    rows = session.execute(
        select(HelpRequest.occurrence_date, HelpRequest.status, Assignment.volunteer_id)
        .outerjoin(
            Assignment,
            (Assignment.help_request_id == HelpRequest.id)
            & Assignment.status.in_(("proposed", "accepted")),
        )
        .where(HelpRequest.series_id == series_id)
    ).all()
    return {day: (status, volunteer) for day, status, volunteer in rows}


def test_a_standing_volunteer_gets_each_occurrence_unless_busy_then(
    session, make_series, make_volunteer, make_help_request
):
    volunteer, _ = make_volunteer()
    s = make_series(start_date=D(2027, 2, 1))
    series.set_standing(session, series_id=s.id, volunteer_id=volunteer.id)
    # already holding a task on Friday 2/5 at 8:00
    other = make_help_request(
        window_start=dt.datetime(2027, 2, 5, 8, 0, tzinfo=TOKYO),
        window_end=dt.datetime(2027, 2, 5, 9, 0, tzinfo=TOKYO),
        now=dt.datetime(2027, 1, 1, tzinfo=TOKYO),
    )
    _propose(session, other, volunteer.id, "accepted")

    report = series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))
    assert (report.created, report.standing) == (2, 1)
    assert _statuses(session, s.id) == {
        D(2027, 2, 2): ("accepted", volunteer.id),
        D(2027, 2, 5): ("open", None),
    }


def test_a_standing_volunteer_does_not_get_an_occurrence_on_a_day_they_blocked(
    session, make_series, make_volunteer
):
    volunteer, _ = make_volunteer()
    s = make_series(start_date=D(2027, 2, 1))
    series.set_standing(session, series_id=s.id, volunteer_id=volunteer.id)
    blocks.add_block(
        session, volunteer_id=volunteer.id, first_day=D(2027, 2, 5), last_day=D(2027, 2, 5)
    )
    report = series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))
    assert (report.created, report.standing) == (2, 1)
    assert _statuses(session, s.id) == {
        D(2027, 2, 2): ("accepted", volunteer.id),
        D(2027, 2, 5): ("open", None),
    }


def test_when_the_standing_volunteer_stops_their_future_occurrences_reopen(
    session, make_series, make_volunteer
):
    volunteer, _ = make_volunteer()
    s = make_series(start_date=D(2027, 2, 1))
    series.set_standing(session, series_id=s.id, volunteer_id=volunteer.id)
    series.generate(session, weeks_ahead=1, today=D(2027, 2, 1))  # 2/2, 2/5
    now = dt.datetime(2027, 2, 3, 12, 0, tzinfo=TOKYO)
    series.set_standing(session, series_id=s.id, volunteer_id=None, now=now)
    assert _statuses(session, s.id) == {
        D(2027, 2, 2): ("accepted", volunteer.id),  # the past stays theirs
        D(2027, 2, 5): ("open", None),
    }
    assert s.standing_volunteer_id is None
    # new occurrences are left to matching
    assert series.generate(session, weeks_ahead=2, today=D(2027, 2, 4)).standing == 0


def test_an_inactive_volunteer_cannot_take_a_series(session, make_series, make_volunteer):
    volunteer, _ = make_volunteer()
    volunteer.status = "inactive"
    s = make_series()
    with pytest.raises(InvalidInput):
        series.set_standing(session, series_id=s.id, volunteer_id=volunteer.id)
