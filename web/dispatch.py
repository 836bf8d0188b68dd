"""The SC's dispatch screen: a zone and a day (or part of it), its open requests and the
volunteers who could help; a match run and its proposals; accept or decline on a volunteer's
behalf after a phone call, override with another feasible volunteer, complete (points shown),
no-show or cancel; a printable sheet per volunteer and day; a request taken by phone.

Views are thin: they read a form, call the same services as the API (matching.dispatch,
matching.alternatives, matching.services, matching.board) and render; the request's session is
committed once by web.database.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from access.models import User
from db import Conflict, InvalidInput, utcnow
from matching import alternatives, board, dispatch, services
from matching import zonemap as zonegeo
from matching.cost import haversine_m
from matching.domain import CostWeights
from matching.models import LIVE_ASSIGNMENT_STATUSES, Assignment, HelpRequest, Volunteer
from matching.places import metres as roughly
from points.models import Entry, Transfer
from web import dispatch_text as text
from web import flags
from web.auth import current_staff, staff_required
from web.database import get_session
from web.forms import Form, max_length, required
from web.zonemap import MapRequest, MapVolunteer, map_lines, visiting_order, zone_map

blp = Blueprint("dispatch", __name__, url_prefix="/dispatch")

_DATE = re.compile(r"\A(\d{4})-(\d{2})-(\d{2})\Z")
_TIME = re.compile(r"\A(\d{1,2}):(\d{2})\Z")


def _today() -> dt.date:
    return utcnow().astimezone(text.TOKYO).date()


def parse_date(value: str | None) -> dt.date | None:
    found = _DATE.match((value or "").strip())
    if not found:
        return None
    try:
        return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def parse_time(value: str | None) -> dt.time | None:
    found = _TIME.match((value or "").strip())
    if not found:
        return None
    hour, minute = (int(part) for part in found.groups())
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _a_date(_form: Any, field: Any) -> None:
    if field.data and parse_date(field.data) is None:
        raise ValidationError("日付は 2026-11-30 の形で入力してください。")


def _a_time(_form: Any, field: Any) -> None:
    if field.data and parse_time(field.data) is None:
        raise ValidationError("時刻は 10:00 の形で入力してください。")


class Choice(SelectField):  # type: ignore[misc]
    """A drop-down whose refusal of a value it did not offer is in Japanese."""

    def pre_validate(self, form: Any) -> None:
        if self.data and self.data not in {str(value) for value, *_ in self.choices or []}:
            raise ValidationError("一覧の中から選んでください。")


class ScopeForm(Form):
    """Which zone and which day (or part of it): read from the address bar, no token."""

    class Meta:
        csrf = False

    zone = Choice("地域（町名）", validators=[Optional()])
    day = StringField("日付", validators=[required("日付"), _a_date], render_kw={"type": "date"})
    start = StringField(
        "何時から（空欄は一日中）", validators=[Optional(), _a_time], render_kw={"type": "time"}
    )
    end = StringField(
        "何時まで（空欄は一日中）", validators=[Optional(), _a_time], render_kw={"type": "time"}
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        start, end = parse_time(self.start.data), parse_time(self.end.data)
        if ok and start and end and end <= start:
            self.end.errors = [*self.end.errors, "終わりは始まりより後の時刻にしてください。"]
            ok = False
        return ok

    def scope(self) -> tuple[str | None, dt.date, dt.datetime, dt.datetime]:
        day = parse_date(self.day.data) or _today()
        window_from, window_to = board.day_window(
            day, parse_time(self.start.data), parse_time(self.end.data)
        )
        return self.zone.data or None, day, window_from, window_to


class RequestForm(Form):
    category = Choice("活動の種類", validators=[required("活動の種類")])
    day = StringField("日付", validators=[required("日付"), _a_date], render_kw={"type": "date"})
    start = StringField(
        "何時から", validators=[required("始まりの時刻"), _a_time], render_kw={"type": "time"}
    )
    end = StringField(
        "何時まで", validators=[required("終わりの時刻"), _a_time], render_kw={"type": "time"}
    )
    notes = TextAreaField("メモ（電話で聞いたこと）", validators=[Optional(), max_length(1000)])


def _scope_form(source: Any) -> ScopeForm:
    form = ScopeForm(formdata=source)
    form.zone.choices = [("", "すべての地域")] + [(z, z) for z in board.zones(get_session())]
    if not form.day.data:
        form.day.data = _today().isoformat()
    return form


def _scope_args(form: ScopeForm) -> dict[str, str]:
    return {
        name: value
        for name, value in (
            ("zone", form.zone.data or ""),
            ("day", form.day.data or ""),
            ("start", form.start.data or ""),
            ("end", form.end.data or ""),
        )
        if value
    }


# --- rounds: a volunteer's tasks in visiting order -----------------------------------------

WALKING_M_PER_MIN = CostWeights().walking_m_per_min


def walking_speed(params: Mapping[str, Any] | None) -> float:
    """The walking speed (m/min) a run planned with (params["weights"]), else the default."""
    weights = (params or {}).get("weights") or {}
    speed = weights.get("walking_m_per_min") if isinstance(weights, Mapping) else None
    if isinstance(speed, int | float) and not isinstance(speed, bool) and speed > 0:
        return float(speed)
    return WALKING_M_PER_MIN


def day_order(assignment: Assignment) -> tuple[Any, ...]:
    """Sort key of a volunteer's tasks of a day, over several runs: when each begins."""
    start = assignment.planned_start or assignment.help_request.window_start
    return (start, assignment.round_order or 0, assignment.id)


@dataclass(frozen=True)
class Stop:
    """One task of a volunteer's list, and the walk to it: from home for the first (the
    pair's distance), from the previous resident for the others."""

    assignment: Assignment
    number: int  # 1, 2, 3 in the order shown
    walk_m: float
    walk: str  # 「徒歩 約5分（320 m）」
    chome: str  # the resident's 町丁目 (太子堂四丁目), or their zone


@dataclass(frozen=True)
class VolunteerTasks:
    volunteer: Volunteer
    stops: list[Stop]

    @property
    def is_round(self) -> bool:
        return len(self.stops) >= 2


@functools.lru_cache(maxsize=512)
def _chome_near(ward: str, zone: str) -> tuple[Any, ...]:
    """The 町丁目 a resident of this zone may live in: the zone's (the ward's when the zone is
    not a 町名 of it)."""
    return tuple(zonegeo.zone_chome(ward, zone) or zonegeo.zone_chome(ward, None))


def chome_of(lat: float, lon: float, zone: str) -> str:
    """The 町丁目 nearest to a resident's point among their zone's: what an SC says on the
    phone. The zone itself when the ward has no 町丁目 to offer."""
    candidates = _chome_near(current_app.config["WARD"], zone)
    if not candidates:  # pragma: no cover - every ward has its 町丁目
        return zone
    return str(min(candidates, key=lambda c: roughly(c.lat, c.lon, lat, lon)).area_name)


def stops(assignments: Iterable[Assignment], *, speed: Callable[[Assignment], float]) -> list[Stop]:
    """A volunteer's tasks (already in order) with the walk to each: the first from home."""
    found: list[Stop] = []
    previous: HelpRequest | None = None
    for number, a in enumerate(assignments, start=1):
        r = a.help_request
        if previous is None:
            walked = a.distance_m
        else:
            # the planner's distance: haversine between the two residents
            here, there = previous.resident, r.resident
            walked = float(haversine_m(here.lat, here.lon, there.lat, there.lon))
        found.append(
            Stop(
                assignment=a,
                number=number,
                walk_m=walked,
                walk=text.walk(walked, speed(a)),
                chome=chome_of(r.resident.lat, r.resident.lon, r.resident.zone),
            )
        )
        previous = r
    return found


def by_volunteer(
    assignments: Sequence[Assignment],
    volunteers: Mapping[int, Volunteer],
    *,
    order: Callable[[Assignment], tuple[Any, ...]],
    speed: Callable[[Assignment], float],
) -> list[VolunteerTasks]:
    """Each volunteer's tasks in order, volunteers in the order of their first task given."""
    grouped: dict[int, list[Assignment]] = {}
    for a in assignments:
        grouped.setdefault(a.volunteer_id, []).append(a)
    return [
        VolunteerTasks(volunteers[v], stops(sorted(tasks, key=order), speed=speed))
        for v, tasks in grouped.items()
    ]


def _map(
    zone: str | None,
    requests: Sequence[HelpRequest],
    volunteers: Sequence[Volunteer],
    assignments: Sequence[Assignment] = (),
) -> Markup:
    """The zone's map: the requests at their residents' points, the volunteers, a line for
    each proposed (dashed) or accepted (solid) pair, and one line through each round."""
    drawn = [
        MapRequest(
            id=r.id,
            label=f"依頼{r.id}",
            lat=r.resident.lat,
            lon=r.resident.lon,
            detail=f"{r.category.label_ja}、{text.window(r.window_start, r.window_end)}",
        )
        for r in {r.id: r for r in requests}.values()
    ]
    people = [
        MapVolunteer(id=v.id, label=v.name, lat=v.lat, lon=v.lon, trial=v.status == "trial")
        for v in {v.id: v for v in volunteers}.values()
    ]
    pairs, rounds = map_lines(assignments)
    return zone_map(
        ward=current_app.config["WARD"],
        zone=zone,
        requests=drawn,
        volunteers=people,
        pairs=pairs,
        rounds=rounds,
    )


def _staff() -> User:
    staff = current_staff()
    if staff is None:  # pragma: no cover - staff_required let only staff in
        abort(401)
    return staff


@blp.get("/")
@staff_required("coordinator")
def board_page() -> Any:
    form = _scope_form(request.args)
    requests_: list[HelpRequest] = []
    candidates: list[board.Candidate] = []
    drawing = None
    valid = form.validate()
    if valid:
        zone, day, window_from, window_to = form.scope()
        session = get_session()
        requests_ = board.open_requests(
            session, zone=zone, window_from=window_from, window_to=window_to
        )
        candidates = board.volunteers_for_day(session, zone=zone, day=day, requests=requests_)
        drawing = _map(zone, requests_, [c.volunteer for c in candidates])
    # the requests that came back to the SC: the board's zone, or all when the scope is invalid
    flagged = flags.flag_cards(
        get_session(),
        zone=(form.zone.data or None) if valid else None,
        now=utcnow(),
        cutoff=flags.ward_cutoff(),
    )
    body = render_template(
        "dispatch_board.html",
        flagged=flagged,
        staff=_staff(),
        form=form,
        valid=valid,
        requests=requests_,
        candidates=candidates,
        drawing=drawing,
        scope=_scope_args(form),
        now=utcnow(),
        text=text,
    )
    return Response(body, status=200 if valid or not request.args else 422)


@blp.post("/runs")
@staff_required("coordinator")
def run() -> Any:
    form = _scope_form(request.form)
    if not form.validate():
        flash("地域と日付を確かめてください。", "error")
        return redirect(url_for("web.dispatch.board_page", **_scope_args(form)), code=303)
    zone, _, window_from, window_to = form.scope()
    match_run = dispatch.run_match(
        get_session(),
        zone=zone,
        window_from=window_from,
        window_to=window_to,
        created_by_id=_staff().id,
        weights=current_app.config["MATCH_WEIGHTS"],
    )
    return redirect(
        url_for("web.dispatch.run_page", run_id=match_run.id, **_scope_args(form)), code=303
    )


def points_credited(assignment_ids: list[int]) -> dict[int, int]:
    """The points each completed assignment earned, as the ledger says (0 under a cap)."""
    if not assignment_ids:
        return {}
    rows = get_session().execute(
        select(Transfer.assignment_id, func.coalesce(func.sum(Entry.amount), 0))
        .outerjoin(Entry, (Entry.transfer_id == Transfer.id) & (Entry.amount > 0))
        .where(Transfer.kind == "credit", Transfer.assignment_id.in_(assignment_ids))
        .group_by(Transfer.assignment_id)
    )
    return {assignment_id: int(amount) for assignment_id, amount in rows}


@blp.get("/runs/<int:run_id>")
@staff_required("coordinator")
def run_page(run_id: int) -> Any:
    session = get_session()
    match_run = dispatch.get_match_run(session, match_run_id=run_id)
    assignments = list(
        session.scalars(
            dispatch.assignment_query()
            .where(Assignment.match_run_id == run_id)
            .order_by(None)
            .order_by(Assignment.id)
        )
    )
    volunteers = {
        v.id: v
        for v in session.scalars(
            select(Volunteer).where(Volunteer.id.in_({a.volunteer_id for a in assignments}))
        )
    }
    unmatched_ids = [u["help_request_id"] for u in match_run.unmatched]
    unmatched_requests = {
        r.id: r
        for r in session.scalars(
            select(HelpRequest)
            .where(HelpRequest.id.in_(unmatched_ids))
            .options(selectinload(HelpRequest.resident), selectinload(HelpRequest.category))
        )
    }
    live = [a for a in assignments if a.status in LIVE_ASSIGNMENT_STATUSES]
    ended = [a for a in assignments if a not in live]
    speed = walking_speed(match_run.params)
    cards = by_volunteer(live, volunteers, order=visiting_order, speed=lambda _a: speed)
    drawing = _map(
        match_run.zone,
        [a.help_request for a in live] + list(unmatched_requests.values()),
        [volunteers[a.volunteer_id] for a in live],
        live,
    )
    stats = match_run.stats or {}
    rounds_count = stats.get("rounds")
    if not isinstance(rounds_count, int) or isinstance(rounds_count, bool):
        rounds_count = sum(1 for card in cards if card.is_round)
    runner = session.get(User, match_run.created_by_id) if match_run.created_by_id else None
    return render_template(
        "dispatch_run.html",
        staff=_staff(),
        run=match_run,
        ran_by=text.ran_by(match_run.params, runner.name if runner else None),
        live=live,
        cards=cards,
        rounds_count=rounds_count,
        optimality=text.optimality(stats),
        ended=ended,
        drawing=drawing,
        volunteers=volunteers,
        unmatched=[(u, unmatched_requests.get(u["help_request_id"])) for u in match_run.unmatched],
        points=points_credited([a.id for a in assignments if a.status == "completed"]),
        scope={k: v for k, v in request.args.items() if k in ("zone", "day", "start", "end")},
        now=utcnow(),
        text=text,
    )


def _back_to_run(assignment: Assignment) -> Response:
    target = request.form.get("next", "")
    if target.startswith("/dispatch/") and not target.startswith("//"):
        return redirect(target, code=303)
    if assignment.match_run_id is not None:
        return redirect(url_for("web.dispatch.run_page", run_id=assignment.match_run_id), code=303)
    return redirect(url_for("web.dispatch.board_page"), code=303)


#: action -> (what the service does, what the SC is told)
_ACTIONS = {
    "accept": "承諾を電話で記録しました",
    "decline": "辞退を電話で記録しました。この方にはこの依頼を二度と提案しません",
    "complete": "完了にしました",
    "no-show": "活動できなかったことを記録しました。依頼は受付中に戻りました",
    "cancel": "取り消しました。依頼は受付中に戻りました",
}


@blp.post("/assignments/<int:assignment_id>/<action>")
@staff_required("coordinator")
def act(assignment_id: int, action: str) -> Any:
    if action not in _ACTIONS:
        abort(404)
    session = get_session()
    staff = _staff()
    assignment = dispatch.get_assignment(session, assignment_id=assignment_id)
    try:
        if action == "accept":
            dispatch.accept(session, assignment_id=assignment_id, via="phone", by_user_id=staff.id)
        elif action == "decline":
            dispatch.decline(session, assignment_id=assignment_id, via="phone", by_user_id=staff.id)
        elif action == "complete":
            dispatch.complete(session, assignment_id=assignment_id)
        elif action == "no-show":
            dispatch.mark_no_show(session, assignment_id=assignment_id)
        else:
            dispatch.withdraw(session, assignment_id=assignment_id)
    except Conflict:
        session.rollback()
        flash("この提案はすでに変わっていました。最新の状態を表示しています。", "error")
        return _back_to_run(assignment)
    volunteer = session.get(Volunteer, assignment.volunteer_id)
    done = _ACTIONS[action]
    if action == "complete":
        earned = points_credited([assignment_id]).get(assignment_id, 0)
        done = f"{done}。{earned} pt 付与しました"
    flash(f"{volunteer.name if volunteer else ''} さん：{done}。", "info")
    return _back_to_run(assignment)


@blp.get("/assignments/<int:assignment_id>/alternatives")
@staff_required("coordinator")
def alternatives_page(assignment_id: int) -> Any:
    session = get_session()
    assignment = dispatch.get_assignment(session, assignment_id=assignment_id)
    choices = (
        alternatives.alternatives(session, assignment_id=assignment_id)
        if assignment.status == "proposed"
        else []
    )
    return render_template(
        "dispatch_alternatives.html",
        staff=_staff(),
        assignment=assignment,
        current=session.get(Volunteer, assignment.volunteer_id),
        choices=choices,
        text=text,
    )


@blp.post("/assignments/<int:assignment_id>/override")
@staff_required("coordinator")
def override(assignment_id: int) -> Any:
    session = get_session()
    assignment = dispatch.get_assignment(session, assignment_id=assignment_id)
    raw = request.form.get("volunteer_id", "")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        abort(400)
    try:
        chosen = alternatives.override(
            session,
            assignment_id=assignment_id,
            volunteer_id=int(raw),
            by_user_id=_staff().id,
        )
    except (InvalidInput, Conflict):
        session.rollback()
        flash(
            "その担い手には替えられません（条件が変わりました）。一覧を確かめてください。", "error"
        )
        return redirect(
            url_for("web.dispatch.alternatives_page", assignment_id=assignment_id), code=303
        )
    volunteer = session.get(Volunteer, chosen.volunteer_id)
    flash(
        f"{volunteer.name if volunteer else ''} さんに替えました。電話で返事を聞いてください。",
        "info",
    )
    return _back_to_run(assignment)


def _speed_of(assignment: Assignment) -> float:
    run = assignment.match_run
    return walking_speed(run.params if run is not None else None)


@blp.get("/sheet/<int:volunteer_id>/<day>")
@staff_required("coordinator")
def sheet(volunteer_id: int, day: str) -> Any:
    """One volunteer's tasks of a day, in the order they go round, with planned starts."""
    date = parse_date(day)
    if date is None:
        abort(404)
    session = get_session()
    volunteer = services.get_volunteer(session, volunteer_id=volunteer_id)
    tasks = board.tasks_of_day(session, volunteer_id=volunteer_id, day=date)
    return render_template(
        "dispatch_sheet.html",
        staff=_staff(),
        title=f"{volunteer.name} さんの予定表",
        day=date,
        groups=[VolunteerTasks(volunteer, stops(sorted(tasks, key=day_order), speed=_speed_of))],
        text=text,
    )


@blp.get("/runs/<int:run_id>/sheet")
@staff_required("coordinator")
def run_sheet(run_id: int) -> Any:
    """Every volunteer of a run on one printout (a page each): their live tasks of the run in
    the order they go round."""
    session = get_session()
    match_run = dispatch.get_match_run(session, match_run_id=run_id)
    live = list(
        session.scalars(
            dispatch.assignment_query()
            .where(
                Assignment.match_run_id == run_id,
                Assignment.status.in_(("proposed", "accepted")),
            )
            .order_by(None)
            .order_by(Assignment.id)
        )
    )
    volunteers = {
        v.id: v
        for v in session.scalars(
            select(Volunteer).where(Volunteer.id.in_({a.volunteer_id for a in live}))
        )
    }
    speed = walking_speed(match_run.params)
    groups = by_volunteer(live, volunteers, order=visiting_order, speed=lambda _a: speed)
    day = (
        min(text.local(a.planned_start or a.help_request.window_start).date() for a in live)
        if live
        else text.local(match_run.window_from or match_run.created_at).date()
    )
    return render_template(
        "dispatch_sheet.html",
        staff=_staff(),
        title="この実行の予定表（担い手ごと）",
        day=day,
        groups=groups,
        per_volunteer=True,
        text=text,
    )


@blp.route("/requests/new", methods=["GET", "POST"])
@staff_required("coordinator")
def new_request() -> Any:
    session = get_session()
    raw = request.args.get("resident_id", "")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        abort(404)
    resident = services.get_resident(session, resident_id=int(raw))
    form = RequestForm()
    form.category.choices = [("", "選んでください")] + [
        (c.code, f"{c.label_ja}（{c.duration_min}分）") for c in services.list_categories(session)
    ]
    if request.method == "GET" and not form.day.data:
        form.day.data = (_today() + dt.timedelta(days=1)).isoformat()
    status = 200
    if form.validate_on_submit():
        day = parse_date(form.day.data)
        start, end = parse_time(form.start.data), parse_time(form.end.data)
        if day is None or start is None or end is None:  # pragma: no cover - validated above
            abort(400)
        window_start = dt.datetime.combine(day, start, text.TOKYO)
        window_end = dt.datetime.combine(day, end, text.TOKYO)
        if end <= start:
            form.end.errors = ["終わりは始まりより後の時刻にしてください。"]
        else:
            try:
                created = services.create_help_request(
                    session,
                    resident_id=resident.id,
                    category=form.category.data,
                    window_start=window_start,
                    window_end=window_end,
                    notes=(form.notes.data or "").strip() or None,
                )
            except InvalidInput as error:
                session.rollback()
                _explain(form, error)
            else:
                flash(
                    f"{resident.name} さんの依頼（{created.category.label_ja}）を受け付けました。",
                    "info",
                )
                return redirect(
                    url_for("web.dispatch.board_page", zone=resident.zone, day=day.isoformat())
                    + f"#request-{created.id}",
                    code=303,
                )
    if request.method == "POST":
        status = 422
    body = render_template(
        "dispatch_request_new.html", staff=_staff(), form=form, resident=resident, text=text
    )
    return Response(body, status=status)


def _explain(form: RequestForm, error: InvalidInput) -> None:
    """Put the service's refusal next to the field it is about, in Japanese."""
    fields = getattr(error, "errors", None) or {}
    if "window_end" in fields and "past" in str(fields["window_end"]):
        form.end.errors = ["この時間はもう過ぎています。これからの日時を入力してください。"]
    elif "window_end" in fields:
        form.end.errors = ["この活動に必要な時間より短い時間帯です。終わりを遅くしてください。"]
    elif "category" in fields:
        form.category.errors = ["一覧の中から選んでください。"]
    else:
        form.day.errors = ["受け付けられませんでした。入力内容を確かめてください。"]


@blp.post("/requests/<int:help_request_id>/cancel")
@staff_required("coordinator")
def cancel_request(help_request_id: int) -> Any:
    session = get_session()
    try:
        cancelled = services.cancel_help_request(session, help_request_id=help_request_id)
    except Conflict:
        session.rollback()
        flash("この依頼はもう取り消せません（承諾済みか完了しています）。", "error")
    else:
        flash(f"{cancelled.resident.name} さんの依頼を取り消しました。", "info")
    target = request.form.get("next", "")
    if target.startswith("/dispatch/") and not target.startswith("//"):
        return redirect(target, code=303)
    return redirect(url_for("web.dispatch.board_page"), code=303)
