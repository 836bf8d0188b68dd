"""Where the screens meet: the zone map on the dispatch board and a run's page, the point an
SC picks on a resident's map, and the links between the people pages and the other screens."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_token
from tests.web.test_dispatch import BOARD, DAY, post, proposal_of, run_matching, sc, ward

__all__ = ["sc", "ward"]  # fixtures borrowed from the dispatch screen's tests

M_PER_DEG_LAT = 111_195.0


def test_the_board_draws_the_zone_with_its_requests_and_volunteers(visitor, sc, ward):
    request, nearest, *_ = ward
    html = visitor.get(BOARD).text
    svg = html[html.index('id="zone-map"') :]
    assert "<svg" in svg
    assert f"依頼{request.id}" in svg
    assert nearest.name in svg
    # no line yet: nothing was proposed
    assert "data-status=" not in svg.split("</svg>")[0]


def test_a_run_s_page_draws_a_dashed_line_for_a_proposal_and_a_solid_one_once_accepted(
    visitor, sc, ward, session
):
    request, nearest, *_ = ward
    run_page = run_matching(visitor)
    html = visitor.get(run_page).text
    assert html.count("<svg") >= 1
    assignment = proposal_of(session, request)
    proposed = _pair_line(html, request.id, assignment.volunteer_id)
    assert "stroke-dasharray" in proposed
    post(
        visitor,
        f"/dispatch/assignments/{assignment.id}/accept",
        {"by_phone": "y"},
        form_at=run_page,
    )
    accepted = _pair_line(visitor.get(run_page).text, request.id, assignment.volunteer_id)
    assert "stroke-dasharray" not in accepted


def _pair_line(html: str, request_id: int, volunteer_id: int) -> str:
    """The SVG line drawn for one pair (data-request and data-volunteer name its ends)."""
    start = html.index('id="zone-map"')
    svg = html[start : html.index("</svg>", start)]
    wanted = f'data-request="{request_id}" data-volunteer="{volunteer_id}"'
    lines = ["<line" + part.split(">", 1)[0] for part in svg.split("<line")[1:]]
    [line] = [line for line in lines if wanted in line]
    return line


def test_the_sc_moves_a_resident_to_a_point_picked_nearby(visitor, sc, make_resident, session):
    resident = make_resident(address="世田谷区太子堂四丁目1-1", lat=None, lon=None, zone=None)
    page = visitor.get(f"/residents/{resident.id}")
    assert 'name="lat"' in page.text  # the picker's hidden inputs are in the form
    near = (resident.lat + 300 / M_PER_DEG_LAT, resident.lon)
    moved = visitor.client.post(
        f"/residents/{resident.id}/point",
        data={"lat": str(near[0]), "lon": str(near[1]), "csrf_token": csrf_token(page.text)},
    )
    assert moved.status_code == 303
    session.expire_all()
    assert (resident.lat, resident.lon) == pytest.approx(near)
    assert resident.zone == "太子堂"
    assert "地点を直しました" in visitor.get(f"/residents/{resident.id}").text


def test_a_point_far_from_the_resident_s_chome_is_refused_and_changes_nothing(
    visitor, sc, make_resident, session
):
    resident = make_resident(address="世田谷区太子堂四丁目1-1", lat=None, lon=None, zone=None)
    before = (resident.lat, resident.lon)
    page = visitor.get(f"/residents/{resident.id}")
    far = (resident.lat + 2000 / M_PER_DEG_LAT, resident.lon)
    visitor.client.post(
        f"/residents/{resident.id}/point",
        data={"lat": str(far[0]), "lon": str(far[1]), "csrf_token": csrf_token(page.text)},
    )
    session.expire_all()
    assert (resident.lat, resident.lon) == before
    assert "1.5 km 以内の地点を選んでください" in visitor.get(f"/residents/{resident.id}").text


def test_a_point_without_its_form_token_is_refused(visitor, sc, make_resident, session):
    resident = make_resident()
    before = (resident.lat, resident.lon)
    refused = visitor.client.post(
        f"/residents/{resident.id}/point", data={"lat": "35.64", "lon": "139.67"}
    )
    assert refused.status_code == 400
    session.expire_all()
    assert (resident.lat, resident.lon) == before


def test_a_resident_s_page_leads_to_taking_their_request(visitor, sc, make_resident):
    resident = make_resident()
    html = visitor.get(f"/residents/{resident.id}").text
    assert f'href="/dispatch/requests/new?resident_id={resident.id}"' in html
    assert visitor.get(f"/dispatch/requests/new?resident_id={resident.id}").status_code == 200


def test_a_volunteer_s_page_leads_to_their_sign_in_link_and_day_sheet(visitor, sc, ward):
    _, nearest, *_ = ward
    html = visitor.get(f"/volunteers/{nearest.id}").text
    assert f'href="/me/links/{nearest.id}"' in html
    assert visitor.get(f"/me/links/{nearest.id}").status_code == 200
    sheet = html.split(f"/dispatch/sheet/{nearest.id}/", 1)[1].split('"', 1)[0]
    assert visitor.get(f"/dispatch/sheet/{nearest.id}/{sheet}").status_code == 200
    assert DAY  # the sheet of another day is one edit of the address away


def _site_name_link(html: str) -> str:
    return html.split('class="site-header__name" href="', 1)[1].split('"', 1)[0]


def test_the_site_s_name_leads_each_visitor_to_their_own_first_page(visitor, make_volunteer):
    assert _site_name_link(visitor.get("/trial").text) == "/trial"
    assert _site_name_link(visitor.get("/shop/login").text) == "/shop/"
    assert _site_name_link(visitor.get("/me/sign-in").text) == "/me/"
    assert _site_name_link(visitor.get("/login").text) == "/"
    page = visitor.get("/me/link/not-a-real-token")
    gone = visitor.client.post(
        "/me/link/not-a-real-token", data={"csrf_token": csrf_token(page.text)}
    )
    assert gone.status_code == 404
    assert _site_name_link(gone.text) == "/me/"
