"""おためしのフォロー: the SC sees who finished their first task and registers them."""

from __future__ import annotations

import pytest

from matching import dispatch, followups
from matching.models import Volunteer
from tests.web.conftest import Visitor, csrf_token


@pytest.fixture
def sc(visitor: Visitor, make_staff) -> Visitor:
    make_staff(name="sc-taishido")
    assert visitor.sign_in("sc-taishido").status_code == 303
    return visitor


@pytest.fixture
def first_task_done(session, make_volunteer, make_help_request):
    volunteer, _ = make_volunteer(
        name="鈴木 はじめ", status="trial", skills=["garbage"], contact="090-1111-2222"
    )
    make_help_request()
    [assignment] = dispatch.run_match(session).assignments
    dispatch.accept(session, assignment_id=assignment.id)
    dispatch.complete(session, assignment_id=assignment.id)
    return volunteer


def test_the_list_shows_who_what_and_the_button(sc, first_task_done):
    page = sc.get("/followups")
    assert page.status_code == 200
    assert "鈴木 はじめ さん" in page.text
    assert "したこと：ゴミ出し" in page.text
    assert "090-1111-2222" in page.text
    assert f"/followups/{first_task_done.id}/activate" in page.text
    assert "登録ボランティアにする" in page.text


def test_the_button_registers_them_and_the_list_empties(sc, session, first_task_done):
    page = sc.get("/followups")
    done = sc.client.post(
        f"/followups/{first_task_done.id}/activate",
        data={"csrf_token": csrf_token(page.text)},
        follow_redirects=True,
    )
    assert "鈴木 はじめ さんを登録ボランティアにしました。" in done.text
    assert "いま、フォローする方はいません。" in done.text
    session.expire_all()
    volunteer = session.get(Volunteer, first_task_done.id)
    assert volunteer.status == "active"
    assert volunteer.registered_by_id is not None
    assert followups.open_followups(session) == []


def test_pressing_twice_says_they_are_already_registered(sc, first_task_done):
    page = sc.get("/followups")
    token = csrf_token(page.text)
    path = f"/followups/{first_task_done.id}/activate"
    sc.client.post(path, data={"csrf_token": token})
    again = sc.client.post(path, data={"csrf_token": token}, follow_redirects=True)
    assert again.status_code == 200
    assert "この方はすでに登録ボランティアです。" in again.text


def test_the_home_page_links_to_the_list(sc):
    assert 'href="/followups"' in sc.get("/").text


def test_only_staff_see_the_list(visitor):
    assert visitor.get("/followups").status_code in (302, 303)
