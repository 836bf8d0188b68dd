"""Forms of the screens (Flask-WTF: each carries its CSRF token), with Japanese messages."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


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
