"""People: the SC's resident and volunteer search, a resident's intake by phone, their pages.

The resident form takes the address as the person says it: the service finds its 町丁目 in the
2024 list (app config ``WARD`` when the address names no ward) and uses its point. When the
address narrows to a few 町丁目, they come back as a pick list; when it names none, the reason,
naming the part that failed, appears next to the address. Hidden ``lat``/``lon`` inputs may be
filled by a map picker: a point within NEIGHBOURHOOD_M of the 町丁目's point is kept instead.

Every page is for staff (SCs and admins) only: residents' addresses and phones are sensitive.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice

from db import InvalidInput
from matching import blocks, directory, places, services
from matching import series as series_service
from matching.models import MAX_TASKS_PER_DAY, Assignment, Skill
from points.rules import TOKYO
from web import series_text
from web.auth import current_staff, staff_required
from web.database import get_session
from web.dispatch_text import order_mark
from web.forms import CAPACITY_CHOICES, CapacityForm, Form, max_length, required
from web.trial import CheckboxesField, Select, SlotForm
from web.volunteer import capacity_message, clock
from web.zonemap import point_picker

blp = Blueprint("people", __name__)

PAGE_SIZE = 20
#: how many weekly slots the volunteer form offers (no JavaScript adds more)
SLOT_ROWS = 4
WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")
REQUEST_STATUS = {
    "open": "受付中",
    "proposed": "提案中",
    "accepted": "引き受け済み",
    "completed": "完了",
    "cancelled": "取り消し",
}
ASSIGNMENT_STATUS = {
    "proposed": "提案中（返事待ち）",
    "accepted": "引き受け",
    "completed": "完了",
    "declined": "辞退",
    "cancelled": "取り消し",
    "no_show": "行けなかった",
    # a cancelled proposal nobody answered by the cut-off (ended_reason "no_answer")
    "no_answer": "返事なしで取り下げ",
}


def round_text(assignment: Assignment) -> str | None:
    """「予定 7:04・まわる順 ②」 for an assignment a run planned in a round, else None."""
    if assignment.planned_start is None:
        return None
    said = f"予定 {clock(assignment.planned_start)}"
    if assignment.round_order is not None:
        said += f"・まわる順 {order_mark(assignment.round_order)}"
    return said


def assignment_label(assignment: Assignment) -> str:
    """An assignment's status in the volunteer's history; no answer by the cut-off says so."""
    if assignment.status == "cancelled" and assignment.ended_reason == "no_answer":
        return ASSIGNMENT_STATUS["no_answer"]
    return ASSIGNMENT_STATUS.get(assignment.status, assignment.status)


VOLUNTEER_STATUS = {"trial": "おためし", "active": "活動中", "inactive": "休止中"}
#: what the address failure's part is called next to the field
PART_NAMES = {
    "address": "住所",
    "postcode": "郵便番号",
    "prefecture": "都道府県",
    "ward": "区",
    "town": "町名",
    "chome": "丁目",
}


def ward() -> str | None:
    found: str | None = current_app.config.get("WARD")
    return found


#: the dashes a Japanese IME types between a phone number's digits
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ーｰ", "-"))


def _plain(text: str | None) -> str:
    """Full-width digits and letters made plain, spaces trimmed (a phone's ０３ is 03)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _point(text: str | None) -> float | None:
    """A hidden coordinate as a number, or None if empty or not one."""
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class ResidentForm(Form):
    name = StringField(
        "お名前",
        validators=[required("お名前"), max_length(100)],
        render_kw={"autocomplete": "off"},
    )
    address = StringField(
        "住所（聞いたとおりに）",
        validators=[required("住所"), max_length(200)],
        render_kw={"autocomplete": "off"},
    )
    phone = StringField(
        "電話番号",
        validators=[max_length(30)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    notes = TextAreaField("メモ（耳が遠い、犬がいる など）", validators=[max_length(1000)])
    #: filled by a map picker, if any: a nearer point than the 町丁目's
    lat = HiddenField()
    lon = HiddenField()
    #: the 町丁目 the SC picked when the address narrowed to several
    area = RadioField("どの町丁目ですか", validate_choice=False)

    def validate_phone(self, field: StringField) -> None:
        text = _plain(field.data).translate(_DASHES)
        if text and not all(ch.isdigit() or ch in " -()+" for ch in text):
            raise ValidationError(
                "電話番号は数字とハイフンで入力してください（例: 03-1234-5678）。"
            )
        field.data = text


@blp.get("/residents")
@staff_required("coordinator")
def residents() -> Any:
    """Find residents by a part of their name, phone or address, and by zone."""
    q, zone, page = _search_args()
    found = directory.search_residents(
        get_session(), q=q, zone=zone, page=page, page_size=PAGE_SIZE
    )
    return render_template(
        "people_residents.html",
        staff=current_staff(),
        q=q or "",
        zone=zone or "",
        zones=directory.zones(get_session()),
        found=found,
        pages=_pages(found, "web.people.residents", q=q, zone=zone),
    )


@blp.route("/residents/new", methods=["GET", "POST"])
@staff_required("coordinator")
def new_resident() -> Any:
    """Take a resident's details by phone; their address finds their 町丁目 and point."""
    form = ResidentForm()
    candidates: list[str] = []
    if form.validate_on_submit():
        picked = form.area.data or None
        try:
            resident, place = services.register_resident(
                get_session(),
                name=form.name.data.strip(),
                address=form.address.data.strip(),
                phone=form.phone.data or None,
                notes=(form.notes.data or "").strip() or None,
                ward=ward(),
                area=picked,
                lat=_point(form.lat.data),
                lon=_point(form.lon.data),
                keep_point_within_m=places.NEIGHBOURHOOD_M,
            )
        except InvalidInput as refused:
            candidates = _show_refusal(form, refused)
        else:
            where = place.area.label if place.area else "入力された地点"
            how = "地図で選んだ地点" if place.point_kept else "町丁目の代表地点"
            flash(f"{resident.name} さんを登録しました。場所: {where}（{how}）", "info")
            return redirect(url_for("web.people.resident", resident_id=resident.id), code=303)
    form.area.choices = [SelectChoice(c, c) for c in candidates]
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "people_resident_new.html",
            staff=current_staff(),
            form=form,
            candidates=candidates,
            ward=ward(),
            has_errors=form.is_submitted(),
        ),
        status,
    )


class VolunteerForm(Form):
    name = StringField(
        "お名前",
        validators=[required("お名前"), max_length(100)],
        render_kw={"autocomplete": "off"},
    )
    birth_year = StringField(
        "生まれた年（西暦）",
        validators=[required("生まれた年")],
        render_kw={"inputmode": "numeric", "maxlength": 8, "autocomplete": "off"},
    )
    contact = StringField(
        "電話番号（連絡先）",
        validators=[required("電話番号"), max_length(200)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    address = StringField(
        "住所（聞いたとおりに）",
        validators=[required("住所"), max_length(200)],
        render_kw={"autocomplete": "off"},
    )
    area = RadioField("どの町丁目ですか", validate_choice=False)
    max_distance_m = Select(
        "歩いて行ける距離",
        choices=[
            SelectChoice(str(m), label)
            for m, label in (
                (500, "500 m まで（5分ほど）"),
                (1000, "1 km まで（15分ほど）"),
                (1500, "1.5 km まで（20分ほど）"),
                (2000, "2 km まで（自転車など）"),
            )
        ],
        default="1000",
    )
    max_tasks_per_day = Select(
        "1日に引き受けられる数",
        choices=CAPACITY_CHOICES,
        default="1",
    )
    skills = CheckboxesField("できること")
    slots = FieldList(FormField(SlotForm), min_entries=SLOT_ROWS, max_entries=SLOT_ROWS)

    def validate_birth_year(self, field: StringField) -> None:
        text = _plain(field.data).replace(" ", "")
        this_year = dt.datetime.now(TOKYO).year
        year = int(text) if text.isascii() and text.isdigit() else None
        if year is None or not 1900 <= year <= this_year:
            raise ValidationError(
                f"生まれ年は1900〜{this_year}の間で、西暦の数字で入力してください（例: 1948）。"
            )
        field.data = str(year)

    def validate_contact(self, field: StringField) -> None:
        field.data = _plain(field.data).translate(_DASHES)

    def availability(self) -> list[dict[str, int]]:
        return [row.form.slot() for row in self.slots if not row.form.is_blank()]


@blp.route("/volunteers/new", methods=["GET", "POST"])
@staff_required("coordinator")
def new_volunteer() -> Any:
    """Register a volunteer by phone (often an elderly one without a smartphone)."""
    session = get_session()
    form = VolunteerForm()
    form.skills.choices = [
        SelectChoice(s.code, s.label_ja)
        for s in session.scalars(select(Skill).order_by(Skill.code))
    ]
    candidates: list[str] = []
    if form.validate_on_submit():
        try:
            volunteer, _token = services.create_volunteer(
                session,
                name=form.name.data.strip(),
                birth_year=int(form.birth_year.data),
                contact=form.contact.data,
                address=form.address.data.strip(),
                area=form.area.data or None,
                ward=ward(),
                max_distance_m=int(form.max_distance_m.data or 1000),
                max_tasks_per_day=int(form.max_tasks_per_day.data or 1),
                skills=form.skills.data or [],
                availability=form.availability(),
            )
        except InvalidInput as refused:
            candidates = _show_refusal(form, refused)
        else:
            flash(f"{volunteer.name} さんをボランティアとして登録しました。", "info")
            return redirect(url_for("web.people.volunteer", volunteer_id=volunteer.id), code=303)
    form.area.choices = [SelectChoice(c, c) for c in candidates]
    return (
        render_template(
            "people_volunteer_new.html",
            staff=current_staff(),
            form=form,
            candidates=candidates,
            ward=ward(),
            has_errors=form.is_submitted(),
        ),
        422 if form.is_submitted() else 200,
    )


def _show_refusal(form: ResidentForm | VolunteerForm, refused: InvalidInput) -> list[str]:
    """Put an address the service refused next to the field, or its candidates in a pick list;
    return the candidates."""
    errors = refused.errors or {}
    candidates = errors.get("address_candidates", [])
    why = errors.get("address") or errors.get("area")
    if why is None:  # not about the address (a skill gone since the page was drawn, say)
        form.address.errors = ["この内容では登録できませんでした。入力内容を確かめてください。"]
        return []
    part = (errors.get("address_part") or [""])[0]
    if candidates:
        form.area.errors = [f"{why[0]}。下の一覧から選んでください。"]
    else:
        form.address.errors = [f"{PART_NAMES.get(part, '住所')}を確かめてください — {why[0]}"]
    return candidates


@blp.get("/residents/<int:resident_id>")
@staff_required("coordinator")
def resident(resident_id: int) -> Any:
    """A resident's details, where they were placed, and their help requests."""
    session = get_session()
    person = services.get_resident(session, resident_id=resident_id)
    return render_template(
        "people_resident.html",
        staff=current_staff(),
        person=person,
        picker=point_picker(ward=_picker_ward(), lat=person.lat, lon=person.lon),
        area=_area_label(person.lat, person.lon),
        requests=directory.requests_of(session, resident_id=resident_id),
        series=[
            series_text.summary(s)
            for s in series_service.list_series(session, resident_id=resident_id)
        ],
        status_names=REQUEST_STATUS,
        when=when,
    )


def _picker_ward() -> str:
    return str(current_app.config["WARD"])


@blp.post("/residents/<int:resident_id>/point")
@staff_required("coordinator")
def move_resident(resident_id: int) -> Any:
    """The point picked on the resident's map (their door rather than the 町丁目's point)."""
    lat, lon = _point(request.form.get("lat")), _point(request.form.get("lon"))
    if lat is None or lon is None:
        flash("地図の地点を読み取れませんでした。もう一度選んでください。", "error")
    else:
        try:
            services.move_resident(get_session(), resident_id=resident_id, lat=lat, lon=lon)
        except InvalidInput as refused:
            flash(refused.errors["lat"][0], "error")
        else:
            flash("地点を直しました。", "success")
    return redirect(url_for("web.people.resident", resident_id=resident_id) + "#point", code=303)


@blp.get("/volunteers")
@staff_required("coordinator")
def volunteers() -> Any:
    """Find volunteers by a part of their name or contact, zone, status and skill."""
    q, zone, page = _search_args()
    status = request.args.get("status") or None
    if status not in VOLUNTEER_STATUS:
        status = None
    skill = request.args.get("skill") or None
    session = get_session()
    skills = list(session.scalars(select(Skill).order_by(Skill.code)))
    if skill not in {s.code for s in skills}:
        skill = None
    found = directory.search_volunteers(
        session, q=q, zone=zone, status=status, skill=skill, page=page, page_size=PAGE_SIZE
    )
    return render_template(
        "people_volunteers.html",
        staff=current_staff(),
        q=q or "",
        zone=zone or "",
        status=status or "",
        skill=skill or "",
        zones=directory.zones(session),
        skills=skills,
        status_names=VOLUNTEER_STATUS,
        found=found,
        pages=_pages(found, "web.people.volunteers", q=q, zone=zone, status=status, skill=skill),
    )


@blp.get("/volunteers/<int:volunteer_id>")
@staff_required("coordinator")
def volunteer(volunteer_id: int) -> Any:
    """A volunteer's contact, skills, weekly availability, status and assignments."""
    return _volunteer_page(volunteer_id, None)


@blp.post("/volunteers/<int:volunteer_id>/capacity")
@staff_required("coordinator")
def volunteer_capacity(volunteer_id: int) -> Any:
    """The SC changes how many tasks a volunteer takes on one day (as the volunteer asked)."""
    session = get_session()
    person = services.get_volunteer(session, volunteer_id=volunteer_id)
    form = CapacityForm()
    if not form.validate():
        return _volunteer_page(volunteer_id, form), 422
    services.update_volunteer(
        session, volunteer_id=person.id, changes={"max_tasks_per_day": form.count()}
    )
    today = dt.datetime.now(TOKYO).date()
    flash(f"{person.name} さんの" + capacity_message(person.id, form.count(), today), "success")
    return redirect(
        url_for("web.people.volunteer", volunteer_id=person.id, _anchor="capacity"), code=303
    )


def _volunteer_page(volunteer_id: int, capacity_form: CapacityForm | None) -> str:
    session = get_session()
    person = services.get_volunteer(session, volunteer_id=volunteer_id)
    return render_template(
        "people_volunteer.html",
        capacity_form=capacity_form or CapacityForm.showing(person.max_tasks_per_day),
        max_tasks=MAX_TASKS_PER_DAY,
        staff=current_staff(),
        person=person,
        area=_area_label(person.lat, person.lon),
        slots=[
            (WEEKDAYS[s.weekday], _clock(s.start_min), _clock(s.end_min))
            for s in person.availability
        ],
        assignments=directory.assignments_of(session, volunteer_id=volunteer_id),
        no_shows=blocks.no_show_count(session, volunteer_id=volunteer_id),
        standing=[
            series_text.summary(s)
            for s in series_service.list_series(
                session, standing_volunteer_id=volunteer_id, include_ended=False
            )
        ],
        status_names=VOLUNTEER_STATUS,
        assignment_label=assignment_label,
        round_text=round_text,
        when=when,
        age=dt.datetime.now(TOKYO).year - person.birth_year,
        today=dt.datetime.now(TOKYO).date().isoformat(),
    )


# --- helpers ------------------------------------------------------------------------------


def _search_args() -> tuple[str | None, str | None, int]:
    q = _plain(request.args.get("q"))[:100] or None
    zone = (request.args.get("zone") or "").strip()[:60] or None
    page_text = request.args.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) <= 100_000 else 1
    return q, zone, page


def _pages(found: dict[str, Any], endpoint: str, **args: Any) -> dict[str, str | None]:
    """Links to the previous and next pages, keeping the search."""
    kept = {k: v for k, v in args.items() if v}
    page, last = found["page"], found["pages"]
    return {
        "previous": url_for(endpoint, page=page - 1, **kept) if page > 1 else None,
        "next": url_for(endpoint, page=page + 1, **kept) if page < last else None,
    }


def _area_label(lat: float, lon: float) -> str | None:
    try:
        return places.nearest_area(lat, lon).label
    except InvalidInput:
        return None


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def when(start: dt.datetime, end: dt.datetime) -> str:
    """A window in Tokyo time, as an SC says it: 12月1日（火） 7:00〜9:00."""
    a, b = start.astimezone(TOKYO), end.astimezone(TOKYO)
    day = f"{a.month}月{a.day}日（{WEEKDAYS[a.weekday()]}）"
    start_at = _clock(a.hour * 60 + a.minute)
    if a.date() == b.date():
        return f"{day} {start_at}〜{_clock(b.hour * 60 + b.minute)}"
    return f"{day} {start_at}〜{b.month}月{b.day}日 {_clock(b.hour * 60 + b.minute)}"
