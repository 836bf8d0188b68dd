"""送れなかったお知らせ (/outbox): the SC sees failed, stuck and overdue messages and sends one
again, marks one as sent by hand, or gives one up; nobody else sees the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from access.models import User
from matching.models import Volunteer
from notify.models import Notification
from tests.notify.conftest import make_notification
from tests.web.conftest import Visitor, csrf_token
from tests.web.test_shop_counter import Clerk, make_shop  # noqa: F401 - a fixture
from tests.web.test_volunteer_page import link_for, make_helper, open_link


@pytest.fixture
def sc_user(make_staff) -> User:
    return make_staff(name="sc-outbox")


@pytest.fixture
def sc(visitor: Visitor, sc_user: User) -> Visitor:
    assert visitor.sign_in(sc_user.name).status_code == 303
    return visitor


@pytest.fixture
def hanako(session: Session) -> Volunteer:
    return make_helper(session, name="田中 花子", contact="hanako@example.jp")[0]


@pytest.fixture
def failed(session: Session, hanako: Volunteer) -> Notification:
    return make_notification(
        session,
        "failed",
        volunteer_id=hanako.id,
        attempts=6,
        last_error="SMTPRecipientsRefused: hanako@example.jp",
        created_at=dt.datetime(2026, 11, 30, 6, 5, tzinfo=dt.UTC),
    )


@pytest.fixture
def stuck(session: Session, hanako: Volunteer) -> Notification:
    return make_notification(session, "sending", kind="task_proposed", volunteer_id=hanako.id)


def post(visitor: Visitor, path: str, **kw: Any):
    page = visitor.get("/outbox")
    return visitor.client.post(path, data={"csrf_token": csrf_token(page.text)}, **kw)


def test_the_page_sums_up_and_shows_each_message(sc, session, failed, stuck, hanako):
    make_notification(session, "pending", kind="trial_thanks", subject="おためしのお礼")
    page = sc.get("/outbox")
    assert page.status_code == 200
    text = page.text
    assert "送れなかったお知らせ" in text
    assert "送信中のまま" in text
    assert "送信待ちが滞っています（1件）" in text
    assert "notify send" in text and "cron" in text
    assert text.count('class="outbox__item ') == 3
    # failed first, with its kind in Japanese, error and attempts, in Tokyo time
    first = text[text.index('class="outbox__item ') :]
    assert "送れませんでした" in first[:200]
    assert "前日のお知らせ" in first
    assert "【ささえあい】明日のお手伝い（ゴミ出し）" in first
    assert "6回" in first
    assert "SMTPRecipientsRefused: hanako@example.jp" in first
    assert "11月30日（月）15:05" in first
    assert f'href="/volunteers/{hanako.id}"' in first
    assert "田中 花子 さん" in first
    assert "お手伝いの提案" in text and "おためしのお礼" in text
    assert "送信中のまま止まっています" in text


def test_nothing_wrong_says_so(sc, session):
    make_notification(session, "sent", age=dt.timedelta(hours=3))
    make_notification(session, "pending", age=dt.timedelta(minutes=5))  # due a moment ago
    make_notification(session, "sending", age=dt.timedelta(minutes=5))  # being sent
    page = sc.get("/outbox")
    assert "問題のあるお知らせはありません。" in page.text
    assert 'class="outbox__item ' not in page.text


def test_a_failed_message_is_sent_again_with_one_press(sc, session, failed):
    done = post(sc, f"/outbox/{failed.id}/retry", follow_redirects=True)
    assert "もう一度送ります。" in done.text
    assert "問題のあるお知らせはありません。" in done.text
    session.refresh(failed)
    assert (failed.status, failed.attempts, failed.handled_as) == ("pending", 6, "retried")


def test_a_stuck_message_asks_before_sending_again(sc, session, stuck, sc_user):
    page = sc.get("/outbox")
    assert f'href="/outbox/{stuck.id}/retry"' in page.text  # a link to ask first, not a form
    ask = sc.get(f"/outbox/{stuck.id}/retry")
    assert ask.status_code == 200
    assert "2通届くことがあります" in ask.text
    session.refresh(stuck)
    assert stuck.status == "sending"  # asking changes nothing
    done = sc.client.post(
        f"/outbox/{stuck.id}/retry",
        data={"csrf_token": csrf_token(ask.text)},
        follow_redirects=True,
    )
    assert "もう一度送ります。" in done.text
    session.refresh(stuck)
    assert (stuck.status, stuck.handled_by_id) == ("pending", sc_user.id)


def test_marking_sent_by_hand_asks_first_then_takes_it_off_the_list(sc, session, stuck, sc_user):
    ask = sc.get(f"/outbox/{stuck.id}/sent")
    assert "電話で内容を伝えたとき" in ask.text
    done = sc.client.post(
        f"/outbox/{stuck.id}/sent",
        data={"csrf_token": csrf_token(ask.text)},
        follow_redirects=True,
    )
    assert "送ったことにしました。" in done.text
    assert "問題のあるお知らせはありません。" in done.text
    session.refresh(stuck)
    assert (stuck.status, stuck.handled_as, stuck.handled_by_id) == ("sent", "by_hand", sc_user.id)


def test_giving_up_keeps_it_failed_and_off_the_list(sc, session, failed):
    done = post(sc, f"/outbox/{failed.id}/give-up", follow_redirects=True)
    assert "送らないことにしました。" in done.text
    assert "問題のあるお知らせはありません。" in done.text
    session.refresh(failed)
    assert (failed.status, failed.handled_as) == ("failed", "given_up")


def test_pressing_twice_does_it_once_and_says_so(sc, session, failed):
    post(sc, f"/outbox/{failed.id}/retry")
    again = post(sc, f"/outbox/{failed.id}/retry", follow_redirects=True)
    assert again.status_code == 200
    assert "すでに対応済みか、いま送信中です" in again.text
    # and a confirmation page for a handled message goes back to the list
    late = sc.get(f"/outbox/{failed.id}/sent", follow_redirects=True)
    assert "すでに対応済みか、いま送信中です" in late.text


def test_a_sent_message_cannot_be_sent_again(sc, session):
    sent = make_notification(session, "sent")
    answer = post(sc, f"/outbox/{sent.id}/retry", follow_redirects=True)
    assert "すでに対応済みか、いま送信中です" in answer.text
    session.refresh(sent)
    assert (sent.status, sent.handled_as) == ("sent", None)


def test_an_unknown_message_is_not_found(sc):
    assert sc.get("/outbox/999999/sent").status_code == 404
    assert post(sc, "/outbox/999999/retry").status_code == 404


def test_the_forms_need_their_csrf_token(sc, session, failed):
    assert sc.client.post(f"/outbox/{failed.id}/retry", data={}).status_code == 400
    session.refresh(failed)
    assert failed.status == "failed"


def test_an_admin_may_use_the_page(visitor, make_staff, failed):
    make_staff(name="admin-outbox", role="admin")
    assert visitor.sign_in("admin-outbox").status_code == 303
    assert visitor.get("/outbox").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(visitor, session, failed):
    assert visitor.get("/outbox").headers["Location"].startswith("/login")
    token = csrf_token(visitor.get("/login").text)
    answer = visitor.client.post(f"/outbox/{failed.id}/retry", data={"csrf_token": token})
    assert answer.headers["Location"].startswith("/login")
    session.refresh(failed)
    assert failed.status == "failed"


def test_a_volunteer_is_refused(visitor, session, make_staff, hanako, failed):
    open_link(visitor, link_for(session, hanako, make_staff(name="sc-link")))
    assert visitor.get("/me/").status_code == 200  # signed in as the volunteer
    assert visitor.get("/outbox").headers["Location"].startswith("/login")
    token = csrf_token(visitor.get("/me/blocks").text)
    answer = visitor.client.post(f"/outbox/{failed.id}/sent", data={"csrf_token": token})
    assert answer.headers["Location"].startswith("/login")
    session.refresh(failed)
    assert failed.status == "failed"


def test_a_shop_is_refused(app, session, make_shop, failed):  # noqa: F811 - the fixture
    clerk = Clerk(app.test_client())
    _, key = make_shop()
    assert clerk.shop_sign_in(key).status_code == 303
    assert clerk.get("/outbox").headers["Location"].startswith("/login")


def test_the_home_page_links_to_the_page(sc):
    assert 'href="/outbox"' in sc.get("/").text
