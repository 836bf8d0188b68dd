"""An SC on a phone opens おためしのフォロー, sees who did their first task, and registers them."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from matching import dispatch
from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in
from tests.web.test_volunteer_page import at, make_helper, propose_task


def seed(live: LiveServer) -> str:
    """A trial volunteer (a new name: the database is shared) who finished a ゴミ出し."""
    name = f"鈴木 はじめ{uuid.uuid4().hex[:4]}"
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        volunteer, _ = make_helper(
            session,
            name=name,
            status="trial",
            skills=["garbage"],
            contact="090-1111-2222",
            lat=35.7361,
            lon=139.7463,
            zone=f"e2e-followups-{uuid.uuid4().hex[:6]}",
        )
        task = propose_task(session, volunteer_id=volunteer.id, start=at(-1, 7), now=at(-2, 12))
        dispatch.accept(session, assignment_id=task.id)
        dispatch.complete(session, assignment_id=task.id)
    return name


def test_an_sc_registers_a_trial_volunteer_after_their_first_task_at_360_px(
    phone: Page, live: LiveServer
):
    name = seed(live)
    sc = live.make_staff()
    phone.goto(live.url + "/followups")
    sign_in(phone, sc.name, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text("おためしのフォロー")
    card = phone.get_by_role("listitem").filter(has_text=name)
    expect(card).to_contain_text("したこと：ゴミ出し")
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "followups-list-360")

    card.get_by_role("button", name="登録ボランティアにする").click()
    expect(phone.get_by_role("status")).to_contain_text(
        f"{name} さんを登録ボランティアにしました。"
    )
    expect(phone.get_by_role("listitem").filter(has_text=name)).to_have_count(0)
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "followups-registered-360")
