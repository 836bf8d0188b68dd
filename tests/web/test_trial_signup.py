"""おためしボランティア: a member of the public signs up on the form, without signing in."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from access.models import ApiToken
from matching.addresses import areas
from matching.models import AvailabilitySlot, Category, Volunteer
from sasaeai_app import create_app
from tests.web.conftest import Visitor

TAISHIDO_4 = next(a for a in areas("世田谷区") if a.area_name == "太子堂四丁目")


def form(**changes: Any) -> dict[str, Any]:
    """A valid signup: 太子堂四丁目, ゴミ出し, Tuesday 9:00-12:00; `None` leaves a field out."""
    data: dict[str, Any] = {
        "name": "三宿 たろう",
        "birth_year": "1958",
        "contact": "03-1234-5678",
        "chome": "太子堂四丁目",
        "interests": ["garbage"],
        "slots-0-weekday": "1",
        "slots-0-start": str(9 * 60),
        "slots-0-end": str(12 * 60),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def volunteers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Volunteer)) or 0


def error_of(html: str, field_id: str) -> str:
    """The words of a field's error, as shown next to it."""
    found = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    assert found, f"no error next to {field_id}"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_the_form_is_public_in_japanese_with_the_wards_chome_and_trial_categories(
    visitor: Visitor,
):
    page = visitor.get("/trial")
    assert page.status_code == 200
    assert "おためしボランティアの申し込み" in page.text
    # every 町丁目 of the ward in the 2024 list (the address search's), grouped by 町名; none of
    # another ward
    select = re.search(r'<select[^>]*id="chome".*?</select>', page.text, re.S)
    assert select
    offered = re.findall(r'<option[^>]*value="([^"]*)"', select.group(0))
    assert offered == [""] + [a.area_name for a in areas("世田谷区")]
    assert '<optgroup label="太子堂">' in page.text
    assert '<option value="太子堂四丁目">' in page.text
    assert "神田" not in page.text
    # the trial categories only: ゴミ出し yes, 買い物 and 電球交換 (registered only) no
    assert "ゴミ出し（15分ほど・50ポイント）" in page.text
    assert 'value="shopping"' not in page.text and "電球交換" not in page.text


def test_a_valid_signup_creates_one_trial_volunteer_at_the_chosen_chome(
    visitor: Visitor, session: Session
):
    before = volunteers(session)
    answer = visitor.submit(
        "/trial",
        form(
            **{
                "name": "  三宿 たろう ",
                "birth_year": "１９５８",  # full-width digits, as a Japanese keyboard types them
                "slots-2-weekday": "5",
                "slots-2-start": "600",
                "slots-2-end": "660",
            }
        ),
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/trial/thanks"
    assert volunteers(session) == before + 1
    volunteer = session.scalars(select(Volunteer).order_by(Volunteer.id.desc())).first()
    assert volunteer is not None
    assert (volunteer.name, volunteer.birth_year, volunteer.contact) == (
        "三宿 たろう",
        1958,
        "03-1234-5678",
    )
    assert volunteer.status == "trial" and volunteer.registered_at is None
    assert (volunteer.lat, volunteer.lon) == (TAISHIDO_4.lat, TAISHIDO_4.lon)
    assert volunteer.zone == "太子堂"
    assert volunteer.skill_codes == ["garbage"]
    assert volunteer.max_distance_m == 800  # the service's short first walk
    assert [(s.weekday, s.start_min, s.end_min) for s in volunteer.availability] == [
        (1, 540, 720),
        (5, 600, 660),
    ]
    # the service's token exists (as for the API) but is never shown on the screen
    assert session.scalar(
        select(func.count()).select_from(ApiToken).where(ApiToken.volunteer_id == volunteer.id)
    )

    thanks = visitor.get("/trial/thanks")
    assert thanks.status_code == 200
    assert "三宿 たろう さん" in thanks.text
    assert "生活支援コーディネーター" in thanks.text
    assert "ボランティアに登録してから" in thanks.text
    assert "500ポイントで500円分" in thanks.text
    assert "ゴミ出しは1回50ポイント" in thanks.text
    assert "トークン" not in thanks.text


def test_the_thanks_page_uses_the_wards_point_rules(visitor: Visitor, session: Session):
    from points.point_rules import update_rules

    update_rules(
        session,
        changes={"voucher_unit": 1000, "daily_cap": 300},
        updated_by="admin:1",
        now=dt.datetime.now(dt.UTC),
    )
    thanks = visitor.get("/trial/thanks")
    assert "1000ポイントで1000円分" in thanks.text
    assert "1日にたまるのは300ポイントまで" in thanks.text


THIS_YEAR = dt.datetime.now(dt.UTC).year

INVALID = [
    ("name", form(name=""), "name", "お名前を入力してください。"),
    ("name", form(name="あ" * 101), "name", "100文字以内で入力してください。"),
    ("birth year", form(birth_year=""), "birth_year", "生まれた年を入力してください。"),
    ("birth year", form(birth_year="1899"), "birth_year", "生まれ年は1900〜"),
    ("birth year", form(birth_year=str(THIS_YEAR + 1)), "birth_year", "生まれ年は1900〜"),
    ("birth year", form(birth_year="昭和33"), "birth_year", "西暦の数字で入力してください"),
    ("contact", form(contact=""), "contact", "連絡先を入力してください。"),
    ("contact", form(contact="03"), "contact", "電話番号かメールアドレスを入力してください。"),
    ("chome", form(chome=""), "chome", "お住まいの町丁目を選んでください。"),
    ("chome", form(chome="神田1丁目"), "chome", "一覧の中から選んでください。"),
    ("interests", form(interests=None), "interests", "やってみたいことを1つ以上選んでください。"),
    ("interests", form(interests=["shopping"]), "interests", "選べない項目が含まれています。"),
    (
        "interests",
        form(interests=["garbage", "nope"]),
        "interests",
        "選べない項目が含まれています。",
    ),
    ("slot", form(**{"slots-0-end": "540"}), "slots-0-end", "終わりの時刻は、始まりより後に"),
    ("slot", form(**{"slots-0-end": ""}), "slots-0-end", "終わりの時刻を選んでください。"),
    ("slot", form(**{"slots-0-weekday": ""}), "slots-0-weekday", "曜日を選んでください。"),
    ("slot", form(**{"slots-0-weekday": "7"}), "slots-0-weekday", "一覧の中から選んでください。"),
    (
        "slots",
        form(**{"slots-0-weekday": "", "slots-0-start": "", "slots-0-end": ""}),
        "slots",
        "活動できる曜日と時間を1つ以上選んでください。",
    ),
]


@pytest.mark.parametrize(
    ("posted", "field_id", "message"),
    [case[1:] for case in INVALID],
    ids=[f"{case[0]}-{i}" for i, case in enumerate(INVALID)],
)
def test_each_invalid_field_gets_its_japanese_message_next_to_it_and_creates_nothing(
    visitor: Visitor, session: Session, posted: dict[str, Any], field_id: str, message: str
):
    before = volunteers(session)
    slots_before = session.scalar(select(func.count()).select_from(AvailabilitySlot))
    answer = visitor.submit("/trial", posted)
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text
    assert message in error_of(answer.text, field_id)
    assert volunteers(session) == before
    assert session.scalar(select(func.count()).select_from(AvailabilitySlot)) == slots_before
    # what they typed stays, so they correct one field only
    if field_id != "name":
        assert 'value="三宿 たろう"' in answer.text


def test_a_category_closed_to_trial_after_the_page_was_drawn_is_refused(
    visitor: Visitor, session: Session
):
    shopping = session.scalar(select(Category).where(Category.code == "shopping"))
    assert shopping is not None
    shopping.trial_ok = True
    session.flush()
    page = visitor.get("/trial")
    assert 'value="shopping"' in page.text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token
    shopping.trial_ok = False
    session.flush()
    before = volunteers(session)
    answer = visitor.client.post(
        "/trial", data={**form(interests=["shopping"]), "csrf_token": token.group(1)}
    )
    assert answer.status_code == 422
    assert "選べない項目" in error_of(answer.text, "interests")
    assert volunteers(session) == before


def test_a_signup_without_the_forms_csrf_token_is_refused(visitor: Visitor, session: Session):
    before = volunteers(session)
    visitor.get("/trial")
    answer = visitor.client.post("/trial", data=form())
    assert answer.status_code == 400
    assert "ページを読み込み直して" in answer.text
    assert volunteers(session) == before


@pytest.fixture
def limited(engine, database_url, session) -> Visitor:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ENGINE": engine,
            "TRIAL_SIGNUP_RATE_LIMIT": "2 per minute",
            "PROXY_FIX_HOPS": 1,
        }
    )
    app.extensions["sasaeai.sessionmaker"] = sessionmaker(
        bind=session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return Visitor(app.test_client())


def test_signups_are_rate_limited_per_address_with_a_japanese_page(
    limited: Visitor, session: Session
):
    here = {"headers": {"X-Forwarded-For": "203.0.113.9"}}
    assert limited.submit("/trial", form(), **here).status_code == 303
    assert limited.submit("/trial", form(name=""), **here).status_code == 422
    before = volunteers(session)
    stopped = limited.submit("/trial", form(), **here)
    assert stopped.status_code == 429
    assert stopped.mimetype == "text/html"
    assert "申し込みが続いたため" in stopped.text
    assert int(stopped.headers["Retry-After"]) > 0
    assert volunteers(session) == before
    # the form itself still opens, and another address may sign up
    assert limited.get("/trial", **here).status_code == 200
    other = {"headers": {"X-Forwarded-For": "203.0.113.10"}}
    assert limited.submit("/trial", form(), **other).status_code == 303


def test_the_form_offers_the_configured_wards_chome(engine, database_url, session):
    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "ENGINE": engine, "WARD": "目黒区"}
    )
    app.extensions["sasaeai.sessionmaker"] = sessionmaker(
        bind=session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    meguro = Visitor(app.test_client())
    page = meguro.get("/trial")
    assert "目黒区で" in page.text and '<optgroup label="太子堂">' not in page.text
    area = areas("目黒区")[0]
    assert meguro.submit("/trial", form(chome=area.area_name)).status_code == 303
    volunteer = session.scalars(select(Volunteer).order_by(Volunteer.id.desc())).first()
    assert volunteer is not None and volunteer.zone == area.town


@pytest.mark.parametrize("posted", ["太子堂4丁目", "太子堂４丁目", "世田谷区太子堂4丁目"])
def test_a_chome_written_as_the_census_writes_it_is_the_same_chome(
    visitor: Visitor, session: Session, posted: str
):
    # an old page or a bookmark posts the census list's spelling; it is the same 町丁目
    assert visitor.submit("/trial", form(chome=posted)).status_code == 303
    volunteer = session.scalars(select(Volunteer).order_by(Volunteer.id.desc())).first()
    assert volunteer is not None
    assert (volunteer.lat, volunteer.lon, volunteer.zone) == (
        TAISHIDO_4.lat,
        TAISHIDO_4.lon,
        "太子堂",
    )


def test_a_ward_with_no_chome_is_refused_at_start(engine, database_url):
    with pytest.raises(ValueError, match="WARD='世田谷'"):
        create_app(
            {"TESTING": True, "DATABASE_URL": database_url, "ENGINE": engine, "WARD": "世田谷"}
        )


def test_the_form_and_the_api_share_one_count_per_address(limited: Visitor, session: Session):
    here = {"headers": {"X-Forwarded-For": "203.0.113.10"}}
    # one try by the API (a bad body counts too), one by the form: the limit of 2 is reached
    assert limited.client.post("/api/v1/trial-signups", json={}, **here).status_code == 422
    assert limited.submit("/trial", form(), **here).status_code == 303
    assert limited.submit("/trial", form(), **here).status_code == 429
    assert limited.client.post("/api/v1/trial-signups", json={}, **here).status_code == 429
