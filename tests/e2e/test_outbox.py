"""An SC opens 送れなかったお知らせ, sees one failed and one stuck message, and sends both again
(the stuck one after a confirmation), on a desktop and on a phone 360 px wide."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits, sign_in
from tests.notify.conftest import make_notification
from tests.web.test_volunteer_page import make_helper


def seed(live: LiveServer) -> tuple[str, str, str]:
    """A volunteer with a failed and a stuck message (new names and subjects: the database is
    shared by the worker's tests; the volunteer is free on no day, so no match run takes them)."""
    tag = uuid.uuid4().hex[:4]
    name = f"田中 花子{tag}"
    failed_subject = f"【ささえあい】明日のお手伝い（ゴミ出し）{tag}"
    stuck_subject = f"【ささえあい】お手伝いのお願い（買い物）{tag}"
    with live.app.extensions["sasaeai.sessionmaker"]() as session, session.begin():
        volunteer, _ = make_helper(
            session, name=name, contact=f"hanako{tag}@example.jp", availability=[]
        )
        make_notification(
            session,
            "failed",
            volunteer_id=volunteer.id,
            recipient=f"hanako{tag}@example.jp",
            subject=failed_subject,
            attempts=6,
            last_error=f"SMTPRecipientsRefused: {{'hanako{tag}@example.jp': (550, 'No such user')}}",
        )
        make_notification(
            session,
            "sending",
            kind="task_proposed",
            volunteer_id=volunteer.id,
            recipient=f"hanako{tag}@example.jp",
            subject=stuck_subject,
        )
    return name, failed_subject, stuck_subject


def test_an_sc_sees_the_troubled_messages_on_a_desktop(page: Page, live: LiveServer):
    name, failed_subject, stuck_subject = seed(live)
    sc = live.make_staff()
    page.goto(live.url + "/")
    sign_in(page, sc.name, PASSWORD)
    page.get_by_role("link", name="送れなかったお知らせ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("送れなかったお知らせ")
    summary = page.get_by_role("list", name="まとめ")
    expect(summary).to_contain_text("送れなかったお知らせ")
    expect(summary).to_contain_text("送信中のまま")
    failed = page.get_by_role("listitem").filter(has_text=failed_subject)
    expect(failed).to_contain_text("前日のお知らせ")
    expect(failed).to_contain_text("6回")
    expect(failed).to_contain_text("No such user")
    expect(failed.get_by_role("link", name=f"{name} さん")).to_be_visible()
    stuck = page.get_by_role("listitem").filter(has_text=stuck_subject)
    expect(stuck).to_contain_text("送信中のまま止まっています")
    expect(stuck).to_contain_text("お手伝いの提案")
    assert_accessible(page)
    screenshot(page, "outbox-list-desktop")


def test_an_sc_sends_a_failed_and_a_stuck_message_again_at_360_px(phone: Page, live: LiveServer):
    _, failed_subject, stuck_subject = seed(live)
    sc = live.make_staff()
    phone.goto(live.url + "/outbox")
    sign_in(phone, sc.name, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text("送れなかったお知らせ")
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "outbox-list-360")

    # a failed one goes again with one press
    failed = phone.get_by_role("listitem").filter(has_text=failed_subject)
    failed.get_by_role("button", name="もう一度送る").click()
    expect(phone.get_by_role("status")).to_contain_text("もう一度送ります。")
    expect(phone.get_by_role("listitem").filter(has_text=failed_subject)).to_have_count(0)

    # a stuck one may have gone: the SC is asked first
    stuck = phone.get_by_role("listitem").filter(has_text=stuck_subject)
    stuck.get_by_role("link", name="もう一度送る").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("もう一度送る")
    expect(phone.get_by_text("2通届くことがあります")).to_be_visible()
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "outbox-confirm-retry-360")
    phone.get_by_role("button", name="もう一度送る").click()
    expect(phone.get_by_role("status")).to_contain_text("もう一度送ります。")
    expect(phone.get_by_role("listitem").filter(has_text=stuck_subject)).to_have_count(0)
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "outbox-after-360")
