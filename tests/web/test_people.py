"""People: an SC finds residents and volunteers, and takes a resident's details by phone; the
address finds the 町丁目 (or a short list to pick from, or says which part is wrong)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching import services
from matching.addresses import areas
from matching.models import Assignment, Resident
from tests.conftest import local
from tests.web.conftest import Visitor

TAISHIDO_4 = next(a for a in areas("世田谷区") if a.area_name == "太子堂四丁目")


@pytest.fixture
def sc(visitor: Visitor, make_staff) -> Visitor:
    make_staff(name="sc-taishido")
    assert visitor.sign_in("sc-taishido").status_code == 303
    return visitor


def intake(**changes: Any) -> dict[str, str]:
    data = {
        "name": "山田 花子",
        "address": "太子堂4-12-3 サンハイツ201",
        "phone": "０３−１２３４−５６７８",
        "notes": "耳が遠いので電話はゆっくり",
        "lat": "",
        "lon": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def residents(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resident)) or 0


def error_of(html: str, field_id: str) -> str:
    found = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    assert found, f"no error next to {field_id}"
    return re.sub(r"<[^>]+>", "", found.group(1))


def newest(session: Session) -> Resident:
    resident = session.scalars(select(Resident).order_by(Resident.id.desc())).first()
    assert resident is not None
    return resident


@pytest.mark.parametrize(
    "path", ["/residents", "/residents/new", "/volunteers", "/residents/1", "/volunteers/1"]
)
def test_only_signed_in_staff_see_people(visitor: Visitor, path: str):
    response = visitor.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_an_address_as_said_finds_its_chome_and_the_page_says_which(sc: Visitor, session):
    before = residents(session)
    answer = sc.submit("/residents/new", intake())
    assert answer.status_code == 303
    resident = newest(session)
    assert residents(session) == before + 1
    assert answer.headers["Location"] == f"/residents/{resident.id}"
    assert (resident.lat, resident.lon, resident.zone) == (TAISHIDO_4.lat, TAISHIDO_4.lon, "太子堂")
    assert resident.address == "太子堂4-12-3 サンハイツ201"  # as said
    assert resident.phone == "03-1234-5678"  # a phone's full-width digits made plain
    page = sc.get(answer.headers["Location"])
    assert (
        "山田 花子 さんを登録しました。場所: 世田谷区太子堂四丁目（町丁目の代表地点）" in page.text
    )
    assert "世田谷区太子堂四丁目" in page.text
    assert f'href="/dispatch/requests/new?resident_id={resident.id}"' in page.text
    assert "依頼を受ける" in page.text


def test_an_address_that_narrows_to_several_chome_offers_them_to_pick(sc: Visitor, session):
    before = residents(session)
    answer = sc.submit("/residents/new", intake(address="〒154-0004"))
    assert answer.status_code == 422
    assert residents(session) == before
    offered = re.findall(r'<input[^>]*name="area"[^>]*value="([^"]+)"', answer.text)
    assert offered == [f"世田谷区太子堂{k}丁目" for k in "一二三四五"]
    assert "丁目を選んでください: 〒154-0004 世田谷区太子堂" in error_of(answer.text, "area")
    # the SC asks, and picks 四丁目
    picked = sc.submit("/residents/new", intake(address="〒154-0004", area="世田谷区太子堂四丁目"))
    assert picked.status_code == 303
    resident = newest(session)
    assert (resident.lat, resident.lon, resident.zone) == (TAISHIDO_4.lat, TAISHIDO_4.lon, "太子堂")
    # what a volunteer will read names the 町丁目, not only the postcode that was said
    assert resident.address == "〒154-0004（世田谷区太子堂四丁目）"


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("東京都世田ヶ谷区太子堂4-1", "区を確かめてください — 区が見つかりません: 世田ヶ谷区"),
        ("太子堂9-1", "丁目を確かめてください — 丁目が見つかりません: 太子堂九丁目"),
        ("銀座4-1", "町名を確かめてください — 町名が見つかりません: 銀座（中央区にはあります）"),
        ("〒154-00", "郵便番号を確かめてください — 郵便番号は7桁です: 〒154-00"),
    ],
)
def test_an_address_that_matches_nothing_says_which_part_next_to_it(
    sc: Visitor, session, address, said
):
    before = residents(session)
    answer = sc.submit("/residents/new", intake(address=address))
    assert answer.status_code == 422
    assert error_of(answer.text, "address") == said
    assert 'aria-invalid="true"' in answer.text
    assert residents(session) == before


def test_a_point_picked_on_the_map_near_the_chome_is_kept_a_far_one_is_not(sc: Visitor, session):
    near = (TAISHIDO_4.lat + 0.003, TAISHIDO_4.lon + 0.003)  # about 430 m away
    sc.submit("/residents/new", intake(lat=str(near[0]), lon=str(near[1])))
    assert (newest(session).lat, newest(session).lon) == near
    far = (TAISHIDO_4.lat + 0.05, TAISHIDO_4.lon)  # about 5.6 km away: a slip on the map
    sc.submit("/residents/new", intake(lat=str(far[0]), lon=str(far[1])))
    assert (newest(session).lat, newest(session).lon) == (TAISHIDO_4.lat, TAISHIDO_4.lon)
    sc.submit("/residents/new", intake(lat="nan", lon="x"))
    assert (newest(session).lat, newest(session).lon) == (TAISHIDO_4.lat, TAISHIDO_4.lon)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "お名前を入力してください。"),
        ({"address": ""}, "address", "住所を入力してください。"),
        ({"phone": "でんわ"}, "phone", "電話番号は数字とハイフンで入力してください"),
    ],
)
def test_missing_or_wrong_fields_are_said_next_to_them(sc: Visitor, change, field, message):
    answer = sc.submit("/residents/new", intake(**change))
    assert answer.status_code == 422
    assert message in error_of(answer.text, field)


def test_the_intake_form_needs_its_csrf_token(sc: Visitor, session):
    before = residents(session)
    answer = sc.client.post("/residents/new", data=intake())
    assert answer.status_code == 400
    assert residents(session) == before


def test_residents_are_searched_and_paged(sc: Visitor, make_resident):
    make_resident(name="やまだ 花子", phone="03-1111-2222")
    for i in range(21):
        make_resident(name=f"北沢の人{i:02d}", zone="北沢", address=f"世田谷区北沢2-{i}")
    found = sc.get("/residents", query_string={"q": "ヤマダ"})
    assert "見つかった利用者（1人）" in found.text and "やまだ 花子" in found.text
    assert sc.get("/residents", query_string={"q": "0311112222"}).text.count("やまだ 花子") == 1
    first = sc.get("/residents", query_string={"zone": "北沢"})
    assert "（21人）" in first.text and "1 / 2 ページ" in first.text
    assert "北沢の人19" in first.text and "北沢の人20" not in first.text
    link = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert link
    second = sc.get(link.group(1).replace("&amp;", "&"))
    assert "北沢の人20" in second.text and "北沢の人00" not in second.text
    assert "見つかりませんでした" in sc.get("/residents", query_string={"q": "誰もいない"}).text


def test_a_residents_page_lists_their_requests_with_status(
    sc: Visitor, make_resident, make_help_request
):
    resident = make_resident()
    make_help_request(resident=resident, category="garbage", notes="燃えるゴミ")
    page = sc.get(f"/residents/{resident.id}")
    assert page.status_code == 200
    assert "ゴミ出し" in page.text and "受付中" in page.text and "燃えるゴミ" in page.text
    assert sc.get("/residents/999999").status_code == 404


def test_volunteers_are_searched_by_name_zone_status_and_skill(sc: Visitor, make_volunteer):
    make_volunteer(name="佐藤 一郎", contact="03-5555-1111", skills=["garbage"])
    make_volunteer(name="さとう 次郎", contact="090-2222-3333", skills=["ladder"], zone="北沢")
    make_volunteer(name="高橋 三郎", status="trial", skills=["garbage"])
    page = sc.get("/volunteers", query_string={"q": "サトウ"})
    assert "さとう 次郎" in page.text and "佐藤 一郎" not in page.text
    assert "090-2222-3333" in page.text
    trial = sc.get("/volunteers", query_string={"status": "trial", "skill": "garbage"})
    assert "高橋 三郎" in trial.text and "佐藤 一郎" not in trial.text
    north = sc.get("/volunteers", query_string={"zone": "北沢"})
    assert "さとう 次郎" in north.text and "高橋 三郎" not in north.text
    # an unknown status or skill is no filter, not an error
    assert sc.get("/volunteers", query_string={"status": "x", "skill": "y"}).status_code == 200


def test_a_volunteers_page_shows_contact_skills_weekdays_and_tasks(
    sc: Visitor, session, make_volunteer, make_help_request
):
    volunteer, _ = make_volunteer(
        name="佐藤 一郎",
        contact="03-5555-1111",
        availability=[{"weekday": 1, "start_min": 540, "end_min": 720}],
    )
    request = make_help_request(window_start=local(2, 7), window_end=local(2, 9))
    session.add(
        Assignment(
            help_request_id=request.id,
            volunteer_id=volunteer.id,
            status="accepted",
            distance_m=412.0,
            cost=412.0,
        )
    )
    session.flush()
    page = sc.get(f"/volunteers/{volunteer.id}")
    assert page.status_code == 200
    for shown in ("03-5555-1111", "火曜日 9:00〜12:00", "活動中", "ゴミ出し", "引き受け", "412 m"):
        assert shown in page.text, shown


def test_the_resident_service_is_the_apis(session: Session):
    # the screen and POST /api/v1/residents call the same function with the same words
    resident, place = services.register_resident(
        session, name="山田", address="太子堂4-1", ward="世田谷区"
    )
    assert place.area == TAISHIDO_4 and resident.zone == "太子堂"


def registration(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "佐藤 一郎",
        "birth_year": "１９４８",
        "contact": "03−5555−1111",
        "address": "太子堂4丁目",
        "max_distance_m": "500",
        "skills": ["garbage", "shopping"],
        "slots-0-weekday": "1",
        "slots-0-start": str(9 * 60),
        "slots-0-end": str(12 * 60),
        "slots-1-weekday": "3",
        "slots-1-start": str(14 * 60),
        "slots-1-end": str(16 * 60),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_sc_registers_an_elderly_volunteer_by_phone(sc: Visitor, session):
    from matching.models import Volunteer

    answer = sc.submit("/volunteers/new", registration())
    assert answer.status_code == 303
    volunteer = session.scalars(select(Volunteer).order_by(Volunteer.id.desc())).first()
    assert volunteer is not None and answer.headers["Location"] == f"/volunteers/{volunteer.id}"
    assert (volunteer.name, volunteer.birth_year, volunteer.contact) == (
        "佐藤 一郎",
        1948,
        "03-5555-1111",
    )
    assert (volunteer.lat, volunteer.lon, volunteer.zone) == (
        TAISHIDO_4.lat,
        TAISHIDO_4.lon,
        "太子堂",
    )
    assert volunteer.status == "active" and volunteer.max_distance_m == 500
    assert volunteer.skill_codes == ["garbage", "shopping"]
    assert [(s.weekday, s.start_min, s.end_min) for s in volunteer.availability] == [
        (1, 540, 720),
        (3, 840, 960),
    ]
    page = sc.get(answer.headers["Location"])
    assert "佐藤 一郎 さんをボランティアとして登録しました。" in page.text
    assert "木曜日 14:00〜16:00" in page.text


def test_a_volunteers_address_is_picked_or_corrected_like_a_residents(sc: Visitor, session):
    answer = sc.submit("/volunteers/new", registration(address="世田谷区太子堂"))
    assert answer.status_code == 422
    offered = re.findall(r'<input[^>]*name="area"[^>]*value="([^"]+)"', answer.text)
    assert offered == [f"世田谷区太子堂{k}丁目" for k in "一二三四五"]
    picked = sc.submit(
        "/volunteers/new", registration(address="世田谷区太子堂", area="世田谷区太子堂二丁目")
    )
    assert picked.status_code == 303
    wrong = sc.submit("/volunteers/new", registration(address="世田谷区太子堂9-1"))
    assert error_of(wrong.text, "address") == (
        "丁目を確かめてください — 丁目が見つかりません: 太子堂九丁目"
    )
    year = sc.submit("/volunteers/new", registration(birth_year="昭和23"))
    assert "西暦の数字で入力してください" in error_of(year.text, "birth_year")


def test_a_volunteers_page_says_how_many_times_they_did_not_show(
    sc: Visitor, session: Session, make_volunteer, make_help_request
):
    volunteer, _ = make_volunteer(name="来ない 人")
    request = make_help_request(
        window_start=local(-2, 7), window_end=local(-2, 9), now=local(-3, 0)
    )
    session.add(
        Assignment(
            help_request_id=request.id,
            volunteer_id=volunteer.id,
            status="no_show",
            distance_m=10.0,
            cost=10.0,
        )
    )
    session.flush()
    page = sc.get(f"/volunteers/{volunteer.id}")
    assert "来られなかった回数" in page.text and "1回" in page.text
