"""Capacity in the SC's people screens: the phone registration asks how many tasks a volunteer
takes on one day (1 unless said), and the volunteer's page shows it with a small form to change
it; anything but 1 to 5 is refused in words and changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.models import Assignment, Volunteer
from tests.web.conftest import Visitor
from tests.web.test_people import error_of, registration
from tests.web.test_volunteer_page import at
from tests.web.test_volunteer_round import day_heading, planned_task, text_of, tokyo_day

BAD_VALUES = ["0", "6", "abc", "", "2.5", None]
BAD_IDS = ["zero", "six", "abc", "empty", "fraction", "missing"]


@pytest.fixture
def sc(visitor: Visitor, make_staff) -> Visitor:
    make_staff(name="sc-taishido")
    assert visitor.sign_in("sc-taishido").status_code == 303
    return visitor


def volunteers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Volunteer)) or 0


def newest(session: Session) -> Volunteer:
    found = session.scalars(select(Volunteer).order_by(Volunteer.id.desc())).first()
    assert found is not None
    return found


# --- registration by phone --------------------------------------------------------------------


def test_the_registration_form_offers_one_to_five_with_one_chosen(sc: Visitor):
    page = sc.get("/volunteers/new").text
    assert "1日に引き受けられる数" in page
    offered = re.findall(r'<option[^>]*value="(\d)"[^>]*>\d件まで</option>', page)
    assert offered == ["1", "2", "3", "4", "5"]
    assert '<option selected value="1">1件まで</option>' in page


def test_an_sc_registers_a_volunteer_who_takes_three_a_day(sc: Visitor, session: Session):
    answer = sc.submit("/volunteers/new", registration(max_tasks_per_day="3"))
    assert answer.status_code == 303
    volunteer = newest(session)
    assert volunteer.max_tasks_per_day == 3
    assert "1日3件まで" in sc.get(answer.headers["Location"]).text


def test_a_registration_without_the_field_takes_one(sc: Visitor, session: Session):
    assert sc.submit("/volunteers/new", registration()).status_code == 303
    assert newest(session).max_tasks_per_day == 1


@pytest.mark.parametrize("value", ["0", "6", "abc", "2.5"])
def test_a_registration_with_a_bad_capacity_is_refused_next_to_it(
    sc: Visitor, session: Session, value: str
):
    before = volunteers(session)
    refused = sc.submit("/volunteers/new", registration(max_tasks_per_day=value))
    assert refused.status_code == 422
    assert error_of(refused.text, "max_tasks_per_day") == "一覧の中から選んでください。"
    assert volunteers(session) == before


# --- the volunteer's page ---------------------------------------------------------------------


def test_the_volunteers_page_shows_the_capacity_and_the_sc_changes_it(
    sc: Visitor, session: Session, make_volunteer
):
    volunteer, _ = make_volunteer(name="近所 よし子")
    page = sc.get(f"/volunteers/{volunteer.id}").text
    assert "1日に引き受けられる数" in page and "1日1件まで" in page
    assert '<option selected value="1">1件まで</option>' in page

    saved = sc.submit(
        f"/volunteers/{volunteer.id}/capacity",
        {"max_tasks_per_day": "3"},
        form_at=f"/volunteers/{volunteer.id}",
    )
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"/volunteers/{volunteer.id}#capacity"
    session.refresh(volunteer)
    assert volunteer.max_tasks_per_day == 3
    after = sc.get(f"/volunteers/{volunteer.id}").text
    assert "近所 よし子 さんの1日に引き受けられる数を「3件まで」にしました。" in after
    assert '<option selected value="3">3件まで</option>' in after


@pytest.mark.parametrize("value", BAD_VALUES, ids=BAD_IDS)
def test_a_bad_capacity_on_the_volunteers_page_changes_nothing(
    sc: Visitor, session: Session, make_volunteer, value: str | None
):
    volunteer, _ = make_volunteer(max_tasks_per_day=2)
    sent = {} if value is None else {"max_tasks_per_day": value}
    refused = sc.submit(
        f"/volunteers/{volunteer.id}/capacity", sent, form_at=f"/volunteers/{volunteer.id}"
    )
    assert refused.status_code == 422
    assert "数は変えていません" in refused.text
    assert error_of(refused.text, "max_tasks_per_day") == "1〜5の中から選んでください。"
    session.refresh(volunteer)
    assert volunteer.max_tasks_per_day == 2


def test_lowering_it_keeps_the_tasks_held_and_names_the_day(
    sc: Visitor, session: Session, make_volunteer
):
    volunteer, _ = make_volunteer(max_tasks_per_day=3)
    window = (at(2, 7), at(2, 8, 30))
    for n, m in ((1, 5), (2, 25)):
        planned_task(session, volunteer, window=window, planned_start=at(2, 7, m), round_order=n)
    saved = sc.submit(
        f"/volunteers/{volunteer.id}/capacity",
        {"max_tasks_per_day": "1"},
        form_at=f"/volunteers/{volunteer.id}",
    )
    assert saved.status_code == 303
    said = text_of(sc.get(f"/volunteers/{volunteer.id}").text)
    assert f"{day_heading(tokyo_day(2))}（2件）は、もう1件より多く届いています。" in said
    statuses = session.scalars(
        select(Assignment.status).where(Assignment.volunteer_id == volunteer.id)
    ).all()
    assert statuses == ["proposed", "proposed"]


def test_only_staff_change_a_volunteers_capacity(
    visitor: Visitor, session: Session, make_volunteer
):
    volunteer, _ = make_volunteer()
    answer = visitor.submit(
        f"/volunteers/{volunteer.id}/capacity", {"max_tasks_per_day": "5"}, form_at="/login"
    )
    assert answer.status_code == 302
    session.refresh(volunteer)
    assert volunteer.max_tasks_per_day == 1


def test_a_capacity_for_nobody_is_not_found(sc: Visitor):
    answer = sc.submit("/volunteers/999999/capacity", {"max_tasks_per_day": "2"}, form_at="/")
    assert answer.status_code == 404


def test_the_volunteers_tasks_say_their_planned_time_and_place_in_the_round(
    sc: Visitor, session: Session, make_volunteer
):
    volunteer, _ = make_volunteer(max_tasks_per_day=2)
    window = (at(2, 7), at(2, 8, 30))
    planned_task(session, volunteer, window=window, planned_start=at(2, 7, 52), round_order=2)
    planned_task(session, volunteer, window=window, planned_start=None, round_order=None)
    said = text_of(sc.get(f"/volunteers/{volunteer.id}").text)
    assert "（予定 7:52・まわる順 ②）" in said
    assert said.count("予定 ") == 1
