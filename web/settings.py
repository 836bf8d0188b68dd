"""Ward settings (管理者 only): task categories, point rules, partner shops and their keys, and
staff users. Every change goes through the same service functions as the API
(matching.categories, points.point_rules, points.shops, access.staff), committed once per page.

A shop's key is shown once, on the page that answers the form that made it (never put in the
cookie nor in a URL), with ``Cache-Control: no-store`` so the browser does not keep the page.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, PasswordField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from access import staff as staff_users
from access.models import User
from access.passwords import MAX_LENGTH, MIN_LENGTH
from db import Conflict, InvalidInput, NotFound, utcnow
from matching import categories as task_categories
from matching.models import Category
from points import point_rules, settlement
from points import rules as calendar
from points import shops as partner_shops
from points.models import Shop
from web.auth import ROLE_NAMES, current_staff, staff_required
from web.database import get_session
from web.forms import Form, max_length, required
from web.trial import CheckboxesField, Select

blp = Blueprint("settings", __name__, url_prefix="/settings")


# --- forms ---------------------------------------------------------------------------------


class Number(IntegerField):  # type: ignore[misc]
    """A whole number typed on any keyboard (full-width １２０ too), refused in Japanese."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = unicodedata.normalize("NFKC", valuelist[0]).replace(",", "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError("数字で入力してください（例: 30）。") from None


def filled(what: str) -> InputRequired:
    """A required number (0 is a number: DataRequired would refuse it)."""
    return InputRequired(message=f"{what}を入力してください。")


def between(low: int, high: int) -> NumberRange:
    return NumberRange(low, high, message=f"{low:,}〜{high:,}の数で入力してください。")


class CategoryForm(Form):
    label_ja = StringField(
        "名前", validators=[required("名前"), max_length(task_categories.LABEL_MAX)]
    )
    code = StringField(
        "記号（英字）",
        validators=[
            required("記号"),
            Regexp(
                task_categories.CODE_PATTERN,
                message="英小文字で始まる、英小文字・数字・_ の2〜40文字で入力してください"
                "（例: mimamori）。",
            ),
        ],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )
    duration_min = Number(
        "かかる時間（分）",
        validators=[filled("かかる時間"), between(*task_categories.DURATION_RANGE)],
        render_kw={"inputmode": "numeric"},
    )
    points = Number(
        "ポイント",
        validators=[filled("ポイント"), between(*task_categories.POINTS_RANGE)],
        render_kw={"inputmode": "numeric"},
    )
    skills = CheckboxesField("必要な技能", choices=[])
    new_skill_label = StringField(
        "新しい技能の名前", validators=[Optional(), max_length(task_categories.LABEL_MAX)]
    )
    new_skill_code = StringField(
        "新しい技能の記号（英字）",
        validators=[
            Optional(),
            Regexp(
                task_categories.CODE_PATTERN,
                message="英小文字で始まる、英小文字・数字・_ の2〜40文字で入力してください。",
            ),
        ],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )
    trial_ok = BooleanField("おためしボランティアも選べる")

    def validate_label_ja(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError("名前を入力してください。")

    def validate_new_skill_code(self, field: StringField) -> None:
        if bool(field.data) != bool((self.new_skill_label.data or "").strip()):
            raise ValidationError("新しい技能は、名前と記号の両方を入力してください。")

    def new_skills(self) -> list[dict[str, str]]:
        if not self.new_skill_code.data:
            return []
        return [{"code": self.new_skill_code.data, "label_ja": self.new_skill_label.data.strip()}]


#: each point rule: its label, and a hint in the words of the ward's staff
RULE_LABELS: dict[str, tuple[str, str]] = {
    "daily_cap": ("1日にためられるポイントの上限", "1人が1日の活動でためられるポイントです。"),
    "annual_exchange_cap": (
        "1年に交換できるポイントの上限",
        "1人が年度（4月〜翌年3月）に商品券へ交換できるポイントです。",
    ),
    "voucher_unit": ("商品券に交換する単位（ポイント）", "この数の倍数で交換します（例: 500）。"),
    "voucher_yen_per_point": ("1ポイントあたりの金額（円）", "これから発行する商品券に使います。"),
    "voucher_valid_days": ("商品券の有効期限（日）", "発行した日から使える日数です。"),
}


class PointRulesForm(Form):
    pass


for _name, (_label, _hint) in RULE_LABELS.items():
    setattr(
        PointRulesForm,
        _name,
        Number(
            _label,
            validators=[filled("数"), between(*point_rules.RULE_RANGES[_name])],
            description=_hint,
            render_kw={"inputmode": "numeric"},
        ),
    )


class ShopForm(Form):
    name = StringField("お店の名前", validators=[required("お店の名前"), max_length(100)])
    address = StringField("住所", validators=[required("住所"), max_length(200)])


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[required("パスワード")],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordForm(Form):
    password = _password_field("新しいパスワード")
    confirm = _password_field("新しいパスワード（確認）")

    def validate_password(self, field: PasswordField) -> None:
        if not MIN_LENGTH <= len(field.data or "") <= MAX_LENGTH:
            raise ValidationError(f"{MIN_LENGTH}文字以上、{MAX_LENGTH}文字以内にしてください。")

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError("確認のため、同じパスワードをもう一度入力してください。")


class StaffForm(PasswordForm):
    name = StringField(
        "ログイン名",
        validators=[required("ログイン名"), max_length(staff_users.NAME_MAX)],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"},
    )
    role = Select(
        "役割",
        choices=[SelectChoice("", "選んでください")]
        + [SelectChoice(code, label) for code, label in ROLE_NAMES.items()],
        validators=[required("役割")],
    )
    password = _password_field("パスワード")
    confirm = _password_field("パスワード（確認）")

    def validate_name(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError("ログイン名を入力してください。")


# --- pages ---------------------------------------------------------------------------------


def _page(template: str, status: int = 200, **context: Any) -> Response:
    body = render_template(template, staff=current_staff(), **context)
    return Response(body, status=status)


def _once(template: str, **context: Any) -> Response:
    """A page holding a key shown once: the browser keeps no copy of it."""
    response = _page(template, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/")
@staff_required("admin")
def index() -> Response:
    return _page("settings_index.html")


def _skill_choices() -> list[SelectChoice]:
    return [SelectChoice(s.code, s.label_ja) for s in task_categories.list_skills(get_session())]


@blp.get("/categories")
@staff_required("admin")
def categories() -> Response:
    session = get_session()
    rows = list(session.scalars(select(Category).order_by(Category.id)))
    used = {c.id: task_categories.times_used(session, category=c) for c in rows}
    return _page("settings_categories.html", categories=rows, used=used)


def _save_category(form: CategoryForm, category: Category | None) -> Category | None:
    """Create or change through the service; its refusals become the fields' errors."""
    session = get_session()
    values = {
        "label_ja": form.label_ja.data,
        "duration_min": form.duration_min.data,
        "points": form.points.data,
        "trial_ok": bool(form.trial_ok.data),
        "required_skills": list(form.skills.data or []),
        "new_skills": form.new_skills(),
    }
    try:
        if category is None:
            return task_categories.create_category(session, code=form.code.data, **values)
        return task_categories.update_category(session, code=category.code, changes=values)
    except (InvalidInput, Conflict) as refused:
        fields = (refused.errors or {}).keys()
        if "code" in fields:
            form.code.errors = [*form.code.errors, "この記号は、ほかの種類で使われています。"]
        if "label_ja" in fields:
            form.label_ja.errors = [*form.label_ja.errors, "この名前の種類は、もうあります。"]
        if "new_skills" in fields:
            form.new_skill_code.errors = [
                *form.new_skill_code.errors,
                "この記号の技能は、もうあります。上の一覧から選んでください。",
            ]
        if "required_skills" in fields:
            form.skills.errors = [*form.skills.errors, "選べない技能が含まれています。"]
        if not form.errors:  # pragma: no cover - every field the service names is mapped
            form.label_ja.errors = [*form.label_ja.errors, "保存できませんでした。"]
        return None


@blp.route("/categories/new", methods=["GET", "POST"])
@staff_required("admin")
def new_category() -> Any:
    form = CategoryForm()
    form.skills.choices = _skill_choices()
    if form.validate_on_submit():
        category = _save_category(form, None)
        if category is not None:
            flash(f"「{category.label_ja}」を追加しました。", "info")
            return redirect(url_for("web.settings.categories"), code=303)
    status = 422 if form.is_submitted() else 200
    return _page("settings_category_form.html", status, form=form, category=None)


@blp.route("/categories/<code>/edit", methods=["GET", "POST"])
@staff_required("admin")
def edit_category(code: str) -> Any:
    category = task_categories.get_category(get_session(), code=code)
    form = CategoryForm(obj=None if request.method == "POST" else category)
    # the code is stable: shown, never edited here (the API may change an unused one)
    form.code.data = category.code
    if request.method == "GET":
        form.skills.data = category.required_skills
    form.skills.choices = _skill_choices()
    if form.validate_on_submit():
        saved = _save_category(form, category)
        if saved is not None:
            flash(f"「{saved.label_ja}」を変更しました。", "info")
            return redirect(url_for("web.settings.categories"), code=303)
    status = 422 if form.is_submitted() else 200
    return _page("settings_category_form.html", status, form=form, category=category)


@blp.post("/categories/<code>/delete")
@staff_required("admin")
def delete_category(code: str) -> Any:
    session = get_session()
    label = task_categories.get_category(session, code=code).label_ja
    try:
        task_categories.delete_category(session, code=code)
    except Conflict:
        flash(
            f"「{label}」は依頼で使われているため削除できません。"
            "おためしで選べないようにするには、変更画面で設定してください。",
            "error",
        )
        return redirect(url_for("web.settings.categories"), code=303)
    flash(f"「{label}」を削除しました。", "info")
    return redirect(url_for("web.settings.categories"), code=303)


@blp.route("/point-rules", methods=["GET", "POST"])
@staff_required("admin")
def rules() -> Any:
    session = get_session()
    current = point_rules.get_rules(session)
    form = PointRulesForm(obj=None if request.method == "POST" else current)
    if form.validate_on_submit():
        staff = current_staff()
        assert staff is not None  # noqa: S101 - staff_required let only staff in
        changes = {
            name: getattr(form, name).data
            for name in point_rules.RULE_FIELDS
            if getattr(form, name).data != getattr(current, name)
        }
        if changes:
            point_rules.update_rules(
                session, changes=changes, updated_by=f"admin:{staff.id}", now=utcnow()
            )
            flash("ポイントのきまりを変更しました。次の活動・交換から使われます。", "info")
        else:
            flash("変更はありませんでした。", "info")
        return redirect(url_for("web.settings.rules"), code=303)
    status = 422 if form.is_submitted() else 200
    return _page("settings_rules.html", status, form=form, fields=list(RULE_LABELS))


def _month_label(month: str) -> str:
    year, mon = (int(part) for part in month.split("-"))
    return f"{year}年{mon}月"


@blp.get("/shops")
@staff_required("admin")
def shops() -> Response:
    session = get_session()
    month = calendar.month_of(utcnow())
    totals = {s.shop_id: s for s in settlement.settlement(session, month=month)}
    rows = list(session.scalars(partner_shops.shops_query()))
    return _page(
        "settings_shops.html",
        shops=rows,
        totals=totals,
        month_name=_month_label(month),
        total_yen=sum(s.total_yen for s in totals.values()),
    )


@blp.route("/shops/new", methods=["GET", "POST"])
@staff_required("admin")
def new_shop() -> Any:
    form = ShopForm()
    if form.validate_on_submit():
        shop, key = partner_shops.create_shop(
            get_session(),
            name=form.name.data.strip(),
            address=form.address.data.strip(),
            now=utcnow(),
        )
        return _once("settings_shop_key.html", shop=shop, key=key, new=True)
    status = 422 if form.is_submitted() else 200
    return _page("settings_shop_form.html", status, form=form)


@blp.route("/shops/<int:shop_id>/key", methods=["GET", "POST"])
@staff_required("admin")
def rotate_key(shop_id: int) -> Any:
    session = get_session()
    shop: Shop = partner_shops.get_shop(session, shop_id=shop_id)
    form = Form()
    if form.validate_on_submit():
        key = partner_shops.rotate_shop_key(session, shop_id=shop.id, now=utcnow())
        return _once("settings_shop_key.html", shop=shop, key=key, new=False)
    return _page("settings_shop_rotate.html", form=form, shop=shop)


@blp.get("/staff")
@staff_required("admin")
def staff() -> Response:
    users = list(get_session().scalars(staff_users.staff_query()))
    return _page("settings_staff.html", users=users, role_names=ROLE_NAMES, me=current_staff())


@blp.route("/staff/new", methods=["GET", "POST"])
@staff_required("admin")
def new_staff() -> Any:
    form = StaffForm()
    if form.validate_on_submit():
        try:
            user = staff_users.create_staff(
                get_session(),
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
            )
        except Conflict:
            form.name.errors = [*form.name.errors, "このログイン名は、もう使われています。"]
        else:
            flash(
                f"{ROLE_NAMES[user.role]}「{user.name}」を追加しました。"
                "ログイン名とパスワードを本人に伝えてください。",
                "info",
            )
            return redirect(url_for("web.settings.staff"), code=303)
    status = 422 if form.is_submitted() else 200
    return _page("settings_staff_form.html", status, form=form)


def _other_staff(user_id: int) -> User:
    try:
        return staff_users.get_staff(get_session(), user_id=user_id)
    except NotFound:
        abort(404)


@blp.route("/staff/<int:user_id>/password", methods=["GET", "POST"])
@staff_required("admin")
def reset_password(user_id: int) -> Any:
    user = _other_staff(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        staff_users.reset_password(get_session(), user_id=user.id, password=form.password.data)
        me = current_staff()
        if me is not None and me.id == user.id:
            flash("パスワードを変えました。新しいパスワードでログインしてください。", "info")
            return redirect(url_for("web.auth.login"), code=303)
        flash(f"「{user.name}」のパスワードを変えました。本人に伝えてください。", "info")
        return redirect(url_for("web.settings.staff"), code=303)
    status = 422 if form.is_submitted() else 200
    return _page("settings_password.html", status, form=form, user=user)


@blp.route("/staff/<int:user_id>/disable", methods=["GET", "POST"])
@staff_required("admin")
def disable_staff(user_id: int) -> Any:
    user = _other_staff(user_id)
    me = current_staff()
    assert me is not None  # noqa: S101 - staff_required let only staff in
    if user.id == me.id:
        abort(403)
    form = Form()
    if form.validate_on_submit():
        staff_users.disable_staff(get_session(), user_id=user.id, by=me, now=utcnow())
        flash(
            f"「{user.name}」を利用停止にしました。再開するときは、パスワードを設定してください。",
            "info",
        )
        return redirect(url_for("web.settings.staff"), code=303)
    return _page("settings_disable.html", form=form, user=user)
