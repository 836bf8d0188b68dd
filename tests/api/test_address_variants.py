"""Addresses, not coordinates: an SC types the address as the resident says it, and POST
/residents finds its 町丁目 (the 2024 list) and uses its point and 町名.

Over 200 real-looking variants across 14 wards: with and without 東京都 and the ward, 四丁目 or
4丁目 or 4-, full- or half-width digits, with 番地 and a building, after a postcode; a postcode
alone narrows to the town's 町丁目. Each failure names the part that failed, in Japanese.
"""

from __future__ import annotations

from dataclasses import dataclass

import jaconv
import pytest

from matching.addresses import Area, areas, kanji_number

#: (ward, 町名 as the list writes it, 丁目, postcode of the 町, 町名 as people also write it)
PLACES = [
    ("世田谷区", "太子堂", 4, "154-0004", "太子堂"),
    ("世田谷区", "北沢", 2, "155-0031", "北沢"),
    ("世田谷区", "三軒茶屋", 1, None, "三軒茶屋"),
    ("世田谷区", "梅丘", 1, None, "梅ヶ丘"),
    ("中央区", "銀座", 4, "104-0061", "銀座"),
    ("新宿区", "高田馬場", 1, "169-0075", "高田馬場"),
    ("豊島区", "西池袋", 1, "171-0021", "西池袋"),
    ("品川区", "西五反田", 7, "141-0031", "西五反田"),
    ("文京区", "本郷", 3, "113-0033", "本郷"),
    ("杉並区", "高円寺北", 2, "166-0002", "高円寺北"),
    ("墨田区", "江東橋", 4, "130-0022", "江東橋"),
    ("江東区", "豊洲", 3, "135-0061", "豊洲"),
    ("大田区", "蒲田", 5, "144-0052", "蒲田"),
    ("練馬区", "石神井町", 3, "177-0041", "石神井町"),
    ("港区", "虎ノ門", 1, "105-0001", "虎の門"),
    ("千代田区", "霞が関", 1, "100-0013", "霞ヶ関"),
]
#: the ward the test app is set up for: its addresses may leave the ward out
HOME_WARD = "世田谷区"


def area(ward: str, town: str, chome: int) -> Area:
    return next(
        a for a in areas(ward) if a.ward_name == ward and a.town == town and a.chome == chome
    )


def wide(text: str) -> str:
    """Full-width digits and hyphens, as a Japanese keyboard's IME types them."""
    return jaconv.h2z(text, kana=False, digit=True, ascii=True)


@dataclass(frozen=True)
class Variant:
    address: str
    expected: Area
    #: the app's WARD while posting (an address without a ward is in it)
    ward: str = HOME_WARD


def variants() -> list[Variant]:
    found: list[Variant] = []
    for ward, town, n, postcode, said in PLACES:
        expected = area(ward, town, n)
        k = kanji_number(n)
        forms = [
            f"東京都{ward}{town}{k}丁目12番3号",
            f"東京都{ward}{said}{n}丁目12番3号",
            f"{ward}{town}{n}-12-3",
            f"{ward}{said}{n}丁目12-3 サンハイツ201",
            f"東京{ward}{town}{n}-1",
            f"東京都{ward}{town}{wide(f'{n}-12-3')}",
            f"{ward}{said}{wide(str(n))}丁目{wide('5')}番地",
            f"{ward} {town} {n} 12 3",
            f"東京都　{ward}　{town}{k}丁目　１２ー３　コーポ{town}１０２号室",
            f"{ward}{town}{n}丁目",
            f"{ward}{town}{n}ー8ー1",
        ]
        # without 東京都 and the ward: the app's ward
        bare = [f"{said}{n}-12-3", f"{town}{k}丁目12番3号", f"{said}{wide(str(n))}丁目"]
        found += [Variant(f, expected) for f in forms]
        found += [Variant(f, expected, ward=ward) for f in bare]
        if postcode:
            compact = postcode.replace("-", "")
            found += [
                Variant(f"〒{postcode} 東京都{ward}{town}{n}-12-3", expected),
                Variant(f"{compact} {ward}{said}{k}丁目12番3号", expected),
                Variant(f"〒{wide(postcode)} {n}-12-3", expected),
            ]
    return found


VARIANTS = variants()


def test_there_are_over_200_variants_across_several_wards():
    assert len(VARIANTS) >= 200
    assert len({v.expected.ward_name for v in VARIANTS}) >= 5


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.address for v in VARIANTS])
def test_the_address_finds_its_chome(api, coordinator, app, monkeypatch, variant: Variant):
    monkeypatch.setitem(app.config, "WARD", variant.ward)
    body = {"name": "山田 花子", "address": variant.address, "phone": "03-1234-5678"}
    response = api.post("/api/v1/residents", body, token=coordinator)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["address"] == variant.address  # stored as said
    assert (created["lat"], created["lon"]) == (variant.expected.lat, variant.expected.lon)
    assert created["zone"] == variant.expected.town


@pytest.mark.parametrize(
    ("postcode", "ward", "town"),
    [(p, w, t) for w, t, _, p, _ in PLACES if p],
)
def test_a_postcode_alone_narrows_to_the_towns_chome(api, coordinator, postcode, ward, town):
    response = api.post(
        "/api/v1/residents", {"name": "山田", "address": f"〒{postcode}"}, token=coordinator
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["address_part"] == ["chome"]
    assert errors["address"] == [f"丁目を選んでください: 〒{postcode} {ward}{town}"]
    listed = [a.label for a in areas(ward) if a.town == town]
    assert errors["address_candidates"] == listed


@pytest.mark.parametrize(
    ("address", "part", "message"),
    [
        ("   ", "address", "住所が入力されていません"),
        ("〒154-00", "postcode", "郵便番号は7桁です: 〒154-00"),
        ("〒154-0018", "postcode", "郵便番号が見つかりません: 154-0018"),
        ("〒060-0001", "postcode", "郵便番号が23区のものではありません: 060-0001（札幌市中央区）"),
        (
            "〒154-0004 中央区銀座4-1",
            "postcode",
            "郵便番号と住所が合いません: 〒154-0004 は 世田谷区太子堂",
        ),
        ("神奈川県横浜市中区本町1-1", "prefecture", "東京都23区の住所ではありません: 神奈川県"),
        ("東京都世田ヶ谷区太子堂4-1-1", "ward", "区が見つかりません: 世田ヶ谷区"),
        ("東京都武蔵野市吉祥寺本町1-1", "ward", "区が見つかりません: 武蔵野市"),
        ("世田谷区どこにもない町1-1", "town", "町名が見つかりません: どこにもない町"),
        ("世田谷区銀座4-1", "town", "町名が見つかりません: 銀座（中央区にはあります）"),
        ("世田谷区太子堂9-1", "chome", "丁目が見つかりません: 太子堂九丁目"),
        ("東京都中央区銀座十丁目1番", "chome", "丁目が見つかりません: 銀座十丁目"),
    ],
)
def test_an_address_that_matches_no_chome_names_the_part(
    api, coordinator, session, address, part, message
):
    from matching.models import Resident

    before = session.query(Resident).count()
    response = api.post(
        "/api/v1/residents", {"name": "山田", "address": address}, token=coordinator
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert body["errors"]["json"]["address"] == [message]
    assert body["errors"]["json"]["address_part"] == [part]
    assert message in body["message"]
    assert session.query(Resident).count() == before


def test_a_town_without_its_chome_lists_the_chome_to_pick(api, coordinator):
    response = api.post(
        "/api/v1/residents", {"name": "山田", "address": "世田谷区太子堂"}, token=coordinator
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["address_part"] == ["chome"]
    assert errors["address"] == ["丁目を選んでください: 世田谷区太子堂（一丁目〜五丁目）"]
    assert errors["address_candidates"] == [f"世田谷区太子堂{k}丁目" for k in "一二三四五"]


def test_a_volunteer_is_placed_by_address_too(api, coordinator):
    response = api.post(
        "/api/v1/volunteers",
        {"name": "佐藤 一郎", "birth_year": 1950, "address": "太子堂４丁目１２－３"},
        token=coordinator,
    )
    assert response.status_code == 201, response.get_json()
    taishido_4 = area("世田谷区", "太子堂", 4)
    created = response.get_json()
    assert (created["lat"], created["lon"], created["zone"]) == (
        taishido_4.lat,
        taishido_4.lon,
        "太子堂",
    )
    refused = api.post(
        "/api/v1/volunteers",
        {"name": "佐藤 一郎", "birth_year": 1950, "address": "東京都世田ヶ谷区太子堂4-1"},
        token=coordinator,
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["address_part"] == ["ward"]


def test_a_volunteer_needs_a_point_or_an_address(api, coordinator):
    response = api.post(
        "/api/v1/volunteers", {"name": "佐藤 一郎", "birth_year": 1950}, token=coordinator
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["address"] == ["Give lat and lon, or an address."]


def test_a_given_point_and_zone_are_kept_as_today(api, coordinator):
    body = {
        "name": "山田",
        "address": "世田谷区太子堂4-1-1",
        "lat": 35.6432,
        "lon": 139.6710,
        "zone": "三軒茶屋・太子堂圏域",
    }
    created = api.post("/api/v1/residents", body, token=coordinator).get_json()
    assert (created["lat"], created["lon"], created["zone"]) == (35.6432, 139.6710, body["zone"])


def test_the_address_gives_the_point_and_a_given_zone_is_kept(api, coordinator):
    body = {"name": "山田", "address": "世田谷区太子堂4-1-1", "zone": "三軒茶屋・太子堂圏域"}
    created = api.post("/api/v1/residents", body, token=coordinator).get_json()
    taishido_4 = area("世田谷区", "太子堂", 4)
    assert (created["lat"], created["lon"]) == (taishido_4.lat, taishido_4.lon)
    assert created["zone"] == "三軒茶屋・太子堂圏域"


def test_the_trial_signup_takes_an_address_or_either_spelling_of_a_chome(api):
    base = {
        "name": "田中",
        "birth_year": 1990,
        "contact": "jiro@example.jp",
        "interests": ["garbage"],
        "availability": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
    }
    taishido_4 = area("世田谷区", "太子堂", 4)
    for where in (
        {"chome": "太子堂4丁目"},
        {"chome": "太子堂四丁目"},
        {"chome": "世田谷区太子堂４丁目"},
        {"address": "東京都世田谷区太子堂4-12-3"},
    ):
        response = api.post("/api/v1/trial-signups", {**base, **where})
        assert response.status_code == 201, (where, response.get_json())
        assert response.get_json()["zone"] == "太子堂"
    refused = api.post("/api/v1/trial-signups", {**base, "chome": "太子堂九丁目"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["chome_part"] == ["chome"]
    assert taishido_4.area_name == "太子堂四丁目"
