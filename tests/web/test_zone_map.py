"""The zone map and the point picker (inline SVG drawn on the server), and the staff page
/map/ that shows a zone's requests, volunteers and the newest match run's pairs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from flask import Flask

from matching import dispatch
from matching import zonemap as geo
from tests.web.conftest import Visitor
from web.zonemap import MapPair, MapRequest, MapVolunteer, point_picker, zone_map

SVG = ""  # the tree below is read as HTML (tags and attribute names in lower case)
VOID = {"input", "br", "img", "meta", "link"}


class _Tree(HTMLParser):
    """Markup read into ElementTree elements, as a browser's HTML parser reads it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("root")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = ET.SubElement(self.open[-1], tag, {k: v or "" for k, v in attrs})
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ET.SubElement(self.open[-1], tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        # (a fragment may end with its parents' end tags: those close nothing here)
        if any(element.tag == tag for element in self.open[1:]):
            while self.open.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        here = self.open[-1]
        here.text = (here.text or "") + data


def the_map(markup: str) -> ET.Element:
    """The first <svg> of the markup (the map; the legend's icons come after it)."""
    tree = _Tree()
    tree.feed(markup)
    tree.close()
    return next(tree.root.iter("svg"))


def translate(element: ET.Element) -> tuple[float, float]:
    found = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", element.get("transform", ""))
    assert found, element.attrib
    return float(found.group(1)), float(found.group(2))


def view_box(svg: ET.Element) -> tuple[float, float]:
    x0, y0, width, height = (float(v) for v in svg.get("viewbox", "").split())
    assert (x0, y0) == (0, 0)
    return width, height


REQUESTS = [
    MapRequest(id=1, label="依頼1", lat=35.6432, lon=139.6710, detail="ゴミ出し"),
    MapRequest(id=2, label="依頼2", lat=35.6452, lon=139.6660),
]
VOLUNTEERS = [
    MapVolunteer(id=7, label="佐藤 一郎", lat=35.6440, lon=139.6690),
    MapVolunteer(id=8, label="田中 次郎", lat=35.6470, lon=139.6720, trial=True),
]
PAIRS = [
    MapPair(request_id=1, volunteer_id=7, status="accepted"),
    MapPair(request_id=2, volunteer_id=8, status="proposed"),
]


def test_pairs_are_lines_between_the_centres_of_their_markers_dashed_until_accepted():
    svg = the_map(
        zone_map(
            ward="世田谷区", zone="太子堂", requests=REQUESTS, volunteers=VOLUNTEERS, pairs=PAIRS
        )
    )
    centres = {
        ("request", g.get("data-request")): translate(g)
        for g in svg.iter(f"{SVG}g")
        if g.get("data-request")
    } | {
        ("volunteer", g.get("data-volunteer")): translate(g)
        for g in svg.iter(f"{SVG}g")
        if g.get("data-volunteer")
    }
    assert len(centres) == 4
    lines = [line for line in svg.iter(f"{SVG}line")]
    assert len(lines) == 2
    for line in lines:
        start = centres[("request", line.get("data-request"))]
        end = centres[("volunteer", line.get("data-volunteer"))]
        assert (float(line.get("x1")), float(line.get("y1"))) == start
        assert (float(line.get("x2")), float(line.get("y2"))) == end
    accepted, proposed = lines
    assert accepted.get("data-status") == "accepted" and accepted.get("stroke-dasharray") is None
    assert proposed.get("data-status") == "proposed" and proposed.get("stroke-dasharray")


def test_requests_and_volunteers_are_different_shapes_with_their_names_in_titles():
    svg = the_map(
        zone_map(
            ward="世田谷区", zone="太子堂", requests=REQUESTS, volunteers=VOLUNTEERS, pairs=PAIRS
        )
    )
    markers = [g for g in svg.iter(f"{SVG}g") if g.get("data-request") or g.get("data-volunteer")]
    for g in markers:
        shape = [child.tag for child in g if child.tag != f"{SVG}title"]
        assert shape == ([f"{SVG}rect"] if g.get("data-request") else [f"{SVG}polygon"])
    titles = {g.findtext(f"{SVG}title") for g in markers}
    assert titles == {
        "依頼: 依頼1（ゴミ出し）",
        "依頼: 依頼2",
        "ボランティア: 佐藤 一郎",
        "おためしボランティア: 田中 次郎",
    }
    # a trial volunteer's triangle is hollow: told apart by more than its colour
    fills = {
        g.get("data-volunteer"): g.find(f"{SVG}polygon").get("fill")
        for g in markers
        if g.get("data-volunteer")
    }
    assert fills["8"] == "#ffffff" and fills["7"] != "#ffffff"
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"依頼1", "依頼2", "佐藤 一郎", "田中 次郎"} <= set(labels)


def test_the_map_is_an_image_with_a_japanese_name_description_and_legend():
    markup = zone_map(
        ward="世田谷区", zone="太子堂", requests=REQUESTS, volunteers=VOLUNTEERS, pairs=PAIRS
    )
    svg = the_map(markup)
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.findtext(f"{SVG}title") == "世田谷区太子堂の地図"
    assert svg.find(f"{SVG}desc").get("id") == desc_id
    assert svg.findtext(f"{SVG}desc").startswith(
        "依頼 2件（四角）、ボランティア 2人（三角）、提案中の組み合わせ 1組（点線）、"
        "決まった組み合わせ 1組（実線）"
    )
    assert "width:100%" in svg.get("style") and "height:auto" in svg.get("style")
    legend = markup[markup.index('<ul class="zonemap__legend"') :]
    for words in (
        "依頼（住民の場所）",
        "ボランティア",
        "おためしボランティア",
        "提案中",
        "決まり",
        "町丁目の代表点",
    ):
        assert f"<span>{words}</span>" in legend
    # a second map on the same page gets ids of its own
    other = the_map(zone_map(ward="世田谷区", zone="太子堂", dom_id="second"))
    assert other.get("aria-labelledby") == "second-title second-desc"


def test_the_zone_s_chome_are_faint_points_named_in_titles_inside_the_view_box():
    svg = the_map(zone_map(ward="世田谷区", zone="太子堂", requests=[], volunteers=[], pairs=[]))
    width, height = view_box(svg)
    dots = [c for c in svg.iter(f"{SVG}circle")]
    assert [c.findtext(f"{SVG}title") for c in dots] == [f"太子堂{n}丁目" for n in "一二三四五"]
    for dot in dots:
        assert 0 < float(dot.get("cx")) < width and 0 < float(dot.get("cy")) < height
        assert float(dot.get("fill-opacity")) < 1
    ward = svg.find(f"{SVG}path")
    assert ward.findtext(f"{SVG}title") == "世田谷区" and ward.get("d").startswith("M")


def test_without_a_zone_the_whole_ward_is_in_view():
    svg = the_map(zone_map(ward="北区", zone=None))
    width, height = view_box(svg)
    frame = geo.fit(geo.ward_points("北区"))
    assert (width, height) == (round(frame.width, 1), round(frame.height, 1))
    assert len(list(svg.iter(f"{SVG}circle"))) == len(geo.zone_chome("北区", None))


def test_a_marker_far_from_the_zone_widens_the_map_rather_than_falling_off_it():
    far = MapVolunteer(id=9, label="遠く", lat=35.6300, lon=139.6500)
    svg = the_map(zone_map(ward="世田谷区", zone="太子堂", volunteers=[far]))
    width, height = view_box(svg)
    (marker,) = [g for g in svg.iter(f"{SVG}g") if g.get("data-volunteer")]
    x, y = translate(marker)
    assert 0 < x < width and 0 < y < height


def test_names_are_escaped_and_a_pair_off_the_map_is_refused():
    sly = MapRequest(id=3, label="<script>alert(1)</script>", lat=35.6432, lon=139.6710)
    markup = zone_map(ward="世田谷区", zone="太子堂", requests=[sly])
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    with pytest.raises(ValueError, match="not on the map"):
        zone_map(
            ward="世田谷区",
            zone="太子堂",
            requests=REQUESTS,
            pairs=[MapPair(request_id=1, volunteer_id=99)],
        )
    with pytest.raises(ValueError, match="23 wards"):
        zone_map(ward="横浜市", zone=None)


def test_the_point_picker_centres_its_marker_on_the_point_and_fills_hidden_inputs(app: Flask):
    with app.test_request_context():
        markup = point_picker(
            ward="世田谷区", lat=35.6432, lon=139.6710, field_lat="home_lat", field_lon="home_lon"
        )
    assert '<input type="hidden" name="home_lat" value="35.643200" data-pointpicker-lat>' in markup
    assert '<input type="hidden" name="home_lon" value="139.671000" data-pointpicker-lon>' in markup
    assert '<script src="/assets/zonemap.js" defer></script>' in markup
    svg = the_map(markup)
    width, height = view_box(svg)
    (marker,) = [g for g in svg.iter(f"{SVG}g") if g.get("data-pointpicker-marker") is not None]
    assert translate(marker) == pytest.approx((width / 2, height / 2), abs=0.1)
    assert svg.get("tabindex") == "0" and svg.get("role") == "img"
    names = {c.get("data-name") for c in svg.iter(f"{SVG}circle") if c.get("data-name")}
    assert {"太子堂四丁目", "三軒茶屋一丁目"} <= names
    assert "いちばん近い町丁目: 三軒茶屋一丁目" in markup
    # the data the script needs to turn a tap back into latitude and longitude
    frame = geo.around(35.6432, 139.6710)
    assert f'data-west="{frame.west!r}"' in markup and f'data-scale="{frame.scale!r}"' in markup


# --- the page -------------------------------------------------------------------------------


def test_the_map_page_is_for_staff_only(visitor: Visitor):
    answer = visitor.get("/map/?zone=太子堂")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


def test_the_zone_page_shows_open_requests_volunteers_and_the_newest_run_s_pairs(
    visitor: Visitor, make_staff, session, make_resident, make_help_request, make_volunteer
):
    make_staff()
    visitor.sign_in("sc-kitazawa")
    near = make_resident(name="山田 花子")
    other = make_resident(name="鈴木 正", lat=35.6452, lon=139.6660)
    paired = make_help_request(resident=near)
    volunteer, _ = make_volunteer(name="佐藤 一郎")
    run = dispatch.run_match(session, zone="太子堂")
    (assignment,) = run.assignments
    dispatch.accept(session, assignment_id=assignment.id)
    waiting = make_help_request(resident=other)
    make_volunteer(name="田中 次郎", status="trial", lat=35.6470, lon=139.6720)
    elsewhere = make_resident(name="北 太郎", zone="三軒茶屋", lat=35.6410, lon=139.6700)
    make_help_request(resident=elsewhere)

    page = visitor.get("/map/?zone=太子堂")
    assert page.status_code == 200
    html = page.text
    assert "<h1>太子堂の地図</h1>" in html
    assert f'data-request="{paired.id}"' in html and f'data-request="{waiting.id}"' in html
    assert "北 太郎" not in html
    assert "山田 花子" in html and "鈴木 正" in html
    assert "7:00〜9:00" in html  # the requests' windows, in Tokyo time
    assert "佐藤 一郎" in html and "田中 次郎" in html and "おためし" in html
    svg = the_map(html[html.index('<figure class="zonemap"') :])
    (line,) = svg.iter(f"{SVG}line")
    assert line.get("data-status") == "accepted"
    assert line.get("data-request") == str(paired.id)
    assert line.get("data-volunteer") == str(volunteer.id)
    assert '<option value="太子堂" selected>太子堂</option>' in html
    assert "zonemap.css" in html and "zonemap.js" in html
    # the picker starts at the first request's point
    assert 'name="lat" value="35.643200"' in html


def test_the_picker_s_point_is_checked_against_the_chome_without_javascript(
    visitor: Visitor, make_staff
):
    make_staff()
    visitor.sign_in("sc-kitazawa")
    page = visitor.get("/map/?zone=太子堂&lat=35.64312&lon=139.66975")
    assert "この地点にいちばん近い町丁目は 世田谷区太子堂四丁目（代表点から約" in page.text
    assert 'name="lat" value="35.643120"' in page.text
    outside = visitor.get("/map/?lat=35.4437&lon=139.6380")  # 横浜
    assert "この地点は23区の外です。" in outside.text
    junk = visitor.get("/map/?lat=nan&lon=x")
    assert junk.status_code == 200 and "23区の外" not in junk.text


def test_a_zone_that_is_not_a_town_name_is_said_so_and_the_whole_ward_has_no_zone(
    visitor: Visitor, make_staff
):
    make_staff()
    visitor.sign_in("sc-kitazawa")
    page = visitor.get("/map/?zone=第1圏域")
    assert page.status_code == 200
    assert "「第1圏域」は世田谷区の町名にありません。" in page.text
    whole = visitor.get("/map/")
    assert "<h1>世田谷区全体の地図</h1>" in whole.text
    assert "この地区ではまだマッチングをしていません。" in whole.text


def test_home_links_to_the_map(visitor: Visitor, make_staff):
    make_staff()
    visitor.sign_in("sc-kitazawa")
    assert 'href="/map/"' in visitor.get("/").text
