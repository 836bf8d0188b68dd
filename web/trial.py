"""おためしボランティア: the public signup form (no sign-in), a plain form POST that works without
JavaScript, through the same service code as ``POST /api/v1/trial-signups``.

The neighbourhood is picked from the ward's 町丁目 (app config ``WARD``, default 世田谷区) in the
2024 list that `matching.places` and the address search use (太子堂四丁目); a 町丁目 posted as the
census list writes it (太子堂4丁目: an old page, a bookmark) is taken as the same one;
what they would like to try is the trial-eligible categories; when they are free is a few rows
of weekday and times. The API's token is not shown: the SC contacts the person, and sends them a
sign-in link for the volunteer page later.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    url_for,
)
from flask import session as cookie
from flask_limiter import Limiter
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms import (
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms import Form as SubForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from db import InvalidInput
from matching import places, services
from matching.addresses import areas
from matching.models import Category
from points.point_rules import get_rules
from points.rules import TOKYO
from web.database import get_session
from web.errors import too_many_page
from web.forms import Form, max_length, required

blp = Blueprint("trial", __name__)

WEEKDAYS = ("月", "火", "水", "木", "金", "土", "日")
#: how many "when are you free" rows the form offers (no JavaScript adds more)
SLOT_ROWS = 3
#: the times offered, every 30 minutes from 6:00 to 22:00
_TIMES = [SelectChoice(str(m), f"{m // 60}:{m % 60:02d}") for m in range(6 * 60, 22 * 60 + 1, 30)]
_BLANK = SelectChoice("", "—")
FIRST_YEAR = 1900


def limit_signups(limiter: Limiter) -> None:
    """Limit posted signups per client address as the API's おためし endpoint is limited
    (the same limiter and the same setting, TRIAL_SIGNUP_RATE_LIMIT)."""
    limiter.shared_limit(
        lambda: current_app.config["TRIAL_SIGNUP_RATE_LIMIT"],
        # the API's scope (api.TRIAL_SIGNUP_SCOPE; web may not import api): one count for both
        scope="trial-signup",
        methods=["POST"],
    )(blp)


def check_ward(ward_name: str) -> None:
    """Refuse to start with a WARD that has no 町丁目 (a typo would leave the form empty)."""
    if not any(ward_name in (a.ward_name, a.ward_code) for a in areas()):
        raise ValueError(f"WARD={ward_name!r} is not one of Tokyo's 23 wards (e.g. 世田谷区).")


def ward() -> str:
    ward_name: str = current_app.config["WARD"]
    return ward_name


def chome_choices(ward_name: str) -> list[SelectChoice]:
    """The ward's 町丁目 in the 2024 list's order, grouped by 町名 (太子堂: 太子堂一丁目 …)."""
    return [SelectChoice("", "選んでください")] + [
        SelectChoice(a.area_name, a.area_name, optgroup=a.town) for a in areas(ward_name)
    ]


def _as_listed(form: TrialSignupForm, ward_name: str) -> None:
    """Take a 町丁目 of the ward written another way (太子堂4丁目) as the list's (太子堂四丁目)."""
    offered = {c.value for c in form.chome.choices or []}
    if not form.chome.data or form.chome.data in offered:
        return
    try:
        area = places.find_area(form.chome.data, ward=ward_name)
    except InvalidInput:
        return
    if area.area_name in offered and ward_name in (area.ward_name, area.ward_code):
        form.chome.data = area.area_name


def _this_year() -> int:
    return dt.datetime.now(TOKYO).year


def _digits(text: str) -> str:
    """Full-width digits (a Japanese keyboard's １９７５) and spaces made plain."""
    return unicodedata.normalize("NFKC", text).replace(" ", "")


class Select(SelectField):  # type: ignore[misc]
    """A drop-down whose refusal of a value it did not offer is in Japanese."""

    def pre_validate(self, form: Any) -> None:
        if self.data and self.data not in {c.value for c in self.choices or []}:
            raise ValidationError("一覧の中から選んでください。")


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """Checkboxes, one per choice; a value that was not offered is refused in Japanese."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        offered = {c.value for c in self.choices or []}
        if any(value not in offered for value in self.data or []):
            raise ValidationError("選べない項目が含まれています。もう一度選んでください。")


class SlotForm(SubForm):  # type: ignore[misc]
    """One row of "when are you free": a weekday, from, until (all blank: no row)."""

    weekday = Select(
        "曜日",
        choices=[_BLANK] + [SelectChoice(str(i), f"{d}曜日") for i, d in enumerate(WEEKDAYS)],
    )
    start = Select("何時から", choices=[_BLANK, *_TIMES])
    end = Select("何時まで", choices=[_BLANK, *_TIMES])

    def is_blank(self) -> bool:
        return not (self.weekday.data or self.start.data or self.end.data)

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        if not ok or self.is_blank():
            return ok
        for f, what in (
            (self.weekday, "曜日"),
            (self.start, "始まりの時刻"),
            (self.end, "終わりの時刻"),
        ):
            if not f.data:
                f.errors = [*f.errors, f"{what}を選んでください。"]
                ok = False
        if ok and int(self.end.data) <= int(self.start.data):
            self.end.errors = [*self.end.errors, "終わりの時刻は、始まりより後にしてください。"]
            ok = False
        return ok

    def slot(self) -> dict[str, int]:
        return {
            "weekday": int(self.weekday.data),
            "start_min": int(self.start.data),
            "end_min": int(self.end.data),
        }


class TrialSignupForm(Form):
    name = StringField(
        "お名前",
        validators=[required("お名前"), max_length(100)],
        render_kw={"autocomplete": "name"},
    )
    birth_year = StringField(
        "生まれた年（西暦）",
        validators=[required("生まれた年")],
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year", "maxlength": 8},
    )
    contact = StringField(
        "連絡先（電話番号またはメールアドレス）",
        validators=[required("連絡先"), max_length(200)],
        render_kw={"autocomplete": "tel"},
    )
    chome = Select(
        "お住まいの町丁目", validators=[DataRequired(message="お住まいの町丁目を選んでください。")]
    )
    interests = CheckboxesField("やってみたいこと")
    slots = FieldList(FormField(SlotForm), min_entries=SLOT_ROWS, max_entries=SLOT_ROWS)

    def validate_birth_year(self, field: StringField) -> None:
        text = _digits(field.data or "")
        year = int(text) if text.isascii() and text.isdigit() else None
        if year is None or not FIRST_YEAR <= year <= _this_year():
            raise ValidationError(
                f"生まれ年は{FIRST_YEAR}〜{_this_year()}の間で、西暦の数字で入力してください"
                "（例: 1958）。"
            )
        field.data = str(year)

    def validate_contact(self, field: StringField) -> None:
        if len((field.data or "").strip()) < 3:
            raise ValidationError("電話番号かメールアドレスを入力してください。")

    def validate_interests(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError("やってみたいことを1つ以上選んでください。")

    def availability(self) -> list[dict[str, int]]:
        return [row.form.slot() for row in self.slots if not row.form.is_blank()]

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        self.slots_error: str | None = None
        if all(row.form.is_blank() for row in self.slots):
            self.slots_error = "活動できる曜日と時間を1つ以上選んでください。"
            ok = False
        return ok


def _trial_categories() -> list[Category]:
    return list(
        get_session().scalars(select(Category).where(Category.trial_ok).order_by(Category.id))
    )


@blp.route("/trial", methods=["GET", "POST"])
def signup() -> Any:
    """The form; a valid one creates a `trial` volunteer and goes on to the thanks page."""
    categories = _trial_categories()
    form = TrialSignupForm()
    form.chome.choices = chome_choices(ward())
    _as_listed(form, ward())
    form.interests.choices = [
        SelectChoice(c.code, f"{c.label_ja}（{c.duration_min}分ほど・{c.points}ポイント）")
        for c in categories
    ]
    if form.validate_on_submit():
        try:
            volunteer = _sign_up(form)
        except InvalidInput as refused:
            # a category closed to trial since the page was drawn, say
            target = form.interests if "interests" in (refused.errors or {}) else form.chome
            target.errors = [
                *target.errors,
                "この内容では受け付けられませんでした。選び直してください。",
            ]
        else:
            cookie["trial_signed_up"] = volunteer.name
            return redirect(url_for("web.trial.thanks"), code=303)
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "trial.html",
            form=form,
            ward=ward(),
            weekdays=WEEKDAYS,
            has_errors=form.is_submitted(),
        ),
        status,
    )


def _sign_up(form: TrialSignupForm) -> Any:
    """What POST /api/v1/trial-signups does with a chome: its point and 町名, then the service."""
    place = places.place_of(area=form.chome.data, ward=ward(), area_field="chome")
    volunteer, _token = services.signup_trial(
        get_session(),
        zone=place.zone,
        name=form.name.data.strip(),
        birth_year=int(form.birth_year.data),
        contact=form.contact.data.strip(),
        lat=place.lat,
        lon=place.lon,
        interests=form.interests.data,
        availability=form.availability(),
    )
    return volunteer


@blp.get("/trial/thanks")
def thanks() -> Any:
    """What happens next, and how points work (numbers from the ward's point rules)."""
    name = cookie.pop("trial_signed_up", None)
    return render_template(
        "trial_thanks.html",
        name=name if isinstance(name, str) else None,
        rules=get_rules(get_session()),
        categories=_trial_categories(),
    )


@blp.errorhandler(429)
def _too_many(error: HTTPException) -> Response:
    return too_many_page(
        error,
        "この端末からの申し込みが続いたため、いまは受け付けを止めています。"
        "しばらく待ってから、もう一度お試しください。"
        "お急ぎの方は、お住まいの地域の生活支援コーディネーターにお電話でお申し込みください。",
    )
