"""GET /residents and GET /volunteers: an SC finds a person by a part of what they know."""

from __future__ import annotations

import pytest


@pytest.fixture
def residents(make_resident):
    return [
        make_resident(name="山田 花子", phone="03-1234-5678", address="世田谷区太子堂4-1-1"),
        make_resident(name="やまだ 太郎", phone="03-9999-0000", address="世田谷区太子堂2-3"),
        make_resident(
            name="Suzuki Ken", phone="090-1111-2222", address="世田谷区北沢2-1", zone="北沢"
        ),
    ]


def names(response):
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("山田", ["山田 花子"]),
        ("ヤマダ", ["やまだ 太郎"]),  # katakana finds hiragana
        ("ﾔﾏﾀﾞ", ["やまだ 太郎"]),  # half-width katakana too
        ("suzuki", ["Suzuki Ken"]),  # any case
        ("ＳＵＺＵＫＩ", ["Suzuki Ken"]),  # full-width letters
        ("0312345678", ["山田 花子"]),  # a phone number without its hyphens
        ("１２３４", ["山田 花子"]),  # full-width digits
        ("太子堂", ["山田 花子", "やまだ 太郎"]),  # a part of the address
        ("%", []),  # LIKE's wildcards are plain characters
        ("誰もいない", []),
    ],
)
def test_residents_are_found_by_name_phone_or_address(api, coordinator, residents, q, found):
    assert names(api.get("/api/v1/residents", coordinator, query_string={"q": q})) == found


def test_residents_are_filtered_by_zone_and_paged(api, coordinator, residents, make_resident):
    for i in range(5):
        make_resident(name=f"北沢の人{i}", zone="北沢")
    first = api.get(
        "/api/v1/residents", coordinator, query_string={"zone": "北沢", "page_size": 4}
    ).get_json()
    assert (first["total"], first["pages"], first["page"], first["page_size"]) == (6, 2, 1, 4)
    assert [i["name"] for i in first["items"]] == ["Suzuki Ken"] + [
        f"北沢の人{i}" for i in range(3)
    ]
    second = api.get(
        "/api/v1/residents", coordinator, query_string={"zone": "北沢", "page_size": 4, "page": 2}
    ).get_json()
    assert [i["name"] for i in second["items"]] == ["北沢の人3", "北沢の人4"]
    assert second["items"][0]["phone"] == "03-1234-5678"


def test_only_coordinators_search_people(api, residents, make_volunteer):
    _, volunteer_token = make_volunteer()
    assert api.get("/api/v1/residents").status_code == 401
    assert api.get("/api/v1/residents", volunteer_token).status_code == 403
    assert api.get("/api/v1/volunteers", volunteer_token).status_code == 403


def test_volunteers_are_found_by_name_contact_zone_status_and_skill(
    api, coordinator, make_volunteer
):
    make_volunteer(name="佐藤 一郎", contact="03-5555-1111", skills=["garbage"])
    make_volunteer(name="さとう 次郎", contact="jiro@example.jp", skills=["ladder"], zone="北沢")
    make_volunteer(name="高橋 三郎", status="trial", skills=["garbage"])

    def find(**query):
        return names(api.get("/api/v1/volunteers", coordinator, query_string=query))

    assert find(q="サトウ") == ["さとう 次郎"]
    assert find(q="佐藤") == ["佐藤 一郎"]
    assert find(q="0355551111") == ["佐藤 一郎"]
    assert find(q="JIRO@") == ["さとう 次郎"]
    assert find(zone="北沢") == ["さとう 次郎"]
    assert find(status="trial") == ["高橋 三郎"]
    assert find(skill="garbage") == ["佐藤 一郎", "高橋 三郎"]
    assert find(skill="garbage", status="active") == ["佐藤 一郎"]
    page = api.get("/api/v1/volunteers", coordinator, query_string={"page_size": 2}).get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 2)
    assert page["items"][0]["contact"] == "03-5555-1111"
    assert page["items"][0]["skills"] == ["garbage"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": 0}, "page"),
        ({"page_size": 201}, "page_size"),
        ({"status": "retired"}, "status"),
        ({"q": ""}, "q"),
    ],
)
def test_bad_search_parameters_are_422(api, coordinator, query, field):
    response = api.get("/api/v1/volunteers", coordinator, query_string=query)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]
