"""The volunteer page: one-time links from the SC, the tasks proposed and accepted (the
address only once accepted), points, and a voucher exchanged once however often the form is
sent. Tasks are proposed by a real match run and points credited by completing them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from access.models import ApiToken, User, VolunteerSignInLink
from access.sign_in_links import issue_link
from matching import dispatch, services
from matching.models import Assignment, HelpRequest, Volunteer
from points import balances, codes, vouchers
from points.models import Voucher
from sasaeai_app import create_app
from tests.conftest import ALL_WEEK
from tests.web.conftest import Visitor, csrf_token
from web import volunteer as volunteer_page

TOKYO = ZoneInfo("Asia/Tokyo")

# --- tasks and points through the real services ----------------------------------------------


def at(day_offset: int, hh: int, mm: int = 0) -> dt.datetime:
    day = dt.datetime.now(TOKYO).date() + dt.timedelta(days=day_offset)
    return dt.datetime.combine(day, dt.time(hh, mm), TOKYO)


#: a place of its own in 北区 (the browser tests share their database with other screens')
HERE = {"lat": 35.7530, "lon": 139.7370, "zone": "王子本町1丁目"}


def make_helper(session: Session, **params: Any) -> tuple[Volunteer, str]:
    """A registered volunteer at HERE, free all week, who can do every task, two a day (as
    earn_points has them do)."""
    params = {
        "name": "佐藤 一郎",
        "birth_year": 1950,
        "max_distance_m": 1000,
        "max_tasks_per_day": 2,
        "skills": ["garbage", "shopping", "ladder"],
        "availability": ALL_WEEK,
        **HERE,
        **params,
    }
    return services.create_volunteer(session, **params)


def request_near(
    session: Session,
    volunteer: Volunteer,
    *,
    category: str,
    window: tuple[dt.datetime, dt.datetime],
    now: dt.datetime,
    resident: dict[str, Any] | None = None,
    notes: str | None = None,
) -> HelpRequest:
    """A resident about 110 m north of the volunteer asks for help in this window."""
    person = services.create_resident(
        session,
        **{
            "name": "山田 花子",
            "address": "東京都北区王子本町1-2-3",
            "phone": "03-3908-0000",
            "lat": volunteer.lat + 0.001,
            "lon": volunteer.lon,
            "zone": volunteer.zone,
            **(resident or {}),
        },
    )
    return services.create_help_request(
        session,
        resident_id=person.id,
        category=category,
        window_start=window[0],
        window_end=window[1],
        notes=notes,
        now=now,
    )


def propose_task(
    session: Session,
    *,
    volunteer_id: int,
    category: str = "garbage",
    start: dt.datetime | None = None,
    hours: int = 2,
    now: dt.datetime | None = None,
    resident: dict[str, Any] | None = None,
    notes: str | None = None,
) -> Assignment:
    """A resident near the volunteer asks, the SC runs matching: the task is proposed to them."""
    start = start or at(2, 9)
    now = now or dt.datetime.now(dt.UTC)
    volunteer = session.get(Volunteer, volunteer_id)
    assert volunteer is not None
    request = request_near(
        session,
        volunteer,
        category=category,
        window=(start, start + dt.timedelta(hours=hours)),
        now=now,
        resident=resident,
        notes=notes,
    )
    dispatch.run_match(session, zone=request.resident.zone, now=now)
    assignment = session.scalar(
        select(Assignment).where(
            Assignment.help_request_id == request.id, Assignment.status == "proposed"
        )
    )
    assert assignment is not None, "the task was proposed"
    assert assignment.volunteer_id == volunteer_id, "to this volunteer"
    return assignment


def earn_points(session: Session, *, volunteer_id: int, points: int) -> None:
    """Do 買い物 tasks (100 pt each, two a day under the daily cap) in the past days: proposed by
    matching, accepted, completed by the SC, which credits them."""
    for i in range(points // 100):
        day = -3 - i // 2
        start = at(day, 9 + 2 * (i % 2))
        assignment = propose_task(
            session,
            volunteer_id=volunteer_id,
            category="shopping",
            start=start,
            now=start - dt.timedelta(hours=1),
        )
        dispatch.accept(session, assignment_id=assignment.id, now=start - dt.timedelta(minutes=30))
        dispatch.complete(session, assignment_id=assignment.id, now=start + dt.timedelta(hours=1))


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def sc(make_staff) -> User:
    return make_staff(name="sc-oji")


@pytest.fixture
def helper(session: Session) -> Volunteer:
    return make_helper(session)[0]


def link_for(session: Session, volunteer: Volunteer, sc: User, **kw: Any) -> str:
    now = kw.pop("now", dt.datetime.now(dt.UTC))
    return issue_link(session, volunteer_id=volunteer.id, by_user_id=sc.id, now=now, **kw).token


def open_link(visitor: Visitor, token: str):
    """Open the link (GET), then press 「はじめる」 (POST)."""
    return visitor.submit(f"/me/link/{token}", {})


# --- links -----------------------------------------------------------------------------------


def test_the_sc_issues_a_link_and_sees_its_address_and_expiry_once(
    visitor: Visitor, session: Session, sc: User, helper: Volunteer
):
    assert visitor.get(f"/me/links/{helper.id}").status_code == 302  # staff only
    visitor.sign_in(sc.name)
    page = visitor.get(f"/me/links/{helper.id}")
    assert "佐藤 一郎 さんのログイン用リンク" in page.text
    assert "/me/link/" not in page.text

    made = visitor.submit(f"/me/links/{helper.id}", {})
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    url = re.search(r'id="link-url">([^<]+)<', made.text).group(1)
    assert url.startswith("http://localhost/me/link/")
    token = url.rsplit("/", 1)[1]
    row = session.scalar(select(VolunteerSignInLink))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.volunteer_id == helper.id and row.created_by_id == sc.id
    assert row.expires_at - row.created_at == dt.timedelta(hours=72)
    expires = row.expires_at.astimezone(TOKYO)
    assert f"{expires.month}月{expires.day}日" in made.text and "1回だけ使えます" in made.text

    # the page again shows no link: it was shown once
    assert token not in visitor.get(f"/me/links/{helper.id}").text


def test_the_link_lasts_as_long_as_the_ward_configures(
    app: Flask, visitor: Visitor, session: Session, sc: User, helper: Volunteer, monkeypatch
):
    monkeypatch.setitem(app.config, "VOLUNTEER_LINK_HOURS", 2)
    visitor.sign_in(sc.name)
    assert "2 時間使えます" in visitor.get(f"/me/links/{helper.id}").text
    visitor.submit(f"/me/links/{helper.id}", {})
    row = session.scalar(select(VolunteerSignInLink))
    assert row.expires_at - row.created_at == dt.timedelta(hours=2)


def test_a_link_for_nobody_is_not_found(visitor: Visitor, sc: User):
    visitor.sign_in(sc.name)
    assert visitor.get("/me/links/999999").status_code == 404


def test_opening_a_link_asks_for_a_press_and_uses_nothing_until_then(
    visitor: Visitor, session: Session, sc: User, helper: Volunteer
):
    token = link_for(session, helper, sc)
    shown = visitor.get(f"/me/link/{token}")
    assert shown.status_code == 200
    assert "はじめる" in shown.text
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    visitor.get(f"/me/link/{token}")  # a chat app's preview, or opening it twice
    assert session.scalar(select(VolunteerSignInLink.used_at)) is None
    assert visitor.get("/me/").status_code == 302  # not signed in by looking

    signed_in = open_link(visitor, token)
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/me/"
    page = visitor.get("/me/")
    assert page.status_code == 200
    assert "佐藤 一郎 さん" in page.text
    assert session.scalar(select(VolunteerSignInLink.used_at)) is not None


def test_a_link_works_once(visitor: Visitor, app: Flask, session: Session, sc, helper):
    token = link_for(session, helper, sc)
    assert open_link(visitor, token).status_code == 303
    # the same link again, on another phone
    other = Visitor(app.test_client())
    again = open_link(other, token)
    assert again.status_code == 410
    assert "このリンクは、もう使われています" in again.text
    assert other.get("/me/").status_code == 302


def test_a_link_works_until_its_expiry_and_not_at_it(
    visitor: Visitor, app: Flask, session: Session, sc, helper, monkeypatch
):
    issued_at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    before = link_for(session, helper, sc, now=issued_at)
    at_expiry = link_for(session, helper, sc, now=issued_at)
    expiry = issued_at + dt.timedelta(hours=72)

    monkeypatch.setattr(volunteer_page, "_now", lambda: expiry - dt.timedelta(microseconds=1))
    assert open_link(visitor, before).status_code == 303
    monkeypatch.setattr(volunteer_page, "_now", lambda: expiry)
    late = open_link(Visitor(app.test_client()), at_expiry)
    assert late.status_code == 410
    assert "有効期限が過ぎています" in late.text


def test_an_unknown_link_is_refused_in_plain_words(visitor: Visitor):
    refused = open_link(visitor, "not-a-real-link-token")
    assert refused.status_code == 404
    assert "このリンクは使えません" in refused.text
    assert visitor.get("/me/").status_code == 302


def test_another_volunteers_link_replaces_the_first_and_shows_only_theirs(
    visitor: Visitor, session: Session, sc: User, helper: Volunteer
):
    neighbour, _ = make_helper(session, name="鈴木 二郎", lat=35.80, lon=139.70, zone="赤羽")
    mine = propose_task(session, volunteer_id=helper.id)
    open_link(visitor, link_for(session, helper, sc))
    assert "佐藤 一郎 さん" in visitor.get("/me/").text

    open_link(visitor, link_for(session, neighbour, sc))
    page = visitor.get("/me/")
    assert "鈴木 二郎 さん" in page.text and "佐藤 一郎" not in page.text
    assert f"task-{mine.id}" not in page.text
    # and the first volunteer's task cannot be answered from here
    assert visitor.submit(f"/me/tasks/{mine.id}/accept", {}, form_at="/me/").status_code == 404
    assert visitor.get(f"/me/tasks/{mine.id}/decline").status_code == 404
    session.refresh(mine)
    assert mine.status == "proposed"


def test_signing_in_as_a_volunteer_ends_a_staff_sign_in_on_that_browser(
    visitor: Visitor, session: Session, sc: User, helper: Volunteer
):
    visitor.sign_in(sc.name)
    assert visitor.get("/").status_code == 200
    open_link(visitor, link_for(session, helper, sc))
    assert visitor.get("/").status_code == 302
    assert visitor.get("/me/").status_code == 200


def test_a_volunteer_can_sign_in_with_their_token_or_the_links_text(
    visitor: Visitor, app: Flask, session: Session, sc: User
):
    volunteer, token = make_helper(session)
    assert visitor.get("/me/").headers["Location"] == "/me/sign-in"
    wrong = visitor.submit("/me/sign-in", {"token": "guess"})
    assert wrong.status_code == 401
    assert "番号が違うか、もう使えない番号です" in wrong.text
    assert visitor.submit("/me/sign-in", {"token": f"  {token} "}).status_code == 303
    assert "佐藤 一郎 さん" in visitor.get("/me/").text

    # a pasted link (the whole address) works once too
    other = Visitor(app.test_client())
    link = link_for(session, volunteer, sc)
    pasted = f"http://127.0.0.1:5000/me/link/{link}"
    assert other.submit("/me/sign-in", {"token": pasted}).status_code == 303
    assert Visitor(app.test_client()).submit("/me/sign-in", {"token": pasted}).status_code == 401


def test_a_revoked_token_or_an_inactive_volunteer_is_signed_out(
    visitor: Visitor, session: Session, sc: User
):
    volunteer, token = make_helper(session)
    visitor.submit("/me/sign-in", {"token": token})
    api_token = session.scalar(select(ApiToken).where(ApiToken.volunteer_id == volunteer.id))
    api_token.revoked_at = dt.datetime.now(dt.UTC)
    session.flush()
    assert visitor.get("/me/").status_code == 302

    open_link(visitor, link_for(session, volunteer, sc))
    assert visitor.get("/me/").status_code == 200
    volunteer.status = "inactive"
    session.flush()
    assert visitor.get("/me/").status_code == 302


def test_signing_out(visitor: Visitor, session: Session, sc: User, helper: Volunteer):
    open_link(visitor, link_for(session, helper, sc))
    out = visitor.submit("/me/sign-out", {}, form_at="/me/")
    assert out.status_code == 303
    assert visitor.get("/me/").status_code == 302


def test_the_volunteers_cookie_is_httponly_and_samesite_lax(
    visitor: Visitor, session: Session, sc: User, helper: Volunteer
):
    answer = open_link(visitor, link_for(session, helper, sc))
    (cookie,) = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_forms_need_their_csrf_token(
    visitor: Visitor, session: Session, sc: User, helper: Volunteer
):
    token = link_for(session, helper, sc)
    assert visitor.client.post(f"/me/link/{token}", data={}).status_code == 400
    assert session.scalar(select(VolunteerSignInLink.used_at)) is None
    open_link(visitor, token)
    task = propose_task(session, volunteer_id=helper.id)
    assert visitor.client.post(f"/me/tasks/{task.id}/accept", data={}).status_code == 400
    session.refresh(task)
    assert task.status == "proposed"


@pytest.fixture
def limited(engine, database_url, session) -> Visitor:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ENGINE": engine,
            "SIGNIN_RATE_LIMIT": "3 per minute",
        }
    )
    app.extensions["sasaeai.sessionmaker"] = sessionmaker(
        bind=session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return Visitor(app.test_client())


def test_guessing_tokens_or_links_is_rate_limited_in_one_count(
    limited: Visitor, app: Flask, session: Session, sc, helper
):
    good = link_for(session, helper, sc)
    assert limited.submit("/me/sign-in", {"token": "guess-1"}).status_code == 401
    assert open_link(limited, "guess-2").status_code == 404
    assert open_link(limited, "guess-3").status_code == 404
    stopped = open_link(limited, good)
    assert stopped.status_code == 429
    assert "分ほど待ってから、もう一度お試しください。" in stopped.text
    assert int(stopped.headers["Retry-After"]) > 0
    assert session.scalar(select(VolunteerSignInLink.used_at)) is None
    assert limited.submit("/me/sign-in", {"token": good}).status_code == 429


def test_sign_ins_that_work_and_pages_after_are_not_counted(limited: Visitor, session, sc):
    for _ in range(4):
        volunteer, token = make_helper(session)
        phone = Visitor(limited.client.application.test_client())  # same address, new browser
        assert phone.submit("/me/sign-in", {"token": token}).status_code == 303
        assert open_link(phone, link_for(session, volunteer, sc)).status_code == 303
        assert phone.get("/me/").status_code == 200
    assert limited.submit("/me/sign-in", {"token": "guess"}).status_code == 401


# --- tasks: the address only once accepted ----------------------------------------------------


@pytest.fixture
def signed_in(visitor: Visitor, session: Session, sc: User, helper: Volunteer) -> Visitor:
    open_link(visitor, link_for(session, helper, sc))
    return visitor


def test_a_proposed_task_shows_what_when_and_where_roughly_but_not_the_address(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    task = propose_task(session, volunteer_id=helper.id, start=at(2, 9), notes="玄関前に出ています")
    page = signed_in.get("/me/").text
    card = page[page.index(f'id="task-{task.id}"') :]
    assert "ゴミ出し" in card
    start = at(2, 9)
    assert f"{start.month}月{start.day}日" in card and "9:00〜11:00" in card
    assert "王子本町1丁目 付近" in card
    for secret in ("王子本町1-2-3", "03-3908-0000", "山田 花子", "玄関前に出ています"):
        assert secret not in page


def test_accepting_shows_the_address_of_that_task_only(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    first = propose_task(session, volunteer_id=helper.id, start=at(2, 9))
    second = propose_task(
        session,
        volunteer_id=helper.id,
        start=at(3, 9),
        resident={
            "name": "田中 ハナ",
            "address": "東京都北区王子本町1-9-9",
            "phone": "03-1111-2222",
        },
    )
    accepted = signed_in.submit(f"/me/tasks/{first.id}/accept", {}, form_at="/me/")
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == f"/me/#task-{first.id}"
    session.refresh(first)
    assert first.status == "accepted"

    page = signed_in.get("/me/").text
    assert "引き受けました。住所と時間を確かめてください。" in page
    assert "東京都北区王子本町1-2-3" in page and "03-3908-0000" in page
    for secret in ("王子本町1-9-9", "03-1111-2222", "田中 ハナ"):
        assert secret not in page
    # soonest first
    assert page.index(f'id="task-{first.id}"') < page.index(f'id="task-{second.id}"')


def test_declining_asks_first_then_the_task_goes_and_its_address_never_shows(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    task = propose_task(session, volunteer_id=helper.id)
    confirm = signed_in.get(f"/me/tasks/{task.id}/decline")
    assert "この依頼をお断りしますか" in confirm.text
    assert "王子本町1-2-3" not in confirm.text
    session.refresh(task)
    assert task.status == "proposed"  # asking declined nothing

    declined = signed_in.submit(f"/me/tasks/{task.id}/decline", {})
    assert declined.status_code == 303
    session.refresh(task)
    assert task.status == "declined"
    page = signed_in.get("/me/").text
    assert f"task-{task.id}" not in page and "王子本町1-2-3" not in page
    # a late press of 「引き受ける」 on an old page accepts nothing
    late = signed_in.submit(f"/me/tasks/{task.id}/accept", {}, form_at="/me/")
    assert late.status_code == 303
    assert "もう引き受けられません" in signed_in.get("/me/").text
    session.refresh(task)
    assert task.status == "declined"


def test_an_accepted_task_declined_later_hides_its_address_again(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    task = propose_task(session, volunteer_id=helper.id)
    signed_in.submit(f"/me/tasks/{task.id}/accept", {}, form_at="/me/")
    assert "王子本町1-2-3" in signed_in.get("/me/").text
    signed_in.submit(f"/me/tasks/{task.id}/decline", {})
    assert "王子本町1-2-3" not in signed_in.get("/me/").text


# --- points and vouchers ----------------------------------------------------------------------


def exchange_form(page: str) -> dict[str, str]:
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="key" name="key" type="hidden" value="([^"]+)"', page
    )
    assert key, "the page has an exchange form"
    return {"csrf_token": csrf_token(page), "key": key.group(1)}


def test_points_balance_exchangeable_and_history_are_shown(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    earn_points(session, volunteer_id=helper.id, points=600)
    page = signed_in.get("/me/").text
    assert re.search(r"いまのポイント</span><span class=\"numbers__value\">600<", page)
    assert re.search(r"商品券に交換できる</span><span class=\"numbers__value\">500<", page)
    assert page.count('class="me-history__item"') == 6
    assert "活動でもらったポイント：買い物" in page and "+100 ポイント" in page
    assert '<option value="500">500 ポイント</option>' in page
    assert '<option value="1000">' not in page


def test_history_is_paged(signed_in: Visitor, session: Session, helper: Volunteer):
    earn_points(session, volunteer_id=helper.id, points=1200)
    first = signed_in.get("/me/").text
    assert first.count('class="me-history__item"') == 10 and "1 / 2 ページ" in first
    second = signed_in.get("/me/?page=2").text
    assert second.count('class="me-history__item"') == 2 and "2 / 2 ページ" in second
    assert signed_in.get("/me/?page=abc").status_code == 200


def test_exchanging_twice_with_the_same_form_gives_one_voucher(
    app: Flask, signed_in: Visitor, session: Session, helper: Volunteer
):
    earn_points(session, volunteer_id=helper.id, points=1000)
    form = {**exchange_form(signed_in.get("/me/").text), "points": "500"}
    first = signed_in.client.post("/me/vouchers", data=form)
    second = signed_in.client.post("/me/vouchers", data=form)  # a double tap, or 「再送信」
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Voucher)) == 1
    now = dt.datetime.now(dt.UTC)
    assert balances.summary(session, volunteer_id=helper.id, now=now).balance == 500

    # the same form once more after the rest was spent elsewhere: still that first voucher
    vouchers.exchange(
        session,
        volunteer_id=helper.id,
        points=500,
        idempotency_key="from-the-api",
        secret=app.config["SECRET_KEY"],
        now=now,
    )
    third = signed_in.client.post("/me/vouchers", data=form)
    assert third.status_code == 303 and third.headers["Location"] == first.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Voucher)) == 2


def test_a_newly_drawn_form_is_a_new_exchange(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    earn_points(session, volunteer_id=helper.id, points=1000)
    form = {**exchange_form(signed_in.get("/me/").text), "points": "500"}
    first = signed_in.client.post("/me/vouchers", data=form)
    later = {**exchange_form(signed_in.get("/me/").text), "points": "500"}
    assert later["key"] != form["key"]
    second = signed_in.client.post("/me/vouchers", data=later)
    assert second.headers["Location"] != first.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Voucher)) == 2
    page = signed_in.get("/me/").text
    assert 'action="/me/vouchers"' not in page  # nothing left to exchange
    assert "500 ポイントたまると、商品券に交換できます。" in page


def test_the_voucher_page_shows_the_code_in_groups_a_qr_code_its_value_and_expiry(
    app: Flask, signed_in: Visitor, session: Session, helper: Volunteer
):
    earn_points(session, volunteer_id=helper.id, points=500)
    form = {**exchange_form(signed_in.get("/me/").text), "points": "500"}
    where = signed_in.client.post("/me/vouchers", data=form).headers["Location"]
    page = signed_in.get(where)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    voucher = session.scalar(select(Voucher))
    code = vouchers.voucher_code(voucher, secret=app.config["SECRET_KEY"])
    groups = re.findall(r'<span class="voucher__group">([^<]+)</span>', page.text)
    assert "-".join(groups) == code
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert codes.group(codes.normalise("".join(groups))) == code  # the shop's counter takes it
    assert '<svg viewBox="0 0' in page.text and 'aria-label="商品券のコードのQRコード"' in page.text
    assert "500円" in page.text and "使えます" in page.text
    expires = voucher.expires_at.astimezone(TOKYO)
    assert f"{expires.year}年{expires.month}月{expires.day}日 まで" in page.text
    assert f"…{voucher.code_tail}" in signed_in.get("/me/").text  # listed on the page


def test_the_qr_code_holds_the_code(app: Flask):
    import segno

    svg = volunteer_page.qr_svg("ABCD-EFGH-JKMN-PQRS")
    expected = segno.make("ABCD-EFGH-JKMN-PQRS", error="m")
    assert svg.startswith("<svg") and expected.designator in ("1-M", "2-M")
    assert "#fff" in svg  # a white quiet zone, also on a phone in dark mode


def test_another_volunteers_voucher_is_not_found(
    app: Flask, session: Session, sc: User, helper: Volunteer
):
    earn_points(session, volunteer_id=helper.id, points=500)
    issued = vouchers.exchange(
        session,
        volunteer_id=helper.id,
        points=500,
        idempotency_key="k1",
        secret=app.config["SECRET_KEY"],
        now=dt.datetime.now(dt.UTC),
    )
    neighbour, _ = make_helper(session, name="鈴木 二郎", lat=35.80, lon=139.70, zone="赤羽")
    other = Visitor(app.test_client())
    open_link(other, link_for(session, neighbour, sc))
    assert other.get(f"/me/vouchers/{issued.id}").status_code == 404


def test_a_trial_volunteer_earns_but_is_not_offered_an_exchange(
    visitor: Visitor, session: Session, sc: User
):
    trial, _ = make_helper(session, status="trial")
    open_link(visitor, link_for(session, trial, sc))
    page = visitor.get("/me/").text
    assert "おためし中は、ポイントをためることができます" in page
    assert 'action="/me/vouchers"' not in page


def test_an_amount_that_is_not_offered_is_refused_next_to_the_field(
    signed_in: Visitor, session: Session, helper: Volunteer
):
    earn_points(session, volunteer_id=helper.id, points=500)
    form = exchange_form(signed_in.get("/me/").text)
    for points in ("250", "1000", "abc"):
        refused = signed_in.client.post("/me/vouchers", data={**form, "points": points})
        assert refused.status_code == 422
        assert "field__error" in refused.text
    assert session.scalar(select(func.count()).select_from(Voucher)) == 0


def test_staff_only_pages_and_volunteer_pages_do_not_mix(
    visitor: Visitor, session: Session, sc: User, helper: Volunteer
):
    open_link(visitor, link_for(session, helper, sc))
    # a volunteer is not staff: the link-issuing page sends them to the staff sign-in
    assert visitor.get(f"/me/links/{helper.id}").headers["Location"].startswith("/login")
