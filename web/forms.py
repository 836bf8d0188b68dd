"""Forms of the screens (Flask-WTF: each carries its CSRF token), with Japanese messages."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from matching.models import MAX_TASKS_PER_DAY


class Form(FlaskForm):  # type: ignore[misc]
    """A form whose text no database column would refuse (NUL, unpaired surrogates)."""

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and not _storable(field.data):
                field.errors = [*field.errors, "使えない文字が含まれています。"]
                ok = False
        return ok


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def required(what: str) -> DataRequired:
    """A required field whose message names it: 「名前を入力してください。」."""
    return DataRequired(message=f"{what}を入力してください。")


def max_length(n: int) -> Length:
    return Length(max=n, message=f"{n}文字以内で入力してください。")


class SignInForm(Form):
    name = StringField(
        "名前",
        validators=[required("名前"), max_length(100)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "パスワード",
        validators=[required("パスワード"), max_length(200)],
        render_kw={"autocomplete": "current-password"},
    )


#: 「1件まで」…「5件まで」: how many tasks a volunteer takes on one day (max_tasks_per_day)
CAPACITY_CHOICES = [SelectChoice(str(n), f"{n}件まで") for n in range(1, MAX_TASKS_PER_DAY + 1)]


class CapacityForm(Form):
    """How many tasks a volunteer takes on one day (max_tasks_per_day, 1 to MAX_TASKS_PER_DAY):
    the volunteer's own form on /me and the SC's on the volunteer's page. Anything else (0, 6,
    "abc", nothing) is refused in words and changes nothing."""

    max_tasks_per_day = SelectField(
        "1日に引き受けられる数",
        choices=CAPACITY_CHOICES,
        validate_choice=False,
    )

    def validate_max_tasks_per_day(self, field: SelectField) -> None:
        if field.data not in {choice.value for choice in CAPACITY_CHOICES}:
            raise ValidationError(f"1〜{MAX_TASKS_PER_DAY}の中から選んでください。")

    @classmethod
    def showing(cls, current: int) -> CapacityForm:
        """The form drawn fresh, with the volunteer's current number selected."""
        return cls(formdata=None, data={"max_tasks_per_day": str(current)})

    def count(self) -> int:
        """The number chosen (only after validate())."""
        return int(self.max_tasks_per_day.data)
