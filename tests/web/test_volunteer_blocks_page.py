"""The volunteer's own page for the days they cannot help (/me/blocks): the same service as
the API, so a blocked day is one no match run proposes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from matching import blocks
from matching.models import Volunteer
from tests.conftest import TOKYO
from tests.web.conftest import Visitor
from tests.web.test_volunteer_page import make_helper


def day(offset: int) -> dt.date:
    return dt.datetime.now(TOKYO).date() + dt.timedelta(days=offset)


@pytest.fixture
def me(visitor: Visitor, session: Session) -> Volunteer:
    volunteer, token = make_helper(session)
    assert visitor.submit("/me/sign-in", {"token": token}).status_code == 303
    return volunteer


def test_the_blocks_page_needs_a_signed_in_volunteer(visitor: Visitor):
    assert visitor.get("/me/blocks").status_code == 302


def test_a_volunteer_blocks_a_few_days_and_sees_them(visitor: Visitor, me: Volunteer, session):
    assert "行けない日を伝える" in visitor.get("/me/").text
    answer = visitor.submit(
        "/me/blocks",
        {"first_day": day(3).isoformat(), "last_day": day(5).isoformat(), "note": "旅行"},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/me/blocks"
    [block] = blocks.list_blocks(session, volunteer_id=me.id)
    assert (block.first_day, block.last_day, block.note) == (day(3), day(5), "旅行")
    page = visitor.get("/me/blocks").text
    assert f"{day(3).month}月{day(3).day}日" in page and "旅行" in page


def test_one_day_needs_only_the_first_day(visitor: Visitor, me: Volunteer, session):
    visitor.submit("/me/blocks", {"first_day": day(2).isoformat(), "last_day": "", "note": ""})
    [block] = blocks.list_blocks(session, volunteer_id=me.id)
    assert block.first_day == block.last_day == day(2) and block.note is None


def test_a_last_day_before_the_first_is_explained(visitor: Visitor, me: Volunteer, session):
    answer = visitor.submit(
        "/me/blocks", {"first_day": day(5).isoformat(), "last_day": day(4).isoformat()}
    )
    assert answer.status_code == 422
    assert "最初の日より後の日を選んでください" in answer.text
    missing = visitor.submit("/me/blocks", {"first_day": ""})
    assert missing.status_code == 422 and "日付を選んでください" in missing.text
    assert blocks.list_blocks(session, volunteer_id=me.id) == []


def test_a_volunteer_removes_their_block_and_no_one_elses(visitor: Visitor, me: Volunteer, session):
    mine = blocks.add_block(session, volunteer_id=me.id, first_day=day(3))
    other, _ = make_helper(session, name="鈴木 次郎")
    theirs = blocks.add_block(session, volunteer_id=other.id, first_day=day(3))
    gone = visitor.submit(f"/me/blocks/{mine.id}/remove", {}, form_at="/me/blocks")
    assert gone.status_code == 303
    assert blocks.list_blocks(session, volunteer_id=me.id) == []
    refused = visitor.submit(f"/me/blocks/{theirs.id}/remove", {}, form_at="/me/blocks")
    assert refused.status_code == 404
    assert blocks.list_blocks(session, volunteer_id=other.id) == [theirs]
