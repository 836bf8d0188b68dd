"""The zone map and the point picker: inline SVG drawn on the server (no tiles, no CDN, no
JavaScript needed to see it), and the staff page `/map/?zone=…` that shows one zone on its own.

Two functions for other screens to embed (each returns Markup to put in a template as is):

- ``zone_map(ward=…, zone=…, requests=[MapRequest…], volunteers=[MapVolunteer…],
  pairs=[MapPair…])``: the ward outline, the zone's 町丁目 points (faint, named in <title>),
  requests as squares and volunteers as triangles (hollow while on trial), a dashed line for
  each proposed pair and a solid one for each accepted pair, one line per round
  (``rounds=[MapRound…]``: home → 1st task → 2nd task …, its stops numbered ①②③), a legend in
  Japanese. Fitted to the
  zone's 町丁目 and the markers (the whole ward when zone is None); 100% wide, any screen.
- ``point_picker(ward=…, lat=…, lon=…)``: the ~1.5 km around a point with its 町丁目, and two
  hidden inputs (``lat``, ``lon``) inside the caller's <form>. ``static/zonemap.js`` lets a
  click or tap move the marker and the inputs (arrow keys nudge it); without JavaScript the
  inputs keep the point they were given (the 町丁目's).

The geometry (outlines, projection, fitting) is the pure ``matching.zonemap``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup, escape

from db import InvalidInput
from matching import zonemap as geo
from matching.models import Assignment
from matching.places import nearest_area
from matching.zone_data import zone_overview
from points.rules import TOKYO
from web.auth import current_staff, staff_required
from web.database import get_session
from web.dispatch_text import order_mark

blp = Blueprint("zonemap", __name__, url_prefix="/map")


# --- what a map shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class MapRequest:
    """A help request at its resident's point. `label` is written beside the square (keep it
    short: 「依頼12」); `detail` is added to its <title> (category, window)."""

    id: int
    label: str
    lat: float
    lon: float
    detail: str = ""


@dataclass(frozen=True)
class MapVolunteer:
    """A volunteer at their point; a trial volunteer's triangle is hollow."""

    id: int
    label: str
    lat: float
    lon: float
    trial: bool = False
    detail: str = ""


@dataclass(frozen=True)
class MapPair:
    """A line from a request to a volunteer: dashed while proposed, solid once accepted."""

    request_id: int
    volunteer_id: int
    status: Literal["proposed", "accepted"] = "proposed"


@dataclass(frozen=True)
class MapRound:
    """A volunteer's round: one line from their home through the requests in visiting order,
    dashed while any of its tasks is proposed, solid once all are accepted."""

    volunteer_id: int
    request_ids: tuple[int, ...]
    status: Literal["proposed", "accepted"] = "proposed"


def visiting_order(assignment: Assignment) -> tuple[Any, ...]:
    """Sort key of one volunteer's tasks in a run: the round's order, then the planned start
    (the window's start where nothing was planned: an SC's override, an older run)."""
    start = assignment.planned_start or assignment.help_request.window_start
    return (assignment.round_order is None, assignment.round_order or 0, start, assignment.id)


def map_lines(assignments: Sequence[Assignment]) -> tuple[list[MapPair], list[MapRound]]:
    """A run's proposed and accepted assignments as the map draws them: a volunteer with one
    is a pair, one with several is a round in visiting order (dashed until all accepted)."""
    mine: dict[int, list[Assignment]] = {}
    for a in assignments:
        if a.status in ("proposed", "accepted"):
            mine.setdefault(a.volunteer_id, []).append(a)
    pairs: list[MapPair] = []
    rounds: list[MapRound] = []
    for volunteer_id, tasks in mine.items():
        if len(tasks) == 1:
            (a,) = tasks
            status = "accepted" if a.status == "accepted" else "proposed"
            pairs.append(
                MapPair(request_id=a.help_request_id, volunteer_id=volunteer_id, status=status)
            )
            continue
        tasks.sort(key=visiting_order)
        rounds.append(
            MapRound(
                volunteer_id=volunteer_id,
                request_ids=tuple(a.help_request_id for a in tasks),
                status="accepted" if all(a.status == "accepted" for a in tasks) else "proposed",
            )
        )
    return pairs, rounds


# --- how it looks (SVG presentation attributes: it draws right without any stylesheet) --------

REQUEST_FILL = "#c2410c"  # orange-red square
VOLUNTEER_FILL = "#1d4ed8"  # blue triangle
ACCEPTED_STROKE = "#15803d"
PROPOSED_STROKE = "#6d28d9"
INK = "#1a1a1a"
HALF = 14.0  # half a square's side, in map units (the longer side of a map is 1000)
TRIANGLE = 19.0  # a triangle's circumradius
LABEL_SIZE = 26.0
#: a round's order numbers (①②③) are larger than names: some 14 px on a 360 px wide map
ORDER_SIZE = 44.0
#: beyond this many markers, names stay in <title> only (a ward-wide map would be a blur)
MAX_LABELS = 40
_SVG_STYLE = "display:block;width:100%;height:auto;max-width:100%"


def _n(value: float) -> str:
    return f"{value:.1f}"


def _square(half: float = HALF) -> str:
    return (
        f'<rect x="{_n(-half)}" y="{_n(-half)}" width="{_n(2 * half)}" height="{_n(2 * half)}" '
        f'fill="{REQUEST_FILL}" stroke="{INK}" stroke-width="{_n(half / 5)}"/>'
    )


def _triangle(trial: bool, r: float = TRIANGLE) -> str:
    # centred on its centroid: the point a line meets
    points = " ".join(
        f"{_n(r * math.cos(math.radians(a)))},{_n(r * math.sin(math.radians(a)))}"
        for a in (-90, 30, 150)
    )
    fill = "#ffffff" if trial else VOLUNTEER_FILL
    return (
        f'<polygon points="{points}" fill="{fill}" stroke="{VOLUNTEER_FILL if trial else INK}" '
        f'stroke-width="{_n(r / 4.5 if trial else r / 7)}"/>'
    )


def _line_attrs(status: str, width: float = 5.0) -> str:
    if status == "accepted":
        return f'stroke="{ACCEPTED_STROKE}" stroke-width="{_n(width)}" stroke-linecap="round"'
    return (
        f'stroke="{PROPOSED_STROKE}" stroke-width="{_n(width * 0.8)}" '
        f'stroke-dasharray="{_n(width * 3)} {_n(width * 2)}"'
    )


def _label(
    x: float,
    y: float,
    text: str,
    *,
    size: float = LABEL_SIZE,
    faint: bool = False,
    end: bool = False,
) -> str:
    """A name beside a mark, white-haloed; `end` puts it left of x (near the right edge)."""
    colour = "#555555" if faint else INK
    anchor = ' text-anchor="end"' if end else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}"{anchor} font-size="{_n(size)}" fill="{colour}" '
        f'stroke="#ffffff" stroke-width="{_n(size / 5)}" paint-order="stroke" '
        f'stroke-linejoin="round">{escape(text)}</text>'
    )


def _icon(shape: str, view: str = "-20 -20 40 40") -> str:
    return (
        f'<svg width="28" height="28" viewBox="{view}" aria-hidden="true" focusable="false" '
        f'style="flex:none">{shape}</svg>'
    )


def _legend(trial: bool, rounds: bool = False) -> str:
    items = [
        (_icon(_square()), "依頼（住民の場所）"),
        (_icon(_triangle(False)), "ボランティア"),
    ]
    if trial:
        items.append((_icon(_triangle(True)), "おためしボランティア"))
    items += [
        (_icon(f'<line x1="-20" y1="0" x2="20" y2="0" {_line_attrs("proposed", 4)}/>'), "提案中"),
        (_icon(f'<line x1="-20" y1="0" x2="20" y2="0" {_line_attrs("accepted", 4)}/>'), "決まり"),
    ]
    if rounds:
        items.append(
            (
                _icon(
                    f'<polyline points="-18,12 -4,-10 16,4" fill="none" '
                    f"{_line_attrs('proposed', 4)}/>"
                ),
                "まわる順：家から①②③の順に歩く（複数の依頼をまわる方）",
            )
        )
    items.append((_icon('<circle r="5" fill="#6b6b6b" fill-opacity="0.6"/>'), "町丁目の代表点"))
    return (
        '<ul class="zonemap__legend" style="list-style:none;margin:0.5rem 0 0;padding:0;'
        'display:flex;flex-wrap:wrap;gap:0.25rem 1.25rem">'
        + "".join(
            f'<li style="display:flex;align-items:center;gap:0.5rem">{icon}<span>{text}</span></li>'
            for icon, text in items
        )
        + "</ul>"
    )


def _chome_dots(frame: geo.Frame, chome: Sequence[Any], *, labels: bool, size: float) -> str:
    parts = ['<g class="zonemap__chome">']
    for c in chome:
        x, y = frame.project(c.lat, c.lon)
        parts.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(size / 3)}" fill="#6b6b6b" '
            f'fill-opacity="0.55" data-name="{escape(c.area_name)}">'
            f"<title>{escape(c.area_name)}</title></circle>"
        )
        if labels:
            # a name near the right edge goes left of its dot, so that it stays on the map
            end = x > frame.width * 0.7
            dx = -size / 2 if end else size / 2
            parts.append(
                _label(x + dx, y + size / 2.4, c.area_name, size=size, faint=True, end=end)
            )
    parts.append("</g>")
    return "".join(parts)


def zone_map(
    *,
    ward: str,
    zone: str | None,
    requests: Sequence[MapRequest] = (),
    volunteers: Sequence[MapVolunteer] = (),
    pairs: Sequence[MapPair] = (),
    rounds: Sequence[MapRound] = (),
    dom_id: str = "zonemap",
) -> Markup:
    """A <figure> with the zone's map (SVG) and its legend; see the module's docstring.

    ward: one of the 23 (世田谷区 or 13112); zone: a 町名 of it (太子堂), or None for the whole
    ward. A zone with no 町丁目 of that name (a 日常生活圏域 named otherwise) is fitted to the
    markers. dom_id: the figure's id, and the prefix of the ids inside (two maps on one page
    need two). A volunteer with a round should have no pair as well (the round replaces their
    lines). Raises ValueError for a ward that is not one of the 23, or a pair or a round whose
    request or volunteer is not on the map."""
    outline = geo.ward_outline(ward)
    chome = geo.zone_chome(ward, zone)
    markers = [(r.lat, r.lon) for r in requests] + [(v.lat, v.lon) for v in volunteers]
    fitted = [(c.lat, c.lon) for c in chome] + markers
    if zone is None or not fitted:
        fitted = geo.ward_points(ward) + markers
    frame = geo.fit(fitted)
    at_request = {r.id: frame.project(r.lat, r.lon) for r in requests}
    at_volunteer = {v.id: frame.project(v.lat, v.lon) for v in volunteers}
    for pair in pairs:
        if pair.request_id not in at_request or pair.volunteer_id not in at_volunteer:
            raise ValueError(f"{pair} joins a request or a volunteer that is not on the map")
    for tour in rounds:
        if tour.volunteer_id not in at_volunteer or any(
            r not in at_request for r in tour.request_ids
        ):
            raise ValueError(f"{tour} joins a request or a volunteer that is not on the map")
    labels = len(requests) + len(volunteers) <= MAX_LABELS
    # a whole ward is some 5 to 10 km across: its marks are smaller, or they would cover it
    mark = 1.0 if zone is not None else 0.55
    accepted = sum(1 for p in pairs if p.status == "accepted")
    place = f"{ward}{zone or '全体'}"
    title = f"{place}の地図"
    desc = (
        f"依頼 {len(requests)}件（四角）、ボランティア {len(volunteers)}人（三角）、"
        f"提案中の組み合わせ {len(pairs) - accepted}組（点線）、"
        f"決まった組み合わせ {accepted}組（実線）。"
        + (
            f"複数の依頼をまわる方 {len(rounds)}人：家から①②③の順に一本の線でつないでいます。"
            if rounds
            else ""
        )
        + "灰色の点は町丁目の代表点です。"
    )
    ident = escape(dom_id)
    parts = [
        f'<figure class="zonemap" id="{ident}" style="margin:0">',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{frame.view_box()}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" style="{_SVG_STYLE}" '
        f'font-family="sans-serif" data-zone="{escape(zone or "")}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        f'<rect width="{_n(frame.width)}" height="{_n(frame.height)}" fill="#e8eef3"/>',
        f'<path class="zonemap__ward" d="{geo.path_data(frame, outline)}" fill="#fbfbf7" '
        f'stroke="#4b5563" stroke-width="3" stroke-linejoin="round" fill-rule="evenodd">'
        f"<title>{escape(ward)}</title></path>",
        _chome_dots(frame, chome, labels=zone is not None and len(chome) <= 30, size=20.0),
        '<g class="zonemap__pairs">',
    ]
    for pair in pairs:
        (x1, y1), (x2, y2) = at_request[pair.request_id], at_volunteer[pair.volunteer_id]
        what = "決まり" if pair.status == "accepted" else "提案中"
        parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
            f'{_line_attrs(pair.status, 5.0 * mark)} data-request="{pair.request_id}" '
            f'data-volunteer="{pair.volunteer_id}" data-status="{pair.status}">'
            f"<title>{what}</title></line>"
        )
    for tour in rounds:
        parts.append(_round_line(tour, at_volunteer, at_request, mark))
    parts.append('</g><g class="zonemap__requests">')
    for r in requests:
        x, y = at_request[r.id]
        about = f"依頼: {r.label}" + (f"（{r.detail}）" if r.detail else "")
        parts.append(
            f'<g transform="translate({_n(x)} {_n(y)})" data-request="{r.id}">'
            f"<title>{escape(about)}</title>{_square(HALF * mark)}</g>"
        )
    parts.append('</g><g class="zonemap__volunteers">')
    for v in volunteers:
        x, y = at_volunteer[v.id]
        kind = "おためしボランティア" if v.trial else "ボランティア"
        about = f"{kind}: {v.label}" + (f"（{v.detail}）" if v.detail else "")
        parts.append(
            f'<g transform="translate({_n(x)} {_n(y)})" data-volunteer="{v.id}">'
            f"<title>{escape(about)}</title>{_triangle(v.trial, TRIANGLE * mark)}</g>"
        )
    parts.append("</g>")
    if labels:
        parts.append('<g class="zonemap__labels" aria-hidden="true">')
        right = frame.width * 0.75
        for r in requests:
            x, y = at_request[r.id]
            dx = -(HALF + 4) if x > right else HALF + 4
            parts.append(_label(x + dx, y - HALF - 2, r.label, end=x > right))
        for v in volunteers:
            x, y = at_volunteer[v.id]
            dx = -TRIANGLE if x > right else TRIANGLE
            parts.append(_label(x + dx, y + TRIANGLE + 6, v.label, end=x > right))
        parts.append("</g>")
    if rounds:
        # the order numbers are drawn even on a crowded map: they are what a round means
        parts.append('<g class="zonemap__order" aria-hidden="true">')
        for tour in rounds:
            for n, request_id in enumerate(tour.request_ids, start=1):
                x, y = at_request[request_id]
                parts.append(_order_label(x - (HALF + 4) * mark, y - (HALF + 2) * mark, n, mark))
        parts.append("</g>")
    parts.append("</svg>")
    parts.append(_legend(any(v.trial for v in volunteers), rounds=bool(rounds)))
    parts.append("</figure>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def _round_line(
    tour: MapRound,
    at_volunteer: dict[int, tuple[float, float]],
    at_request: dict[int, tuple[float, float]],
    mark: float,
) -> str:
    """One polyline: the volunteer's home, then each request in visiting order."""
    stops = [at_volunteer[tour.volunteer_id]] + [at_request[r] for r in tour.request_ids]
    points = " ".join(f"{_n(x)},{_n(y)}" for x, y in stops)
    what = "決まり" if tour.status == "accepted" else "提案中"
    order = "→".join(f"{order_mark(n)}依頼{r}" for n, r in enumerate(tour.request_ids, start=1))
    return (
        f'<polyline class="zonemap__round" points="{points}" fill="none" '
        f'stroke-linejoin="round" {_line_attrs(tour.status, 5.0 * mark)} '
        f'data-volunteer="{tour.volunteer_id}" '
        f'data-requests="{" ".join(str(r) for r in tour.request_ids)}" '
        f'data-status="{tour.status}"><title>{escape(f"まわる順（{what}）：家→{order}")}</title>'
        "</polyline>"
    )


def _order_label(x: float, y: float, n: int, mark: float) -> str:
    """A stop's number (①) above and left of its square, bold and white-haloed."""
    size = ORDER_SIZE * max(mark, 0.75)
    return (
        f'<text class="zonemap__order-number" x="{_n(x)}" y="{_n(y)}" text-anchor="end" '
        f'font-size="{_n(size)}" font-weight="bold" fill="{INK}" stroke="#ffffff" '
        f'stroke-width="{_n(size / 4)}" paint-order="stroke" stroke-linejoin="round">'
        f"{order_mark(n)}</text>"
    )


def point_picker(
    *,
    ward: str,
    lat: float,
    lon: float,
    field_lat: str = "lat",
    field_lon: str = "lon",
    dom_id: str = "pointpicker",
) -> Markup:
    """The neighbourhood (~1.5 km) of a point, its marker and two hidden inputs; put it inside
    a <form>. The inputs are named field_lat and field_lon and hold the point given (six
    decimals, ~10 cm); with JavaScript a click, a tap or the arrow keys move both. Needs an app
    context (it links ``static/zonemap.js``, loaded once however many pickers a page has)."""
    outline = geo.ward_outline(ward)
    frame = geo.around(lat, lon)
    chome = geo.chome_in(frame)
    x, y = frame.project(lat, lon)
    ident = escape(dom_id)
    nearest = min(
        chome,
        key=lambda c: (c.lat - lat) ** 2 + ((c.lon - lon) * frame.cos_lat) ** 2,
        default=None,
    )
    status = f"選んだ地点: 北緯 {lat:.5f}、東経 {lon:.5f}" + (
        f"（いちばん近い町丁目: {nearest.area_name}）" if nearest else ""
    )
    marker = (
        '<circle r="26" fill="none" stroke="#ffffff" stroke-width="10"/>'
        '<circle r="26" fill="none" stroke="#b91c1c" stroke-width="6"/>'
        '<path d="M-40 0H-14M14 0H40M0 -40V-14M0 14V40" stroke="#b91c1c" stroke-width="5"/>'
        '<circle r="5" fill="#b91c1c"/>'
    )
    script = url_for("web.static", filename="zonemap.js")
    parts = [
        f'<div class="pointpicker" id="{ident}" style="max-width:40rem" data-pointpicker '
        f'data-west="{frame.west!r}" data-north="{frame.north!r}" '
        f'data-scale="{frame.scale!r}" data-cos="{frame.cos_lat!r}" '
        f'data-width="{frame.width!r}" data-height="{frame.height!r}">',
        f'<input type="hidden" name="{escape(field_lat)}" value="{lat:.6f}" data-pointpicker-lat>',
        f'<input type="hidden" name="{escape(field_lon)}" value="{lon:.6f}" data-pointpicker-lon>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{frame.view_box()}" role="img" '
        f'tabindex="0" aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
        f'style="{_SVG_STYLE};cursor:crosshair;touch-action:manipulation" '
        f'font-family="sans-serif">',
        f'<title id="{ident}-title">地点を選ぶ地図（{escape(ward)}）</title>',
        f'<desc id="{ident}-desc">地図をクリックまたはタップすると、赤い印がその場所に動きます。'
        f"矢印キーでも動かせます（Shift キーを押しながらだと大きく動きます）。</desc>",
        f'<rect width="{_n(frame.width)}" height="{_n(frame.height)}" fill="#e8eef3"/>',
        f'<path d="{geo.path_data(frame, outline)}" fill="#fbfbf7" stroke="#4b5563" '
        f'stroke-width="3" fill-rule="evenodd"/>',
        _chome_dots(frame, chome, labels=True, size=28.0),
        f'<g class="pointpicker__marker" transform="translate({_n(x)} {_n(y)})" '
        f"data-pointpicker-marker>{marker}</g>",
        "</svg>",
        f'<p class="pointpicker__status" aria-live="polite" data-pointpicker-status>'
        f"{escape(status)}</p>",
        "</div>",
        f'<script src="{escape(script)}" defer></script>',
    ]
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


# --- the staff page: one zone's map ---------------------------------------------------------

WEEKDAYS = "月火水木金土日"


def _day_time(moment: dt.datetime) -> str:
    """「12月1日（火）7:00」 in Tokyo time."""
    local = moment.astimezone(TOKYO)
    return f"{local.month}月{local.day}日（{WEEKDAYS[local.weekday()]}）{local.hour}:{local:%M}"


def _window(start: dt.datetime, end: dt.datetime) -> str:
    """「12月1日（火）7:00〜8:30」 (the end's day is said only when it is another day)."""
    head, tail = _day_time(start), _day_time(end)
    same_day = start.astimezone(TOKYO).date() == end.astimezone(TOKYO).date()
    return f"{head}〜{tail.split('）')[1] if same_day else tail}"


def _ward() -> str:
    ward: str = current_app.config["WARD"]
    return ward


@blp.get("/")
@staff_required()
def page() -> Any:
    """/map/?zone=太子堂: the zone's open requests, its volunteers and the newest run's pairs."""
    ward = _ward()
    zones = geo.ward_zones(ward)
    zone = (request.args.get("zone") or "").strip() or None
    overview = zone_overview(get_session(), zone=zone)
    requests = [
        MapRequest(
            id=r.id,
            label=f"依頼{r.id}",
            lat=r.resident.lat,
            lon=r.resident.lon,
            detail=f"{r.category.label_ja}、{_window(r.window_start, r.window_end)}",
        )
        for r in overview.requests
    ]
    volunteers = [
        MapVolunteer(id=v.id, label=v.name, lat=v.lat, lon=v.lon, trial=v.status == "trial")
        for v in overview.volunteers
    ]
    pairs, rounds = map_lines(overview.pairs)
    drawing = zone_map(
        ward=ward, zone=zone, requests=requests, volunteers=volunteers, pairs=pairs, rounds=rounds
    )
    # the point picker: the point asked about (its nearest 町丁目 is said), else the first
    # request's, else the zone's first 町丁目
    checked = None
    pick = _point_asked()
    asked = pick is not None
    if pick is None:
        chome = geo.zone_chome(ward, zone) if zone else []
        if requests:
            pick = (requests[0].lat, requests[0].lon)
        elif chome:
            pick = (chome[0].lat, chome[0].lon)
        else:
            first = geo.zone_chome(ward, None)[0]
            pick = (first.lat, first.lon)
    else:
        checked = _nearest(*pick)
    return render_template(
        "zonemap_page.html",
        staff=current_staff(),
        ward=ward,
        zone=zone,
        zones=zones,
        unknown_zone=zone is not None and zone not in zones,
        drawing=drawing,
        overview=overview,
        picker=point_picker(ward=ward, lat=pick[0], lon=pick[1]),
        checked=checked,
        asked=asked,
        windows={r.id: _window(r.window_start, r.window_end) for r in overview.requests},
        run_time=_day_time(overview.match_run.created_at) if overview.match_run else None,
    )


def _point_asked() -> tuple[float, float] | None:
    try:
        lat, lon = float(request.args["lat"]), float(request.args["lon"])
    except (KeyError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return lat, lon


def _nearest(lat: float, lon: float) -> tuple[str, str, int] | None:
    """(ward, 町丁目, metres) nearest to a point, or None outside the 23 wards."""
    try:
        chome = nearest_area(lat, lon)
    except InvalidInput:  # outside the service area
        return None
    metres = geo.M_PER_DEG_LAT * math.hypot(
        chome.lat - lat, (chome.lon - lon) * math.cos(math.radians(lat))
    )
    return chome.ward_name, chome.area_name, round(metres)
