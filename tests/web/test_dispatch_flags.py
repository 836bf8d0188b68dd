"""確認が必要な依頼 on the dispatch board: a request whose volunteer declined, did not answer by
the cut-off or did not show comes back flagged, with why and what `dispatch due` is doing about
it; the SC presses 「確認しました」 once seen. The run page names the automatic run, a proposal
cancelled for no answer says so, and the volunteer's page shows a proposal's answer-by time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from db import utcnow
from matching import dispatch, flags, redispatch
from matching.models import Assignment, HelpRequest
from tests.conftest import local
from tests.matching.test_dispatch_history import north
from tests.web.conftest import csrf_token

DAY = local(2, 0).date().isoformat()
BOARD = f"/dispatch/?zone=太子堂&day={DAY}"
#: after the default cut-off (18:00 the day before) of a task on day 2
AFTER_CUTOFF = local(1, 18, 5)


@pytest.fixture
def sc(visitor, make_staff):
    staff = make_staff(name="sc-flags")
    assert visitor.sign_in("sc-flags").status_code == 303
    return staff


@pytest.fixture
def ward(make_help_request, make_resident, make_volunteer):
    """A ゴミ出し request in 太子堂 the day after tomorrow, the nearest volunteer, the next."""
    resident = make_resident(name="山田 花子")
    request = make_help_request(resident=resident)
    nearest, _ = make_volunteer(name="近い 一郎", **north(50))
    second, _ = make_volunteer(name="次の 次郎", **north(200))
    return request, nearest, second


def proposed(session, request) -> Assignment:
    session.expire_all()
    found = session.scalar(
        select(Assignment).where(
            Assignment.help_request_id == request.id, Assignment.status == "proposed"
        )
    )
    assert found is not None
    return found


def flag_card(html: str, request_id: int) -> str:
    """The card of one flagged request (empty when it is not on the page)."""
    found = re.search(rf'<li class="flags-card[^"]*" id="flag-{request_id}">(.*?)</li>', html, re.S)
    return found.group(1) if found else ""


def press_seen(visitor, request_id: int, form_at: str = BOARD):
    page = visitor.get(form_at)
    return visitor.client.post(
        f"/dispatch/flags/{request_id}/seen",
        data={"csrf_token": csrf_token(page.text), "next": form_at},
    )


def test_a_declined_request_shows_why_and_that_it_is_redispatched_on_its_own(
    visitor, sc, session, ward
):
    request, nearest, second = ward
    dispatch.run_match(session)
    dispatch.decline(session, assignment_id=proposed(session, request).id, via="phone")

    html = visitor.get(BOARD).text
    assert "確認が必要な依頼" in html
    assert re.search(r"確認が必要な依頼 <span[^>]*>1件</span>", html)
    card = flag_card(html, request.id)
    assert "山田 花子 さん（太子堂）" in card
    assert request.category.label_ja in card
    assert "担い手が辞退しました" in card
    assert "近い 一郎 さん" in card  # who it came back from
    assert "自動で再提案します（数分以内）" in card
    assert "確認しました" in card

    # `dispatch due` runs: the next volunteer is proposed, the card says so and links the run
    report = redispatch.run_due(session, now=utcnow())
    assert report.proposed == [request.id]
    card = flag_card(visitor.get(BOARD).text, request.id)
    assert "自動で再提案しました：次の 次郎 さんの返事待ち" in card
    assert f'href="/dispatch/runs/{report.match_run_id}#assignment-' in card
    run_page = visitor.get(f"/dispatch/runs/{report.match_run_id}").text
    assert "自動の再提案（dispatch due）" in run_page

    # they accept: the card says who took it
    dispatch.accept(session, assignment_id=proposed(session, request).id, via="phone")
    assert "次の 次郎 さんが引き受けました" in flag_card(visitor.get(BOARD).text, request.id)


def test_a_run_the_sc_pressed_names_the_sc(visitor, sc, session, ward):
    run = dispatch.run_match(session, created_by_id=sc.id)
    page = visitor.get(f"/dispatch/runs/{run.id}").text
    assert "実行：sc-flags" in page
    assert "自動の再提案" not in page


def test_a_proposal_not_answered_by_the_cutoff_comes_back_with_that_reason(
    visitor, sc, session, ward
):
    request, nearest, second = ward
    first_run = dispatch.run_match(session)
    unanswered = proposed(session, request)
    report = redispatch.run_due(session, now=AFTER_CUTOFF)
    assert report.unanswered == [unanswered.id]

    card = flag_card(visitor.get(BOARD).text, request.id)
    assert "期限（前日18時）までに返事がありませんでした" in card
    assert "近い 一郎 さん" in card
    assert "自動で再提案しました：次の 次郎 さんの返事待ち" in card

    # where assignment statuses are shown: the first run's page and the volunteer's history
    run_page = visitor.get(f"/dispatch/runs/{first_run.id}").text
    assert "近い 一郎 さん：返事なしで取り下げ" in run_page
    assert "返事なしで取り下げ" in visitor.get(f"/volunteers/{nearest.id}").text


def test_the_no_answer_reason_follows_the_wards_cutoff(
    app, visitor, sc, session, ward, monkeypatch
):
    request, _, _ = ward
    monkeypatch.setitem(app.config, "DISPATCH_CUTOFF", "17:30")
    dispatch.run_match(session)
    redispatch.run_due(session, now=local(1, 17, 35), cutoff=redispatch.Cutoff.parse("17:30"))
    card = flag_card(visitor.get(BOARD).text, request.id)
    assert "期限（前日17時30分）までに返事がありませんでした" in card


def test_a_request_nobody_else_can_take_asks_the_sc_to_look(
    visitor, sc, session, make_help_request, make_resident, make_volunteer
):
    request = make_help_request(resident=make_resident(name="ひとり 待つ"))
    make_volunteer(name="だけ 一人", **north(50))
    dispatch.run_match(session)
    dispatch.decline(session, assignment_id=proposed(session, request).id)
    redispatch.run_due(session, now=utcnow())
    card = flag_card(visitor.get(BOARD).text, request.id)
    assert "担い手が辞退しました" in card
    assert "担い手が見つかりませんでした。電話で探すか、条件を見直してください" in card
    link = re.search(r'href="([^"]+)"[^>]*>その日の一覧で見る<', card)
    assert link and link.group(1).endswith(f"day={DAY}#request-{request.id}")
    board = visitor.get(link.group(1).replace("&amp;", "&").split("#")[0]).text
    assert f'id="request-{request.id}"' in board  # open, on that day's board


def test_no_show_and_standing_ended_have_their_own_words(
    visitor, sc, session, make_help_request, make_resident
):
    no_show = make_help_request(resident=make_resident(name="来ない 日"))
    standing = make_help_request(resident=make_resident(name="いつもの 人"))
    now = utcnow()
    flags.raise_flag(
        session, help_request_ids=[no_show.id], flag="no_show", now=now, redispatch=True
    )
    flags.raise_flag(
        session, help_request_ids=[standing.id], flag="standing_ended", now=now, redispatch=False
    )
    html = visitor.get(BOARD).text
    assert "担い手が来られませんでした" in flag_card(html, no_show.id)
    assert "自動で再提案します" in flag_card(html, no_show.id)
    assert "いつもの担い手が外れました" in flag_card(html, standing.id)
    assert "まだ担い手がいません" in flag_card(html, standing.id)


def test_seen_removes_the_request_and_a_second_press_is_harmless(visitor, sc, session, ward):
    request, _, _ = ward
    dispatch.run_match(session)
    dispatch.decline(session, assignment_id=proposed(session, request).id)
    assert flag_card(visitor.get(BOARD).text, request.id)

    done = press_seen(visitor, request.id)
    assert done.status_code == 303
    assert done.headers["Location"].startswith("/dispatch/?zone=")  # back to the board
    page = visitor.get(BOARD).text
    assert "山田 花子 さんの依頼（" in page and "を確認済みにしました。" in page
    assert not flag_card(page, request.id)
    assert "いま確認が必要な依頼はありません。" in page
    session.expire_all()
    seen = session.get(HelpRequest, request.id)
    assert seen.flag is None and seen.flagged_at is None
    assert seen.redispatch_at is not None  # the queued re-dispatch still happens

    again = press_seen(visitor, request.id)
    assert again.status_code == 303
    assert "この依頼は確認済みです。" in visitor.get(BOARD).text


def test_seen_for_no_request_is_not_found(visitor, sc):
    assert press_seen(visitor, 999_999).status_code == 404


def test_the_board_shows_its_zones_flags_or_all(
    visitor, sc, session, make_help_request, make_resident
):
    here = make_help_request(resident=make_resident(name="太子堂の 人"))
    there = make_help_request(resident=make_resident(name="三茶の 人", zone="三軒茶屋"))
    flags.raise_flag(
        session,
        help_request_ids=[here.id, there.id],
        flag="declined",
        now=utcnow(),
        redispatch=True,
    )
    html = visitor.get(BOARD).text
    assert flag_card(html, here.id) and not flag_card(html, there.id)
    everywhere = visitor.get(f"/dispatch/?zone=&day={DAY}").text
    assert flag_card(everywhere, here.id) and flag_card(everywhere, there.id)
    assert re.search(r"確認が必要な依頼 <span[^>]*>2件</span>", everywhere)


def test_only_staff_see_or_clear_flags(visitor, session, make_staff, ward):
    request, _, _ = ward
    flags.raise_flag(
        session, help_request_ids=[request.id], flag="declined", now=utcnow(), redispatch=True
    )
    assert visitor.get(BOARD).status_code == 302
    refused = visitor.client.post(f"/dispatch/flags/{request.id}/seen", data={})
    assert refused.status_code in (302, 400)
    session.expire_all()
    assert session.get(HelpRequest, request.id).flag == "declined"


def test_seen_without_the_forms_token_is_refused(visitor, sc, session, ward):
    request, _, _ = ward
    flags.raise_flag(
        session, help_request_ids=[request.id], flag="declined", now=utcnow(), redispatch=True
    )
    refused = visitor.client.post(f"/dispatch/flags/{request.id}/seen", data={"next": BOARD})
    assert refused.status_code == 400
    session.expire_all()
    assert session.get(HelpRequest, request.id).flag == "declined"


def test_the_volunteers_page_shows_when_to_answer_by(
    session, visitor, make_staff, make_volunteer, ward
):
    from access.sign_in_links import issue_link

    request, nearest, _ = ward
    dispatch.run_match(session)
    sc = make_staff(name="sc-links")
    token = issue_link(
        session, volunteer_id=nearest.id, by_user_id=sc.id, now=dt.datetime.now(dt.UTC)
    ).token
    visitor.submit(f"/me/link/{token}", {})
    page = visitor.get("/me/").text
    day = local(1, 18)
    weekday = "月火水木金土日"[day.weekday()]
    assert f"お返事の期限：{day.month}月{day.day}日（{weekday}）18:00" in page
