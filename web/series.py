"""くり返しの依頼 (request series) for the SC: the list by zone, a new series for a resident, and a
series' page with its next occurrences, pause / resume / end, edit, and its standing volunteer
(いつもの担い手).

Every change goes through matching/series.py, the services the API calls. Creating, resuming or
editing a series makes its occurrences at once with the same generate() the cron command runs
(only that series), so the SC sees them before leaving the page.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask import request as http
from sqlalchemy.orm import Session
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from db import Conflict, InvalidInput, utcnow
from matching import directory, services
from matching import series as series_service
from matching.models import RequestSeries, Volunteer
from matching.places import metres
from web import series_text
from web.auth import current_staff, staff_required
from web.database import get_session
from web.dispatch import parse_date, parse_time
from web.forms import Form, max_length, required
from web.people import REQUEST_STATUS
from web.trial import CheckboxesField, Select

blp = Blueprint("series_pages", __name__, url_prefix="/series")

#: the next occurrences a series' page shows
SHOWN = 10
ASSIGNMENT_STATUS = {"proposed": "返事待ち", "accepted": "引き受け", "completed": "完了"}


def _a_date(_form: Any, field: Any) -> None:
    if field.data and parse_date(field.data) is None:
        raise ValidationError("日付は 2026-12-01 の形で入力してください。")


def _a_time(_form: Any, field: Any) -> None:
    if field.data and parse_time(field.data) is None:
        raise ValidationError("時刻は 7:00 の形で入力してください。")


class RuleForm(Form):
    """What may change in a series (future occurrences only)."""

    weekdays = CheckboxesField(
        "曜日",
        choices=[SelectChoice(str(i), f"{d}曜日") for i, d in enumerate(series_text.WEEKDAYS)],
    )
    pattern = Select(
        "くり返し方",
        choices=[SelectChoice(k, v) for k, v in series_text.PATTERN_CHOICES.items()],
        default="weekly",
        validators=[required("くり返し方")],
    )
    start = StringField(
        "何時から", validators=[required("始まりの時刻"), _a_time], render_kw={"type": "time"}
    )
    end = StringField(
        "何時まで", validators=[required("終わりの時刻"), _a_time], render_kw={"type": "time"}
    )
    end_date = StringField(
        "終わる日（決まっていなければ空欄）",
        validators=[Optional(), _a_date],
        render_kw={"type": "date"},
    )
    holidays = Select(
        "祝日と年末年始（12/29〜1/3）",
        choices=[
            SelectChoice("", "区の決まりどおり"),
            SelectChoice("skip", "休む"),
            SelectChoice("keep", "行う"),
        ],
        validators=[Optional()],
    )
    notes = TextAreaField(
        "メモ（ゴミの種類、置き場所など）", validators=[Optional(), max_length(1000)]
    )

    def validate_weekdays(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError("曜日を1つ以上選んでください。")

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        start, end = parse_time(self.start.data), parse_time(self.end.data)
        if start and end and end <= start:
            self.end.errors = [*self.end.errors, "終わりは始まりより後の時刻にしてください。"]
            ok = False
        return ok

    def rule(self) -> dict[str, Any]:
        """The fields as the service takes them."""
        start, end = parse_time(self.start.data), parse_time(self.end.data)
        if start is None or end is None:  # pragma: no cover - validated before
            abort(400)
        return {
            "weekdays": sorted(int(d) for d in self.weekdays.data),
            "pattern": self.pattern.data,
            "window_start_min": start.hour * 60 + start.minute,
            "window_end_min": end.hour * 60 + end.minute,
            "end_date": parse_date(self.end_date.data) if self.end_date.data else None,
            "holidays": self.holidays.data or None,
            "notes": (self.notes.data or "").strip() or None,
        }


class NewSeriesForm(RuleForm):
    category = Select("活動の種類", validators=[required("活動の種類")])
    start_date = StringField(
        "始める日", validators=[required("始める日"), _a_date], render_kw={"type": "date"}
    )


# --- the ward's settings, as the cron command reads them ----------------------------------


def weeks_ahead() -> int:
    configured = current_app.config.get("SERIES_WEEKS_AHEAD") or os.environ.get(
        "SERIES_WEEKS_AHEAD"
    )
    return int(configured or series_service.DEFAULT_WEEKS_AHEAD)


def ward_holidays() -> str:
    rule = current_app.config.get("SERIES_HOLIDAYS") or os.environ.get("SERIES_HOLIDAYS", "skip")
    return rule if rule in ("skip", "keep") else "skip"


def _generate(session: Session, series_id: int) -> int:
    """Make this series' coming occurrences now, as `flask series generate` would."""
    now = utcnow()
    report = series_service.generate(
        session,
        weeks_ahead=weeks_ahead(),
        today=now.astimezone(series_service.TOKYO).date(),
        holidays=ward_holidays(),
        now=now,
        series_id=series_id,
    )
    return report.created


def _staff_id() -> int | None:
    staff = current_staff()
    return staff.id if staff else None


def _explain(form: RuleForm, error: InvalidInput, duration_min: int | None) -> None:
    """Put the service's refusal next to the field it is about, in Japanese."""
    fields = error.errors or {}
    if "window_end" in fields:
        form.end.errors = [
            f"この活動には {duration_min} 分以上の時間帯が必要です。終わりを遅くしてください。"
            if duration_min
            else "終わりは始まりより後の時刻にしてください。"
        ]
    if "end_date" in fields:
        form.end_date.errors = ["終わる日は、始める日と同じか後の日にしてください。"]
    if "weekdays" in fields:
        form.weekdays.errors = ["曜日を1つ以上選んでください。"]
    if "category" in fields and isinstance(form, NewSeriesForm):
        form.category.errors = ["一覧の中から選んでください。"]
    if not any(f.errors for f in form):
        form.weekdays.errors = ["登録できませんでした。入力内容を確かめてください。"]


# --- the list -----------------------------------------------------------------------------


@blp.get("/")
@staff_required("coordinator")
def index() -> Any:
    session = get_session()
    zones = directory.zones(session)
    zone = (http.args.get("zone") or "").strip()[:60] or None
    if zone not in zones:
        zone = None
    found = series_service.list_series(session, zone=zone)
    return render_template(
        "series_list.html",
        staff=current_staff(),
        zones=zones,
        zone=zone or "",
        items=[_row(session, s) for s in found],
    )


def _row(session: Session, series: RequestSeries) -> dict[str, Any]:
    row = series_text.summary(series)
    row["resident"] = series.resident
    row["standing"] = _standing(session, series)
    return row


def _standing(session: Session, series: RequestSeries) -> Volunteer | None:
    if series.standing_volunteer_id is None:
        return None
    return session.get(Volunteer, series.standing_volunteer_id)


# --- a new series -------------------------------------------------------------------------


@blp.route("/new", methods=["GET", "POST"])
@staff_required("coordinator")
def new() -> Any:
    session = get_session()
    raw = http.args.get("resident_id", "")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        abort(404)
    resident = services.get_resident(session, resident_id=int(raw))
    categories = services.list_categories(session)
    form = NewSeriesForm()
    form.category.choices = [SelectChoice("", "選んでください")] + [
        SelectChoice(c.code, f"{c.label_ja}（{c.duration_min}分）") for c in categories
    ]
    if http.method == "GET":
        form.start_date.data = (
            form.start_date.data
            or (utcnow().astimezone(series_service.TOKYO).date() + dt.timedelta(days=1)).isoformat()
        )
    if form.validate_on_submit():
        start_date = parse_date(form.start_date.data)
        if start_date is None:  # pragma: no cover - validated above
            abort(400)
        try:
            created = series_service.create_series(
                session,
                resident_id=resident.id,
                category=form.category.data,
                start_date=start_date,
                created_by_id=_staff_id(),
                **form.rule(),
            )
        except InvalidInput as error:
            session.rollback()
            duration = next(
                (c.duration_min for c in categories if c.code == form.category.data), None
            )
            _explain(form, error, duration)
        else:
            made = _generate(session, created.id)
            flash(
                f"{resident.name} さんのくり返しの依頼（{created.category.label_ja}）を"
                f"つくりました。これから {weeks_ahead()} 週間分の依頼 {made} 件を用意しました。",
                "info",
            )
            return redirect(url_for("web.series_pages.show", series_id=created.id), code=303)
    body = render_template(
        "series_new.html",
        staff=current_staff(),
        form=form,
        resident=resident,
        ward_holidays=ward_holidays(),
    )
    return Response(body, status=422 if http.method == "POST" else 200)


# --- a series' page -----------------------------------------------------------------------


@blp.get("/<int:series_id>")
@staff_required("coordinator")
def show(series_id: int) -> Any:
    session = get_session()
    series = series_service.get_series(session, series_id=series_id)
    standing = _standing(session, series)
    resident = series.resident
    candidates = series_service.standing_candidates(session, series_id=series_id)
    if standing is not None and standing.status == "active":
        candidates = [standing] + [v for v in candidates if v.id != standing.id]
    return render_template(
        "series_show.html",
        staff=current_staff(),
        series=series,
        summary=series_text.summary(series),
        holidays=series_text.holidays(series.holidays, ward_holidays()),
        resident=resident,
        standing=standing,
        candidates=[
            (v, round(metres(v.lat, v.lon, resident.lat, resident.lon))) for v in candidates
        ],
        occurrences=series_service.upcoming(
            session, series_id=series_id, now=utcnow(), limit=SHOWN
        ),
        day=series_text.day,
        hours=_hours,
        request_status=REQUEST_STATUS,
        assignment_status=ASSIGNMENT_STATUS,
    )


def _hours(start: dt.datetime, end: dt.datetime) -> str:
    a, b = start.astimezone(series_service.TOKYO), end.astimezone(series_service.TOKYO)
    return series_text.hours(a.hour * 60 + a.minute, b.hour * 60 + b.minute)


def _back(series_id: int) -> Response:
    return redirect(url_for("web.series_pages.show", series_id=series_id), code=303)


@blp.post("/<int:series_id>/pause")
@staff_required("coordinator")
def pause(series_id: int) -> Any:
    session = get_session()
    try:
        series_service.pause_series(session, series_id=series_id)
    except Conflict:
        session.rollback()
        flash("このくり返しの依頼は実施中ではありません。", "error")
    else:
        flash(
            "一時停止しました。まだ始まっていない回は取り消しました（引き受け済みの回は残っています。"
            "担い手に電話で伝えてください）。",
            "info",
        )
    return _back(series_id)


@blp.post("/<int:series_id>/resume")
@staff_required("coordinator")
def resume(series_id: int) -> Any:
    session = get_session()
    try:
        series_service.resume_series(session, series_id=series_id)
    except Conflict:
        session.rollback()
        flash("このくり返しの依頼は一時停止中ではありません。", "error")
    else:
        made = _generate(session, series_id)
        flash(f"再開しました。これからの依頼 {made} 件を用意しました。", "info")
    return _back(series_id)


@blp.route("/<int:series_id>/end", methods=["GET", "POST"])
@staff_required("coordinator")
def end(series_id: int) -> Any:
    """Ask once more (an ended series cannot come back); the POST ends it."""
    session = get_session()
    series = series_service.get_series(session, series_id=series_id)
    if http.method == "GET":
        if series.status == "ended":
            return _back(series_id)
        return render_template(
            "series_end.html",
            staff=current_staff(),
            series=series,
            summary=series_text.summary(series),
        )
    try:
        series_service.end_series(session, series_id=series_id)
    except Conflict:
        session.rollback()
        flash("このくり返しの依頼は、もう終了しています。", "error")
    else:
        flash(
            "終了しました。まだ始まっていない回は取り消しました（引き受け済みの回は残っています）。",
            "info",
        )
    return _back(series_id)


@blp.route("/<int:series_id>/edit", methods=["GET", "POST"])
@staff_required("coordinator")
def edit(series_id: int) -> Any:
    """Change the rule for the occurrences not yet begun (accepted ones stay)."""
    session = get_session()
    series = series_service.get_series(session, series_id=series_id)
    if series.status == "ended":
        flash("終了したくり返しの依頼は変えられません。", "error")
        return _back(series_id)
    form = RuleForm()
    if http.method == "GET":
        form.weekdays.data = [str(d) for d in series.weekdays]
        form.pattern.data = series.pattern
        form.start.data = series_text.clock(series.window_start_min).zfill(5)
        form.end.data = series_text.clock(series.window_end_min).zfill(5)
        form.end_date.data = series.end_date.isoformat() if series.end_date else ""
        form.holidays.data = series.holidays or ""
        form.notes.data = series.notes or ""
    if form.validate_on_submit():
        changes = form.rule()
        try:
            series_service.edit_series(session, series_id=series_id, changes=changes)
        except InvalidInput as error:
            session.rollback()
            _explain(form, error, series.category.duration_min)
        except Conflict:
            session.rollback()
            flash("終了したくり返しの依頼は変えられません。", "error")
            return _back(series_id)
        else:
            made = _generate(session, series_id) if series.status == "active" else 0
            flash(f"変更しました。これからの依頼 {made} 件を新しい決まりで用意しました。", "info")
            return _back(series_id)
    body = render_template(
        "series_edit.html",
        staff=current_staff(),
        ward_holidays=ward_holidays(),
        form=form,
        series=series,
        summary=series_text.summary(series),
    )
    return Response(body, status=422 if http.method == "POST" else 200)


@blp.post("/<int:series_id>/standing")
@staff_required("coordinator")
def standing(series_id: int) -> Any:
    """Set (a volunteer's id) or clear (empty) the standing volunteer."""
    session = get_session()
    series = series_service.get_series(session, series_id=series_id)
    raw = (http.form.get("volunteer_id") or "").strip()
    if raw and not (raw.isdigit() and 0 < int(raw) < 2**31):
        abort(400)
    chosen = int(raw) if raw else None
    previous = _standing(session, series)
    if chosen == series.standing_volunteer_id:
        flash("いつもの担い手は変わっていません。", "info")
        return _back(series_id)
    try:
        series_service.set_standing(session, series_id=series_id, volunteer_id=chosen)
    except InvalidInput:
        session.rollback()
        flash("その方はいつもの担い手にできません（活動中ではありません）。", "error")
        return _back(series_id)
    reopened = (
        f"{previous.name} さんが引き受けていたこれからの回は受付中に戻りました。"
        "マッチング画面で「要対応」として表示されます。"
        if previous is not None
        else ""
    )
    volunteer = session.get(Volunteer, chosen) if chosen is not None else None
    if volunteer is not None:
        flash(
            f"{volunteer.name} さんをいつもの担い手にしました。これからの回は {volunteer.name} "
            f"さんの引き受けになります（ほかの予定がある日と行けない日をのぞく）。{reopened}",
            "info",
        )
    else:
        flash(f"いつもの担い手をはずしました。{reopened}", "info")
    return _back(series_id)
