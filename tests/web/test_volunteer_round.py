"""The volunteer's round on /me: the tasks of one Tokyo day that runs planned as a round are
listed as 「この日のまわる順」, walked in planned order (planned start, then round order), each
with its planned time in Tokyo and ①②③; the address only once accepted. The volunteer sets how
many tasks they take on one day (1 to 5); anything else changes nothing and says why."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from access.models import User
from matching import dispatch
from matching.models import Assignment, Volunteer
from tests.web.conftest import Visitor
from tests.web.test_volunteer_page import (
    TOKYO,
    at,
    link_for,
    make_helper,
    open_link,
    request_near,
)

UTC = dt.UTC


def tokyo_day(offset: int) -> dt.date:
    return dt.datetime.now(TOKYO).date() + dt.timedelta(days=offset)


def planned_task(
    session: Session,
    volunteer: Volunteer,
    *,
    window: tuple[dt.datetime, dt.datetime],
    planned_start: dt.datetime | None,
    round_order: int | None,
    category: str = "garbage",
    accepted: bool = False,
    resident: dict[str, Any] | None = None,
) -> Assignment:
    """A task proposed to the volunteer as a run planned it: a place in the round and a start
    (None for both: an SC's override, or an older row)."""
    request = request_near(
        session,
        volunteer,
        category=category,
        window=window,
        now=dt.datetime.now(UTC),
        resident=resident,
    )
    request.status = "proposed"
    assignment = Assignment(
        help_request_id=request.id,
        volunteer_id=volunteer.id,
        status="proposed",
        distance_m=111.0,
        cost=111.0,
        reasons={"distance": 111.0},
        round_order=round_order,
        planned_start=planned_start,
    )
    session.add(assignment)
    session.flush()
    if accepted:
        dispatch.accept(session, assignment_id=assignment.id, volunteer_id=volunteer.id)
    return assignment


def utc(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), UTC)


def day_heading(day: dt.date) -> str:
    return f"{day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}）"


def rounds_of(html: str) -> list[str]:
    """Each round's part of the page (its <li class="me-round"> … </ol>)."""
    return re.findall(r'<li class="me-round".*?</ol>', html, re.S)


def task_ids(part: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="task-(\d+)"', part)]


def text_of(part: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part))


@pytest.fixture
def sc(make_staff) -> User:
    return make_staff(name="sc-oji")


@pytest.fixture
def helper(session: Session) -> Volunteer:
    return make_helper(session, max_tasks_per_day=3)[0]


@pytest.fixture
def signed_in(visitor: Visitor, session: Session, sc: User, helper: Volunteer) -> Visitor:
    open_link(visitor, link_for(session, helper, sc))
    return visitor


# --- the round ------------------------------------------------------------------------------


def test_a_round_is_walked_in_planned_order_on_its_tokyo_day_with_odd_minutes(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    # ゴミ出し 7:00-8:30 Tokyo on day 2 is 22:00-23:30 UTC on day 1: the round is day 2's
    day = tokyo_day(2)
    utc_day = day - dt.timedelta(days=1)
    window = (at(2, 7), at(2, 8, 30))
    second = planned_task(
        session, helper, window=window, planned_start=utc(utc_day, 22, 59), round_order=2
    )
    third = planned_task(
        session, helper, window=window, planned_start=utc(utc_day, 23, 13), round_order=3
    )
    first = planned_task(
        session, helper, window=window, planned_start=utc(utc_day, 22, 41), round_order=1
    )

    page = signed_in.get("/me/").text
    [part] = rounds_of(page)
    shown = text_of(part)
    heading = re.search(r'<h3 class="me-round__title"[^>]*>(.*?)</h3>', part, re.S)
    assert heading and text_of(heading.group(1)).strip() == f"{day_heading(day)} この日のまわる順"
    assert task_ids(part) == [first.id, second.id, third.id]
    assert re.search(r"① 予定 7:41 .*② 予定 7:59 .*③ 予定 8:13 ", shown)
    assert shown.count("時間帯 7:00〜8:30") == 3
    assert "22:59" not in page and "23:13" not in page
    # still proposed: where roughly, no address, answered one by one
    assert "王子本町1-2-3" not in page and "山田 花子" not in page
    assert part.count(">引き受ける</button>") == 3


def test_tasks_planned_at_the_same_minute_follow_their_round_order(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    window = (at(2, 7), at(2, 8, 30))
    same = at(2, 7, 5).astimezone(UTC)
    later = planned_task(session, helper, window=window, planned_start=same, round_order=2)
    sooner = planned_task(session, helper, window=window, planned_start=same, round_order=1)
    [part] = rounds_of(signed_in.get("/me/").text)
    assert task_ids(part) == [sooner.id, later.id]
    assert re.search(r"① 予定 7:05 .*② 予定 7:05 ", text_of(part))


def test_an_accepted_task_in_a_round_shows_its_address_a_proposed_one_does_not(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    window = (at(2, 7), at(2, 8, 30))
    accepted = planned_task(
        session,
        helper,
        window=window,
        planned_start=at(2, 7, 10),
        round_order=1,
        accepted=True,
        resident={"name": "田中 ハナ", "address": "東京都北区王子本町1-9-9"},
    )
    proposed = planned_task(
        session,
        helper,
        window=window,
        planned_start=at(2, 7, 27),
        round_order=2,
        resident={"name": "鈴木 トメ", "address": "東京都北区王子本町1-5-5"},
    )
    page = signed_in.get("/me/").text
    [part] = rounds_of(page)
    assert task_ids(part) == [accepted.id, proposed.id]
    mine = part[part.index(f'id="task-{accepted.id}"') : part.index(f'id="task-{proposed.id}"')]
    assert "王子本町1-9-9" in mine and "田中 ハナ" in mine and "引き受けました" in mine
    assert "王子本町1-5-5" not in page and "鈴木 トメ" not in page


def test_each_day_is_its_own_round_and_unplanned_tasks_show_as_before(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    morning = (at(2, 7), at(2, 8, 30))
    day2_b = planned_task(
        session, helper, window=morning, planned_start=at(2, 7, 31), round_order=2
    )
    day2_a = planned_task(session, helper, window=morning, planned_start=at(2, 7, 3), round_order=1)
    # an SC's override on day 2 (no planned start): a card of its own, as before
    override = planned_task(
        session,
        helper,
        window=(at(2, 14), at(2, 16)),
        planned_start=None,
        round_order=None,
        category="shopping",
    )
    day3 = [
        planned_task(
            session,
            helper,
            window=(at(3, 7), at(3, 8, 30)),
            planned_start=at(3, 7, m),
            round_order=n,
        )
        for n, m in ((1, 17), (2, 48))
    ]
    # a round of one on day 4: its own card, with its planned time
    alone = planned_task(
        session, helper, window=(at(4, 9), at(4, 11)), planned_start=at(4, 9, 7), round_order=1
    )

    page = signed_in.get("/me/").text
    first, second = rounds_of(page)
    assert day_heading(tokyo_day(2)) in text_of(first) and task_ids(first) == [day2_a.id, day2_b.id]
    assert day_heading(tokyo_day(3)) in text_of(second) and task_ids(second) == [t.id for t in day3]
    assert f'id="task-{override.id}"' not in first + second
    assert f'id="task-{alone.id}"' not in first + second
    # soonest first: day 2's round, day 2's afternoon task, day 3's round, day 4's task
    assert task_ids(page) == [day2_a.id, day2_b.id, override.id, *[t.id for t in day3], alone.id]
    card = page[page.index(f'id="task-{alone.id}"') :]
    assert "予定 9:07" in text_of(card[: card.index("</li>")])
    override_card = page[page.index(f'id="task-{override.id}"') :]
    assert "予定" not in text_of(override_card[: override_card.index("</li>")])
    assert page.count("この日のまわる順") == 2


# --- capacity -------------------------------------------------------------------------------


def test_the_page_shows_the_capacity_and_the_volunteer_changes_it(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    page = signed_in.get("/me/").text
    assert "1日に引き受けられる数" in page and "1日3件まで" in page
    assert "ゴミ出しなら近所の2〜3軒をまとめて回れます" in page
    assert re.search(r'<option selected value="3">3件まで</option>', page)

    saved = signed_in.submit("/me/capacity", {"max_tasks_per_day": "5"}, form_at="/me/")
    assert saved.status_code == 303
    assert saved.headers["Location"] == "/me/#me-capacity"
    session.refresh(helper)
    assert helper.max_tasks_per_day == 5
    after = signed_in.get("/me/").text
    assert "1日に引き受けられる数を「5件まで」にしました。" in after
    assert "1日5件まで" in after


@pytest.mark.parametrize(
    "sent",
    [{"max_tasks_per_day": "0"}, {"max_tasks_per_day": "6"}, {"max_tasks_per_day": "abc"}]
    + [{"max_tasks_per_day": ""}, {"max_tasks_per_day": "2.5"}, {"max_tasks_per_day": "-1"}, {}],
    ids=["zero", "six", "abc", "empty", "fraction", "negative", "missing"],
)
def test_a_bad_capacity_is_refused_in_words_and_changes_nothing(
    signed_in: Visitor, session: Session, helper: Volunteer, sent: dict[str, str]
):
    refused = signed_in.submit("/me/capacity", sent, form_at="/me/")
    assert refused.status_code == 422
    assert "数は変えていません" in refused.text
    assert re.search(r'id="max_tasks_per_day-error">.*1〜5の中から選んでください。', refused.text)
    session.refresh(helper)
    assert helper.max_tasks_per_day == 3


def test_lowering_below_the_tasks_held_that_day_keeps_them_and_says_so(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    window = (at(2, 7), at(2, 8, 30))
    held = [
        planned_task(session, helper, window=window, planned_start=at(2, 7, m), round_order=n)
        for n, m in ((1, 5), (2, 20), (3, 40))
    ]
    saved = signed_in.submit("/me/capacity", {"max_tasks_per_day": "1"}, form_at="/me/")
    assert saved.status_code == 303
    session.refresh(helper)
    assert helper.max_tasks_per_day == 1
    for assignment in held:
        session.refresh(assignment)
        assert assignment.status == "proposed"
    said = text_of(signed_in.get("/me/").text)
    assert f"{day_heading(tokyo_day(2))}（3件）は、もう1件より多く届いています。" in said
    assert "その日に新しいお願いは届きません" in said


def test_only_the_signed_in_volunteer_changes_a_capacity(
    visitor: Visitor, session: Session, helper: Volunteer
):
    answer = visitor.submit("/me/capacity", {"max_tasks_per_day": "5"}, form_at="/me/sign-in")
    assert answer.status_code == 302 and answer.headers["Location"] == "/me/sign-in"
    session.refresh(helper)
    assert helper.max_tasks_per_day == 3
