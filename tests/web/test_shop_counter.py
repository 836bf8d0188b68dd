"""The shop counter page: a shop signs in with its key, a clerk redeems vouchers by their code
and sees the month's redemptions; a refusal says why, big and in Japanese."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.models import Volunteer
from points import codes, credits, shops, vouchers
from points import rules as calendar
from points.models import Redemption, Shop
from points.redemption import redeem
from sasaeai_app import create_app
from tests.points.conftest import completed_assignment
from tests.web.conftest import Visitor, csrf_token
from web import shop as shop_page

# --- vouchers and shops through the real services (credit, then exchange) ------------------


def issue_voucher(
    session: Session,
    *,
    volunteer_id: int,
    secret: str,
    points: int = 500,
    now: dt.datetime | None = None,
) -> str:
    """Credit a volunteer 買い物代行 tasks (100 pt each, two a day) and exchange the points for
    one voucher; return its code as printed (XXXX-XXXX-XXXX-XXXX)."""
    now = now or dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=points // 200 + 2)
    for i in range(points // 100):
        when = start + dt.timedelta(days=i // 2, minutes=i % 2)
        assignment_id = completed_assignment(
            session, volunteer_id=volunteer_id, category="shopping", completed_at=when
        )
        credits.credit_completed_task(session, assignment_id=assignment_id, now=when)
    issued = vouchers.exchange(
        session,
        volunteer_id=volunteer_id,
        points=points,
        idempotency_key=uuid.uuid4().hex,
        secret=secret,
        now=now,
    )
    return issued.code


def mistype_check_symbol(code: str) -> str:
    """The same code with another last symbol: what a clerk's slip of the finger makes."""
    last = code[-1]
    other = next(s for s in codes.ALPHABET if s != last)
    return code[:-1] + other


@pytest.fixture
def make_voucher(
    app: Flask, session: Session, make_volunteer: Callable[..., tuple[Volunteer, str]]
) -> Callable[..., str]:
    def make(points: int = 500, now: dt.datetime | None = None) -> str:
        volunteer, _ = make_volunteer()
        return issue_voucher(
            session,
            volunteer_id=volunteer.id,
            secret=app.config["SECRET_KEY"],
            points=points,
            now=now,
        )

    return make


@pytest.fixture
def make_shop(session: Session) -> Callable[..., tuple[Shop, str]]:
    def make(name: str = "三軒茶屋商店") -> tuple[Shop, str]:
        return shops.create_shop(
            session, name=name, address="世田谷区三軒茶屋1-1", now=dt.datetime.now(dt.UTC)
        )

    return make


class Clerk(Visitor):
    def shop_sign_in(self, key: str, **kw: Any):
        return self.submit("/shop/login", {"key": key}, **kw)

    def redeem(self, code: str):
        return self.submit("/shop/", {"code": code})


@pytest.fixture
def clerk(app: Flask, session: Session) -> Clerk:
    return Clerk(app.test_client())


@pytest.fixture
def signed_in(clerk: Clerk, make_shop) -> tuple[Clerk, Shop]:
    shop, key = make_shop()
    assert clerk.shop_sign_in(key).status_code == 303
    return clerk, shop


def answer_of(page: Any) -> str:
    """The big answer's headline and detail, as text."""
    html = page.text
    start = html.index('id="answer"')
    return html[start : html.index("</div>", start)]


# --- signing in ---------------------------------------------------------------------------


def test_a_wrong_key_is_refused_and_the_right_one_opens_the_counter(clerk: Clerk, make_shop):
    shop, key = make_shop(name="太子堂ベーカリー")
    assert clerk.get("/shop/").headers["Location"].endswith("/shop/login")

    wrong = clerk.shop_sign_in("not-" + key)
    assert wrong.status_code == 200
    assert "お店のキーが違います。もう一度入力してください。" in wrong.text
    # the key is never written back into the page
    assert "not-" + key not in wrong.text

    right = clerk.shop_sign_in(key)
    assert right.status_code == 303
    assert right.headers["Location"].endswith("/shop/")
    page = clerk.get("/shop/")
    assert page.status_code == 200
    assert "太子堂ベーカリー" in page.text
    assert "商品券のコード" in page.text
    # signed in once: the sign-in page sends the shop on to the counter
    assert clerk.get("/shop/login").headers["Location"].endswith("/shop/")


def test_a_rotated_key_ends_the_shops_sign_in(signed_in, session: Session):
    clerk, shop = signed_in
    shops.rotate_shop_key(session, shop_id=shop.id, now=dt.datetime.now(dt.UTC))
    session.flush()
    assert clerk.get("/shop/").headers["Location"].endswith("/shop/login")


def test_a_staff_or_volunteer_key_is_not_a_shop_key(clerk: Clerk, make_volunteer):
    _, volunteer_token = make_volunteer()
    assert clerk.shop_sign_in(volunteer_token).status_code == 200


def test_a_shop_session_does_not_open_staff_pages_and_staff_do_not_open_the_counter(
    signed_in, make_staff
):
    clerk, _ = signed_in
    assert clerk.get("/").headers["Location"].startswith("/login")
    make_staff(name="sc-counter")
    # a staff sign-in on the same browser replaces the shop's
    assert clerk.sign_in("sc-counter").status_code == 303
    assert clerk.get("/").status_code == 200
    assert clerk.get("/shop/").headers["Location"].endswith("/shop/login")


def test_signing_out_ends_the_shops_session(signed_in):
    clerk, _ = signed_in
    out = clerk.submit("/shop/logout", {}, form_at="/shop/")
    assert out.status_code == 303
    assert clerk.get("/shop/").headers["Location"].endswith("/shop/login")


@pytest.fixture
def limited(engine, database_url, session: Session) -> Clerk:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ENGINE": engine,
            "SIGNIN_RATE_LIMIT": "3 per minute",
            "PROXY_FIX_HOPS": 1,
        }
    )
    app.extensions["sasaeai.sessionmaker"] = sessionmaker(
        bind=session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return Clerk(app.test_client())


def test_failed_shop_sign_ins_are_limited_per_address_but_redemptions_are_not(
    limited: Clerk, make_shop, make_voucher
):
    _, key = make_shop()
    here = {"headers": {"X-Forwarded-For": "203.0.113.9"}}
    for _ in range(3):
        assert limited.shop_sign_in("guessing", **here).status_code == 200
    stopped = limited.shop_sign_in(key, **here)
    assert stopped.status_code == 429
    assert "分ほど待ってから、もう一度お試しください。" in stopped.text
    # another address signs in, and its clerk redeems as often as customers come
    assert limited.shop_sign_in(key, headers={"X-Forwarded-For": "203.0.113.10"}).status_code == 303
    for _ in range(4):
        assert limited.redeem(make_voucher()).status_code == 200


# --- redeeming ----------------------------------------------------------------------------


def test_a_voucher_is_redeemed_once_and_the_second_time_says_when(
    signed_in, make_voucher, session: Session
):
    clerk, shop = signed_in
    code = make_voucher()
    done = clerk.redeem(code)
    assert done.status_code == 200
    assert "500円 使用済みにしました" in answer_of(done)
    assert f"…{code[-4:]}" in answer_of(done)
    (redemption,) = session.scalars(select(Redemption).where(Redemption.shop_id == shop.id))
    assert redemption.value_yen == 500

    again = clerk.redeem(code)
    assert again.status_code == 409
    said = answer_of(again)
    assert "この商品券は使用済みです" in said
    local = redemption.redeemed_at.astimezone(calendar.TOKYO)
    assert f"{local.month}月{local.day}日" in said
    assert f"{local:%H:%M} にこのお店で使われました。" in said
    assert session.scalar(select(func.count()).select_from(Redemption)) == 1


def test_a_voucher_used_at_another_shop_says_so_without_naming_it(
    clerk: Clerk, make_shop, make_voucher
):
    code = make_voucher()
    first, first_key = make_shop(name="一軒目")
    _, second_key = make_shop(name="二軒目")
    clerk.shop_sign_in(first_key)
    clerk.redeem(code)
    clerk.submit("/shop/logout", {}, form_at="/shop/")
    clerk.shop_sign_in(second_key)
    said = answer_of(clerk.redeem(code))
    assert "ほかのお店で使われました。" in said
    assert first.name not in said


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: f"  {code.replace('-', ' ')} ",
        lambda code: code.lower().replace("-", "").translate(str.maketrans("0123", "０１２３")),
    ],
    ids=["lower-case", "no-hyphens", "spaces", "full-width-digits"],
)
def test_a_code_is_accepted_in_any_case_with_or_without_hyphens(signed_in, make_voucher, typed):
    clerk, _ = signed_in
    code = make_voucher()
    done = clerk.redeem(typed(code))
    assert "500円 使用済みにしました" in answer_of(done)


@contextlib.contextmanager
def statements_sent(session: Session) -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def looked_up_a_voucher(sent: list[str]) -> bool:
    return any("vouchers.code_hash" in s or "UPDATE vouchers" in s for s in sent)


def test_a_mistyped_check_symbol_is_refused_before_any_lookup(
    signed_in, make_voucher, session: Session
):
    clerk, _ = signed_in
    code = make_voucher()
    token = csrf_token(clerk.get("/shop/").text)
    with statements_sent(session) as sent:
        refused = clerk.client.post(
            "/shop/", data={"code": mistype_check_symbol(code), "csrf_token": token}
        )
    assert refused.status_code == 422
    assert "コードの打ち間違いがあります（確認文字が合いません）" in answer_of(refused)
    # the page read the shop and this month's list, but never looked for the voucher
    assert sent, "the page's own queries were seen"
    assert not looked_up_a_voucher(sent)
    assert session.scalar(select(func.count()).select_from(Redemption)) == 0
    # (a well-formed code is looked up: the check above would have seen it)
    with statements_sent(session) as sent:
        clerk.client.post("/shop/", data={"code": code.lower(), "csrf_token": token})
    assert looked_up_a_voucher(sent)


def test_text_that_cannot_be_a_code_says_how_a_code_looks(signed_in):
    clerk, _ = signed_in
    said = answer_of(clerk.redeem("1234"))
    assert "商品券のコードではありません" in said
    assert "XXXX-XXXX-XXXX-XXXX" in said


def test_an_unknown_code_is_not_found(signed_in):
    clerk, _ = signed_in
    data = "0123456789ABCDE"
    unknown = codes.group(data + codes.check_symbol(data))
    refused = clerk.redeem(unknown)
    assert refused.status_code == 404
    assert "この番号の商品券は見つかりません" in answer_of(refused)


def test_an_expired_voucher_says_until_when_it_was_valid(
    signed_in, make_voucher, session: Session, monkeypatch
):
    clerk, _ = signed_in
    code = make_voucher()
    days = 181  # vouchers are valid 180 days
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    monkeypatch.setattr(shop_page, "_now", lambda: later)
    refused = clerk.redeem(code)
    assert refused.status_code == 409
    said = answer_of(refused)
    assert "この商品券は期限切れです" in said
    expiry = (later - dt.timedelta(days=1)).astimezone(calendar.TOKYO)
    assert f"有効期限は {expiry.year}年{expiry.month}月{expiry.day}日" in said
    assert session.scalar(select(func.count()).select_from(Redemption)) == 0


def test_an_empty_code_is_named_next_to_the_field(signed_in):
    clerk, _ = signed_in
    refused = clerk.redeem("")
    assert refused.status_code == 422
    assert "商品券のコードを入力してください。" in refused.text


def test_a_redemption_posted_without_its_csrf_token_is_refused_and_writes_nothing(
    signed_in, make_voucher, session: Session
):
    clerk, _ = signed_in
    code = make_voucher()
    refused = clerk.client.post("/shop/", data={"code": code})
    assert refused.status_code == 400
    assert "ページを読み込み直して" in refused.text
    forged = clerk.client.post("/shop/", data={"code": code, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert session.scalar(select(func.count()).select_from(Redemption)) == 0


# --- the month ----------------------------------------------------------------------------


def test_the_month_lists_this_shops_redemptions_with_the_total(
    signed_in, make_voucher, make_shop, session: Session, app: Flask
):
    clerk, shop = signed_in
    first, second = make_voucher(), make_voucher(points=1000)
    empty = clerk.get("/shop/")
    assert "今月はまだ受け付けていません。" in empty.text
    assert "合計 <strong>0円</strong>（0件）" in empty.text

    clerk.redeem(first)
    page = clerk.redeem(second)
    assert "1,000円 使用済みにしました" in answer_of(page)
    now = dt.datetime.now(calendar.TOKYO)
    assert f"{now.year}年{now.month}月の受け付け" in page.text
    assert "合計 <strong>1,500円</strong>（2件）" in page.text
    assert f"…{first[-4:]}" in page.text and f"…{second[-4:]}" in page.text

    # another shop's redemption is not in this shop's list
    other, other_key = make_shop(name="ほかの店")
    third = make_voucher()
    redeem(
        session,
        shop_id=other.id,
        code=third,
        secret=app.config["SECRET_KEY"],
        now=dt.datetime.now(dt.UTC),
    )
    session.flush()
    page = clerk.get("/shop/")
    assert "合計 <strong>1,500円</strong>（2件）" in page.text
    assert f"…{third[-4:]}" not in page.text


def test_last_months_redemptions_are_not_in_this_months_list(signed_in, make_voucher, monkeypatch):
    clerk, _ = signed_in
    code = make_voucher()
    clerk.redeem(code)
    next_month = dt.datetime.now(dt.UTC) + dt.timedelta(days=32)
    monkeypatch.setattr(shop_page, "_now", lambda: next_month)
    page = clerk.get("/shop/")
    assert "合計 <strong>0円</strong>（0件）" in page.text
