"""くり返しの依頼 on the screens: the SC creates a series for a resident (its occurrences made at
once), pauses, resumes, edits and ends it, gives it to a standing volunteer and takes it back;
the volunteer's own page lists what they stand for, by 地区 only."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.models import User
from access.sign_in_links import issue_link
from matching import series as series_service
from matching.models import Assignment, HelpRequest, RequestSeries, Resident, Volunteer
from tests.conftest import ALL_WEEK
from tests.web.conftest import Visitor
from web import series_text

TOKYO = ZoneInfo("Asia/Tokyo")


def tomorrow() -> dt.date:
    return dt.datetime.now(TOKYO).date() + dt.timedelta(days=1)


def rule(**changes: Any) -> dict[str, Any]:
    """The new-series form as an SC fills it: 燃やすごみ every day 7:00–8:30 from tomorrow,
    holidays kept (so the count of occurrences does not depend on the calendar)."""
    form: dict[str, Any] = {
        "category": "garbage",
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "pattern": "weekly",
        "start": "07:00",
        "end": "08:30",
        "start_date": tomorrow().isoformat(),
        "end_date": "",
        "holidays": "keep",
        "notes": "燃やすごみ。集積所は角の電柱",
    }
    form.update(changes)
    return form


@pytest.fixture
def sc(make_staff) -> User:
    return make_staff(name="sc-series")


@pytest.fixture
def signed_in(visitor: Visitor, sc: User) -> Visitor:
    assert visitor.sign_in(sc.name).status_code == 303
    return visitor


@pytest.fixture
def resident(make_resident) -> Resident:
    return make_resident(name="高橋 和子", address="東京都世田谷区太子堂4-1-1")


@pytest.fixture
def neighbour(make_volunteer) -> Volunteer:
    volunteer, _ = make_volunteer(name="中村 進", availability=ALL_WEEK)
    return volunteer


def occurrences(session: Session, series_id: int) -> list[HelpRequest]:
    session.expire_all()
    return list(
        session.scalars(
            select(HelpRequest)
            .where(HelpRequest.series_id == series_id)
            .order_by(HelpRequest.occurrence_date)
        )
    )


def create(visitor: Visitor, resident: Resident, **changes: Any):
    return visitor.submit(f"/series/new?resident_id={resident.id}", rule(**changes))


def created_id(response) -> int:
    assert response.status_code == 303, response.text
    found = re.search(r"/series/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def test_a_series_is_said_as_an_sc_says_it():
    assert series_text.rule([4, 1], "weekly") == "毎週 火・金"
    assert series_text.rule([3], "biweekly") == "隔週 木"
    assert series_text.rule([2], "second_fourth") == "第2・第4 水"
    assert series_text.hours(420, 510) == "7:00–8:30"
    assert series_text.holidays(None, "skip") == "区の決まりどおり（いまは休み）"
    assert series_text.holidays("keep", "skip") == "祝日と年末年始も行う"


# --- creating -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"weekdays": []}, "曜日を1つ以上選んでください。"),
        ({"start": "08:30", "end": "07:00"}, "終わりは始まりより後の時刻にしてください。"),
        ({"end": "07:10"}, "分以上の時間帯が必要です"),
        ({"end_date": (tomorrow() - dt.timedelta(days=2)).isoformat()}, "始める日と同じか後"),
        ({"start_date": "12/1"}, "日付は 2026-12-01 の形で入力してください。"),
        ({"category": "fishing"}, "一覧の中から選んでください。"),
    ],
)
def test_a_wrong_field_is_named_in_japanese_and_nothing_is_written(
    signed_in: Visitor, session: Session, resident: Resident, changes, field_error
):
    before = session.scalar(select(func.count()).select_from(HelpRequest))
    refused = create(signed_in, resident, **changes)
    assert refused.status_code == 422
    assert field_error in refused.text
    assert "まだ登録していません" in refused.text
    assert session.scalar(select(func.count()).select_from(RequestSeries)) == 0
    assert session.scalar(select(func.count()).select_from(HelpRequest)) == before


def test_creating_a_series_makes_its_coming_occurrences_at_once(
    signed_in: Visitor, session: Session, resident: Resident
):
    series_id = created_id(create(signed_in, resident, weekdays=["1", "4"]))
    made = occurrences(session, series_id)
    # Tuesdays and Fridays of the four weeks ahead (from today; the first is tomorrow or later)
    today = dt.datetime.now(TOKYO).date()
    expected = [
        today + dt.timedelta(days=n)
        for n in range(1, 29)
        if (today + dt.timedelta(days=n)).weekday() in (1, 4)
    ]
    assert [r.occurrence_date for r in made] == expected
    assert {r.status for r in made} == {"open"}
    assert made[0].window_start.astimezone(TOKYO).time() == dt.time(7, 0)
    series = session.get(RequestSeries, series_id)
    assert series is not None and series.notes == "燃やすごみ。集積所は角の電柱"

    page = signed_in.get(f"/series/{series_id}")
    assert page.status_code == 200
    assert "毎週 火・金 7:00–8:30" in page.text
    first = made[0].occurrence_date
    assert f"{first.month}月{first.day}日" in page.text
    assert "いつもの担い手" in page.text and "なし" in page.text
    assert "祝日と年末年始も行う" in page.text

    listed = signed_in.get("/series/").text
    assert "高橋 和子 さん：ゴミ出し" in listed and "「毎週 火・金 7:00–8:30」" in listed
    assert "ゴミ出し　毎週 火・金 7:00–8:30" in signed_in.get(f"/residents/{resident.id}").text


def test_the_list_is_filtered_by_zone(
    signed_in: Visitor, session: Session, resident: Resident, make_resident
):
    far = make_resident(name="伊藤 清", zone="王子本町", lat=35.7530, lon=139.7370)
    created_id(create(signed_in, resident))
    created_id(create(signed_in, far, pattern="second_fourth", weekdays=["2"]))
    everything = signed_in.get("/series/").text
    assert "高橋 和子" in everything and "伊藤 清" in everything
    here = signed_in.get("/series/?zone=王子本町").text
    assert "伊藤 清" in here and "高橋 和子" not in here
    assert "第2・第4 水" in here


# --- pause, resume, edit, end ---------------------------------------------------------------


def test_pause_withdraws_the_coming_occurrences_and_resume_makes_them_again(
    signed_in: Visitor, session: Session, resident: Resident
):
    series_id = created_id(create(signed_in, resident))
    assert len(occurrences(session, series_id)) >= 27
    show = f"/series/{series_id}"

    paused = signed_in.submit(f"{show}/pause", {}, form_at=show)
    assert paused.status_code == 303
    assert session.get(RequestSeries, series_id).status == "paused"
    assert occurrences(session, series_id) == []
    page = signed_in.get(show).text
    assert "一時停止" in page and "再開する" in page

    resumed = signed_in.submit(f"{show}/resume", {}, form_at=show)
    assert resumed.status_code == 303
    assert session.get(RequestSeries, series_id).status == "active"
    assert len(occurrences(session, series_id)) >= 27

    again = signed_in.submit(f"{show}/resume", {}, form_at=show)  # a second press
    assert again.status_code == 303
    assert "一時停止中ではありません" in signed_in.get(show).text


def test_editing_changes_only_the_occurrences_not_yet_begun(
    signed_in: Visitor, session: Session, resident: Resident
):
    series_id = created_id(create(signed_in, resident))
    edit = f"/series/{series_id}/edit"
    assert 'value="07:00"' in signed_in.get(edit).text
    wrong = signed_in.submit(edit, rule(weekdays=[]))
    assert wrong.status_code == 422 and "曜日を1つ以上選んでください。" in wrong.text
    assert session.get(RequestSeries, series_id).weekdays == list(range(7))

    changed = signed_in.submit(edit, rule(weekdays=["3"], start="06:30", end="08:00"))
    assert changed.status_code == 303
    made = occurrences(session, series_id)
    assert made and {r.occurrence_date.weekday() for r in made} == {3}
    assert made[0].window_start.astimezone(TOKYO).time() == dt.time(6, 30)
    assert "毎週 木 6:30–8:00" in signed_in.get(f"/series/{series_id}").text


def test_ending_asks_first_then_withdraws_the_coming_occurrences(
    signed_in: Visitor, session: Session, resident: Resident
):
    series_id = created_id(create(signed_in, resident))
    end = f"/series/{series_id}/end"
    confirm = signed_in.get(end)
    assert confirm.status_code == 200 and "終了しますか" in confirm.text
    assert session.get(RequestSeries, series_id).status == "active"  # asking changed nothing

    ended = signed_in.submit(end, {})
    assert ended.status_code == 303
    assert session.get(RequestSeries, series_id).status == "ended"
    assert occurrences(session, series_id) == []
    page = signed_in.get(f"/series/{series_id}").text
    assert "終了" in page and "/pause" not in page and "/edit" not in page


# --- the standing volunteer -----------------------------------------------------------------


def test_setting_then_clearing_the_standing_volunteer(
    signed_in: Visitor, session: Session, resident: Resident, neighbour: Volunteer
):
    series_id = created_id(create(signed_in, resident, weekdays=["1", "4"]))
    show = f"/series/{series_id}"
    page = signed_in.get(show).text
    assert f'<option value="{neighbour.id}"' in page and "中村 進 さん" in page

    taken = signed_in.submit(f"{show}/standing", {"volunteer_id": str(neighbour.id)}, form_at=show)
    assert taken.status_code == 303
    made = occurrences(session, series_id)
    # the occurrences already made are theirs, accepted, as new ones will be
    assert made and {r.status for r in made} == {"accepted"}
    held = session.scalars(
        select(Assignment.volunteer_id).where(
            Assignment.help_request_id.in_([r.id for r in made]), Assignment.status == "accepted"
        )
    ).all()
    assert set(held) == {neighbour.id} and len(held) == len(made)
    page = signed_in.get(show).text
    assert "中村 進 さんをいつもの担い手にしました" in page
    assert "担い手：" in page and "（引き受け）" in page

    cleared = signed_in.submit(f"{show}/standing", {"volunteer_id": ""}, form_at=show)
    assert cleared.status_code == 303
    assert session.get(RequestSeries, series_id).standing_volunteer_id is None
    assert {r.status for r in occurrences(session, series_id)} == {"open"}
    page = signed_in.get(show).text
    assert "中村 進 さんが引き受けていたこれからの回は受付中に戻りました" in page
    assert "要対応" in page


def test_an_inactive_volunteer_cannot_be_made_standing(
    signed_in: Visitor, session: Session, resident: Resident, make_volunteer
):
    gone, _ = make_volunteer(name="木村 実", status="inactive")
    series_id = created_id(create(signed_in, resident))
    show = f"/series/{series_id}"
    refused = signed_in.submit(f"{show}/standing", {"volunteer_id": str(gone.id)}, form_at=show)
    assert refused.status_code == 303
    assert session.get(RequestSeries, series_id).standing_volunteer_id is None
    assert "いつもの担い手にできません" in signed_in.get(show).text


# --- who may look ---------------------------------------------------------------------------


def test_only_staff_reach_the_series_pages(
    visitor: Visitor, session: Session, sc: User, resident: Resident, neighbour: Volunteer
):
    series = series_service.create_series(
        session,
        resident_id=resident.id,
        category="garbage",
        weekdays=[1, 4],
        window_start_min=420,
        window_end_min=510,
        start_date=tomorrow(),
    )
    paths = ["/series/", f"/series/new?resident_id={resident.id}", f"/series/{series.id}"]
    for path in paths:
        answer = visitor.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
    anonymous = visitor.client.post(f"/series/{series.id}/pause", data={})
    assert anonymous.status_code in (302, 400)
    # a volunteer signed in on their own page is not staff either
    token = issue_link(
        session, volunteer_id=neighbour.id, by_user_id=sc.id, now=dt.datetime.now(dt.UTC)
    ).token
    assert visitor.submit(f"/me/link/{token}", {}).status_code == 303
    for path in paths:
        answer = visitor.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
    assert session.get(RequestSeries, series.id).status == "active"


# --- the volunteer's side -------------------------------------------------------------------


def test_the_volunteer_page_lists_the_series_they_stand_for_without_the_address(
    visitor: Visitor, session: Session, sc: User, resident: Resident, neighbour: Volunteer
):
    series = series_service.create_series(
        session,
        resident_id=resident.id,
        category="garbage",
        weekdays=[1, 4],
        window_start_min=420,
        window_end_min=510,
        start_date=tomorrow() + dt.timedelta(days=60),  # no occurrence yet: no task to show
    )
    series_service.set_standing(session, series_id=series.id, volunteer_id=neighbour.id)
    token = issue_link(
        session, volunteer_id=neighbour.id, by_user_id=sc.id, now=dt.datetime.now(dt.UTC)
    ).token
    assert visitor.submit(f"/me/link/{token}", {}).status_code == 303
    page = visitor.get("/me/").text
    section = page[page.index("いつものお手伝い") :]
    assert "毎週 火・金 7:00–8:30" in section
    assert "ゴミ出し・太子堂 付近" in section
    assert "高橋 和子" not in page and "太子堂4-1-1" not in page

    assert visitor.sign_in(sc.name).status_code == 303
    staff_view = visitor.get(f"/volunteers/{neighbour.id}").text
    standing = staff_view[staff_view.index("いつものお手伝い") :]
    assert "ゴミ出し（太子堂）" in standing and "毎週 火・金 7:00–8:30" in standing
