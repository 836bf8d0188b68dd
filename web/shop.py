"""The shop counter page: a partner shop signs in once with its key, then a clerk redeems
vouchers by typing their code and sees this month's redemptions with the total.

A shop's session is its own kind: it holds the shop, never a staff user, so a shop's browser
does not reach the staff pages and a staff member's does not reach the counter (signing in as
one ends the other). The code is checked (length, symbols, check symbol) before anything is
looked up; the voucher is redeemed by the same service as the API, committed once per request.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_limiter import Limiter
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms import PasswordField, StringField

from access.models import ApiToken
from access.tokens import hash_token
from db import Conflict, InvalidInput, NotFound
from points import codes, settlement
from points import rules as calendar
from points.models import Redemption, Shop, Voucher
from points.redemption import redeem
from web import sessions
from web.database import get_session
from web.errors import SIGN_IN_STOPPED, too_many_page
from web.forms import Form, max_length, required

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint("shop", __name__, url_prefix="/shop")

WEEKDAYS = "月火水木金土日"


class ShopSignInForm(Form):
    key = PasswordField(
        "お店のキー",
        validators=[required("お店のキー"), max_length(200)],
        render_kw={"autocomplete": "current-password", "spellcheck": "false"},
    )


class RedeemForm(Form):
    code = StringField(
        "商品券のコード",
        validators=[required("商品券のコード"), max_length(100)],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "inputmode": "text",
        },
    )


def limit_sign_ins(limiter: Limiter) -> None:
    """Count a shop's failed sign-ins per client address, like the staff's (same limit)."""
    limiter.limit(
        lambda: current_app.config["SIGNIN_RATE_LIMIT"],
        methods=["POST"],
        # only the sign-in form is limited: a clerk's redemptions are not sign-in attempts
        exempt_when=lambda: request.endpoint != "web.shop.login",
        deduct_when=lambda response: response.status_code != 303,
    )(blp)


def _now() -> dt.datetime:
    """The time of a redemption (tests move it to after a voucher's expiry)."""
    return dt.datetime.now(dt.UTC)


def _session_key(token: ApiToken) -> str:
    # ties the cookie to the key: a rotated or revoked key ends the shop's sign-in. The cookie
    # is signed but readable, so it holds a keyed digest of the key's hash, never the hash.
    return sessions.keyed_digest(token.token_hash)


def _shop_token(key: str) -> ApiToken | None:
    presented = hash_token(key.strip())
    token = get_session().scalar(
        select(ApiToken).where(
            ApiToken.token_hash == presented,
            ApiToken.role == "shop",
            ApiToken.revoked_at.is_(None),
        )
    )
    if token is not None and hmac.compare_digest(token.token_hash, presented):
        return token
    return None


def current_shop() -> Shop | None:
    """Return the shop signed in on this browser, or None."""
    if "shop" in g:
        shop: Shop | None = g.shop
        return shop
    shop = None
    token_id, key = cookie.get("shop_token_id"), cookie.get("shop_key")
    if (
        isinstance(token_id, int)
        and isinstance(key, str)
        and sessions.persistent_fresh("SHOP_SESSION_DAYS")
    ):
        token = get_session().get(ApiToken, token_id)
        if (
            token is not None
            and token.role == "shop"
            and token.revoked_at is None
            and token.shop_id is not None
            and hmac.compare_digest(_session_key(token), key)
        ):
            shop = get_session().get(Shop, token.shop_id)
    g.shop = shop
    return shop


def shop_required(view: F) -> F:
    """Let only a signed-in shop in; others go to the shop's sign-in page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_shop() is None:
            return redirect(url_for("web.shop.login"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = ShopSignInForm()
    failed = False
    if form.validate_on_submit():
        token = _shop_token(form.key.data)
        if token is not None:
            # a fresh cookie: a staff sign-in on this browser ends here (and nothing carries over)
            sessions.begin(persistent=True)
            cookie["shop_token_id"] = token.id
            cookie["shop_key"] = _session_key(token)
            return redirect(url_for("web.shop.counter"), code=303)
        failed = True
    elif current_shop() is not None and request.method == "GET":
        return redirect(url_for("web.shop.counter"))
    return render_template("shop_login.html", form=form, failed=failed)


@blp.errorhandler(429)
def _too_many(error: HTTPException) -> Response:
    return too_many_page(error, SIGN_IN_STOPPED)


@blp.post("/logout")
def logout() -> Response:
    cookie.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("web.shop.login"), code=303)


@dataclass(frozen=True)
class Answer:
    """What the counter says after a code was sent: big, and one of a few kinds."""

    ok: bool
    headline: str
    detail: str = ""


def local_time(moment: dt.datetime, *, year: bool = True) -> str:
    """「2026年11月29日（日）15:05」 in Tokyo time (without the year: 「11月29日（日）15:05」)."""
    local = moment.astimezone(calendar.TOKYO)
    day = f"{local.month}月{local.day}日（{WEEKDAYS[local.weekday()]}）{local:%H:%M}"
    return f"{local.year}年{day}" if year else day


def _mistake(text: str) -> Answer:
    """Why a typed text is not a voucher code, found without the database."""
    body = text.strip()[:-1]
    if body and any(_is_code(body + symbol) for symbol in codes.CHECK_ALPHABET):
        # another last symbol would make it a code: a symbol was mistyped
        return Answer(
            False,
            "コードの打ち間違いがあります（確認文字が合いません）",
            "お客様の商品券を見ながら、もう一度ゆっくり入力してください。",
        )
    return Answer(
        False,
        "商品券のコードではありません",
        "コードは英数字16文字（XXXX-XXXX-XXXX-XXXX）です。もう一度確かめてください。",
    )


def _is_code(text: str) -> bool:
    try:
        codes.normalise(text)
    except codes.InvalidCode:
        return False
    return True


def _refusal(shop: Shop, canonical: str, error: Conflict) -> Answer:
    """Say why a known voucher was not redeemed: used (when, and here?) or expired (when)."""
    session = get_session()
    secret = current_app.config["SECRET_KEY"]
    voucher = session.scalar(
        select(Voucher).where(Voucher.code_hash == codes.lookup_hash(secret, canonical))
    )
    if voucher is not None and voucher.status == "redeemed" and voucher.redeemed_at:
        used_by = session.scalar(
            select(Redemption.shop_id).where(Redemption.voucher_id == voucher.id)
        )
        where = "このお店で" if used_by == shop.id else "ほかのお店で"
        return Answer(
            False,
            "この商品券は使用済みです",
            f"{local_time(voucher.redeemed_at)} に{where}使われました。",
        )
    if voucher is not None:
        return Answer(
            False,
            "この商品券は期限切れです",
            f"有効期限は {local_time(voucher.expires_at)} まででした。",
        )
    return Answer(False, "この商品券は使えません", str(error))  # pragma: no cover


def _redeem(shop: Shop, text: str) -> tuple[Answer, int]:
    try:
        canonical = codes.normalise(text)
    except codes.InvalidCode:
        return _mistake(text), 422
    try:
        redemption = redeem(
            get_session(),
            shop_id=shop.id,
            code=canonical,
            secret=current_app.config["SECRET_KEY"],
            now=_now(),
            created_by=f"shop:{shop.id}",
        )
    except NotFound:
        return Answer(
            False,
            "この番号の商品券は見つかりません",
            "お客様の商品券を見ながら、もう一度入力してください。",
        ), 404
    except InvalidInput:  # pragma: no cover - normalised above
        return _mistake(text), 422
    except Conflict as error:
        return _refusal(shop, canonical, error), 409
    return Answer(
        True,
        f"{redemption.value_yen:,}円 使用済みにしました",
        f"商品券 …{codes.tail(canonical)}（{local_time(redemption.redeemed_at)}）",
    ), 200


@blp.route("/", methods=["GET", "POST"])
@shop_required
def counter() -> Any:
    shop = current_shop()
    assert shop is not None  # noqa: S101 - shop_required let only a shop in
    form = RedeemForm()
    answer: Answer | None = None
    status = 200
    if form.validate_on_submit():
        answer, status = _redeem(shop, form.code.data)
        if answer.ok:
            form = RedeemForm(formdata=None)  # ready for the next customer
    elif request.method == "POST":
        status = 422
    month = calendar.month_of(_now())
    session = get_session()
    rows = session.scalars(settlement.redemptions_query(month=month, shop_id=shop.id)).all()
    totals = settlement.settlement(session, month=month, shop_id=shop.id)
    year, mon = (int(part) for part in month.split("-"))
    body = render_template(
        "shop_counter.html",
        shop=shop,
        form=form,
        answer=answer,
        month_name=f"{year}年{mon}月",
        redemptions=[
            (local_time(r.redeemed_at, year=False), r.voucher.code_tail, r.value_yen) for r in rows
        ],
        total_yen=totals[0].total_yen if totals else 0,
        count=totals[0].count if totals else 0,
    )
    # a refusal is still a page to show, but wrote nothing: its status rolls the request back
    return Response(body, status=status)
