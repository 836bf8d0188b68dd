"""One 町丁目 list for zones: a 町丁目 named as the 2015 census list or the 2024 list writes it
is the same place, with the same zone (町名, as the 2024 list spells it)."""

from __future__ import annotations

import pytest

from db import InvalidInput
from matching import places
from matching.addresses import areas
from matching.geography import load_chome


def test_every_census_zone_is_a_2024_zone_of_the_same_ward():
    towns = {(a.ward_code, a.town) for a in areas()}
    for chome in load_chome():
        assert (chome.ward_code, places.zone_of(chome)) in towns, chome


@pytest.mark.parametrize(
    ("ward", "census", "listed"),
    [
        ("世田谷区", "太子堂4丁目", "太子堂四丁目"),  # 4丁目 = 四丁目
        ("北区", "西ヶ原1丁目", "西ケ原一丁目"),  # ヶ = ケ
        ("渋谷区", "松涛1丁目", "松濤一丁目"),  # the 2024 list's kanji
        ("千代田区", "三崎町1丁目", "神田三崎町一丁目"),  # renamed: the nearest, by point
        ("新宿区", "本塩町", "四谷本塩町"),
    ],
)
def test_a_census_chome_is_its_2024_chome(ward, census, listed):
    (chome,) = [c for c in load_chome(ward) if c.area_name == census]
    assert places.area_of(chome).area_name == listed
    assert places.zone_of_area(census, ward=ward) == places.zone_of_area(listed, ward=ward)
    assert places.find_area(census, ward=ward) == places.find_area(f"{ward}{listed}")


@pytest.mark.parametrize(
    "name", ["太子堂4丁目", "太子堂四丁目", "太子堂４丁目", "世田谷区太子堂4丁目"]
)
def test_either_spelling_finds_the_same_chome(name):
    assert places.find_area(name).label == "世田谷区太子堂四丁目"


@pytest.mark.parametrize(
    ("name", "ward", "error"),
    [
        ("太子堂9丁目", None, "丁目が見つかりません: 太子堂九丁目"),
        ("本町1丁目", None, "区を指定してください: 中野区・渋谷区"),
        ("太子堂4-1-1", None, "町丁目だけを入力してください（番地は要りません）: 1-1"),
    ],
)
def test_a_name_that_is_not_one_chome_is_refused(name, ward, error):
    with pytest.raises(InvalidInput) as refused:
        places.find_area(name, ward=ward)
    assert (refused.value.errors or {})["chome"][0] == error


def test_a_map_point_is_kept_only_near_the_addresss_chome():
    taishido_4 = places.find_area("太子堂四丁目")
    near = places.place_of(
        address="太子堂4-1", lat=taishido_4.lat + 0.01, lon=taishido_4.lon, keep_point_within_m=1500
    )
    assert near.point_kept and near.lat == taishido_4.lat + 0.01  # about 1.1 km
    far = places.place_of(
        address="太子堂4-1", lat=taishido_4.lat + 0.02, lon=taishido_4.lon, keep_point_within_m=1500
    )
    assert not far.point_kept and (far.lat, far.lon) == (taishido_4.lat, taishido_4.lon)
