"""The maps' geometry: ward outlines, a zone's 町丁目, and the flat frame they are drawn in."""

from __future__ import annotations

import math

import pytest

from matching import zonemap as geo
from matching.addresses import areas
from matching.geography import load_chome
from matching.places import area_of, zone_of_area

TAISHIDO_4 = (35.64312, 139.66975)  # near 太子堂4丁目's census point


def test_the_23_wards_each_have_an_outline_that_draws_as_a_closed_path():
    names = geo.ward_names()
    assert len(names) == 23
    assert names[0] == "千代田区" and names[-1] == "江戸川区"
    for ward in names:
        rings = geo.ward_outline(ward)
        frame = geo.fit(geo.ward_points(ward))
        d = geo.path_data(frame, rings)
        assert d.startswith("M") and d.endswith("Z"), ward
        assert d.count("M") == len([r for r in rings if len(r) >= 3])
        # every vertex lies inside the frame fitted to it
        for lat, lon in geo.ward_points(ward):
            x, y = frame.project(lat, lon)
            assert 0 <= x <= frame.width and 0 <= y <= frame.height, ward


def test_a_ward_is_found_by_name_or_code_and_anything_else_is_refused():
    assert geo.ward_outline("13112") == geo.ward_outline("世田谷区")
    with pytest.raises(ValueError, match="23 wards"):
        geo.ward_outline("横浜市")


def test_north_is_up_east_is_right_and_a_metre_is_as_long_each_way():
    frame = geo.fit([TAISHIDO_4])
    x, y = frame.project(*TAISHIDO_4)
    north = frame.project(TAISHIDO_4[0] + 100 / geo.M_PER_DEG_LAT, TAISHIDO_4[1])
    cos_lat = math.cos(math.radians(TAISHIDO_4[0]))
    east = frame.project(TAISHIDO_4[0], TAISHIDO_4[1] + 100 / (geo.M_PER_DEG_LAT * cos_lat))
    assert north[1] < y and north[0] == pytest.approx(x)
    assert east[0] > x and east[1] == pytest.approx(y)
    # 100 m north and 100 m east are the same length on the map (cos(latitude) scaling)
    assert y - north[1] == pytest.approx(east[0] - x, rel=1e-3)
    assert y - north[1] == pytest.approx(100 / frame.metres_per_unit, rel=1e-3)


def test_a_known_point_maps_inside_the_view_box_and_back():
    points = [(c.lat, c.lon) for c in geo.zone_chome("世田谷区", "太子堂")]
    frame = geo.fit(points)
    assert frame.view_box() == f"0 0 {frame.width:.1f} {frame.height:.1f}"
    assert max(frame.width, frame.height) == pytest.approx(geo.SIZE)
    for lat, lon in points:
        x, y = frame.project(lat, lon)
        # inside, with a margin of at least MARGIN_M on every side
        margin = geo.MARGIN_M / frame.metres_per_unit * 0.99
        assert margin <= x <= frame.width - margin
        assert margin <= y <= frame.height - margin
        assert frame.unproject(x, y) == pytest.approx((lat, lon))


def test_a_frame_is_never_a_close_up_of_one_dot_nor_a_sliver():
    one = geo.fit([TAISHIDO_4])
    assert one.width * one.metres_per_unit >= geo.MIN_SPAN_M * 0.999
    assert one.height * one.metres_per_unit >= geo.MIN_SPAN_M * 0.999
    # a long east-west row of points gets a frame at least MIN_ASPECT tall
    row = [(35.64, 139.60 + i * 0.01) for i in range(10)]
    wide = geo.fit(row)
    assert wide.height / wide.width == pytest.approx(geo.MIN_ASPECT, rel=1e-3)
    column = [(35.60 + i * 0.01, 139.66) for i in range(10)]
    tall = geo.fit(column)
    assert tall.height / tall.width == pytest.approx(geo.MAX_ASPECT, rel=1e-3)
    with pytest.raises(ValueError, match="at least one point"):
        geo.fit([])


def test_a_zone_is_its_chome_by_the_same_rule_as_the_service():
    # the zones are the 2024 list's 町名, whichever list a person was placed from
    for c in load_chome("世田谷区"):
        assert area_of(c) in geo.zone_chome("世田谷区", zone_of_area(c.area_name))
    names = [c.area_name for c in geo.zone_chome("世田谷区", "太子堂")]
    assert names == [f"太子堂{n}丁目" for n in "一二三四五"]
    assert geo.zone_chome("世田谷区", "どこにもない町") == []
    assert len(geo.zone_chome("世田谷区", None)) == len(areas("世田谷区"))
    zones = geo.ward_zones("世田谷区")
    assert "太子堂" in zones and len(zones) == len(set(zones))


def test_the_neighbourhood_of_a_point_is_1_5_km_square_centred_on_it():
    frame = geo.around(*TAISHIDO_4)
    assert frame.width == pytest.approx(frame.height)
    assert frame.width * frame.metres_per_unit == pytest.approx(2 * geo.NEIGHBOURHOOD_M)
    assert frame.project(*TAISHIDO_4) == pytest.approx((frame.width / 2, frame.height / 2))
    names = {c.area_name for c in geo.chome_in(frame)}
    assert "太子堂四丁目" in names and "三軒茶屋一丁目" in names
    # by a ward's border the neighbours' 町丁目 are there too (池尻一丁目 is by 目黒区)
    ikejiri = geo.zone_chome("世田谷区", "池尻")[0]
    nearby = geo.chome_in(geo.around(ikejiri.lat, ikejiri.lon))
    assert {c.ward_name for c in nearby} == {"世田谷区", "目黒区"}
    assert {
        c.ward_name for c in geo.chome_in(geo.around(ikejiri.lat, ikejiri.lon), "世田谷区")
    } == {"世田谷区"}
