"""Staff sign in with a name and password; the cookie, CSRF and the rate limit hold."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from access.passwords import authenticate, hash_password, set_password
from db import InvalidInput
from sasaeai_app import create_app
from tests.web.conftest import PASSWORD, Visitor, csrf_token


def test_an_sc_signs_in_sees_their_page_and_signs_out(visitor: Visitor, make_staff):
    sc = make_staff(name="sc-sangenjaya")
    assert visitor.get("/").headers["Location"] == "/login?next=/"

    signed_in = visitor.sign_in("sc-sangenjaya")
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/"
    home = visitor.get("/")
    assert home.status_code == 200
    assert f"{sc.name} さん" in home.text and "生活支援コーディネーター" in home.text

    out = visitor.submit("/logout", {}, form_at="/")
    assert out.status_code == 303
    assert visitor.get("/").status_code == 302


def test_a_wrong_password_or_name_gets_the_same_answer_next_to_the_form(
    visitor: Visitor, make_staff
):
    make_staff(name="sc-sangenjaya")
    wrong_password = visitor.sign_in("sc-sangenjaya", "taishido-5-chome")
    unknown_name = visitor.sign_in("sc-nobody")
    for answer in (wrong_password, unknown_name):
        assert answer.status_code == 200
        assert "名前またはパスワードが違います。" in answer.text
        assert 'role="alert"' in answer.text
    assert visitor.get("/").status_code == 302


def test_empty_fields_are_named_in_japanese_next_to_each_field(visitor: Visitor):
    answer = visitor.submit("/login", {"name": "", "password": ""})
    assert 'id="name-error"' in answer.text and "名前を入力してください。" in answer.text
    assert 'id="password-error"' in answer.text and "パスワードを入力してください。" in answer.text
    assert 'aria-describedby="name-error"' in answer.text


def test_a_user_without_a_password_cannot_sign_in(visitor: Visitor, make_staff):
    make_staff(name="api-only", password=None)
    assert "名前またはパスワードが違います。" in visitor.sign_in("api-only", "anything").text


def test_passwords_are_kept_as_scrypt_hashes_and_must_be_long(session: Session, make_staff):
    sc = make_staff(name="sc-hashed")
    assert sc.password_hash.startswith("scrypt:")
    assert PASSWORD not in sc.password_hash
    assert authenticate(session, name="sc-hashed", password=PASSWORD) is sc
    assert authenticate(session, name="sc-hashed", password=PASSWORD + "x") is None
    assert authenticate(session, name="sc-other", password=PASSWORD) is None
    with pytest.raises(InvalidInput):
        hash_password("short")


def test_a_new_password_ends_the_sign_ins_made_with_the_old_one(
    visitor: Visitor, session: Session, make_staff
):
    sc = make_staff(name="sc-moved")
    visitor.sign_in("sc-moved")
    assert visitor.get("/").status_code == 200
    set_password(session, user=sc, password="a-completely-new-one")
    assert visitor.get("/").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
def test_after_signing_in_the_next_page_is_never_another_site(visitor: Visitor, make_staff, target):
    make_staff(name="sc-next")
    page = visitor.get("/login", query_string={"next": target})
    answer = visitor.client.post(
        "/login",
        query_string={"next": target},
        data={"name": "sc-next", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert answer.headers["Location"] == "/"


def test_signing_in_starts_a_fresh_cookie(visitor: Visitor, make_staff):
    make_staff(name="sc-fresh")
    visitor.get("/login")
    with visitor.client.session_transaction() as before:
        before["planted"] = "by someone else"
    visitor.sign_in("sc-fresh")
    with visitor.client.session_transaction() as after:
        assert "planted" not in after


# CSRF


def test_a_form_posted_without_its_token_is_refused_with_a_page(visitor: Visitor, make_staff):
    make_staff(name="sc-csrf")
    refused = visitor.client.post("/login", data={"name": "sc-csrf", "password": PASSWORD})
    assert refused.status_code == 400
    assert refused.mimetype == "text/html"
    assert "ページを読み込み直して" in refused.text
    assert visitor.get("/").status_code == 302  # not signed in

    visitor.sign_in("sc-csrf")
    forged = visitor.client.post("/logout", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert visitor.get("/").status_code == 200  # still signed in


def test_every_form_under_the_screens_asks_for_the_token(app: Flask, visitor: Visitor):
    posts = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.") and "POST" in (rule.methods or ())
    ]
    assert posts, "the screens have forms"
    for rule in posts:
        if rule.arguments:
            continue  # pragma: no cover - the screens to come add these; their tests post them
        answer = visitor.client.post(rule.rule, data={})
        assert answer.status_code == 400, rule.rule


def test_the_json_api_takes_bearer_tokens_without_a_csrf_token(api, coordinator):
    created = api.post(
        "/api/v1/residents",
        {
            "name": "山田 花子",
            "address": "東京都世田谷区太子堂4-1-1",
            "lat": 35.6432,
            "lon": 139.6710,
            "zone": "太子堂",
        },
        token=coordinator,
    )
    assert created.status_code == 201, created.get_json()
    # and its errors stay JSON, not the screens' pages
    assert api.get("/api/v1/residents/999999", token=coordinator).get_json()["code"] == 404


# the session cookie


def cookie_of(response) -> str:
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_in_production(
    engine, database_url, monkeypatch
):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"DATABASE_URL": database_url, "ENGINE": engine, "SECRET_KEY": "x" * 32})
    assert not app.testing and not app.debug
    cookie = cookie_of(app.test_client().get("/login"))
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie
    assert "; Secure" in cookie
    # a browser-session cookie: no Expires, so closing the browser signs out
    assert "Expires=" not in cookie


def test_a_plain_http_deployment_can_turn_secure_off_but_tests_need_not(
    app: Flask, engine, database_url, monkeypatch
):
    assert "; Secure" not in cookie_of(app.test_client().get("/login"))  # TESTING
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    plain = create_app({"DATABASE_URL": database_url, "ENGINE": engine, "SECRET_KEY": "x" * 32})
    cookie = cookie_of(plain.test_client().get("/login"))
    assert "; Secure" not in cookie and "; HttpOnly" in cookie


# the rate limit


@pytest.fixture
def limited(engine, database_url, session) -> Visitor:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ENGINE": engine,
            "SIGNIN_RATE_LIMIT": "3 per minute",
            "PROXY_FIX_HOPS": 1,
        }
    )
    # the test's rolled-back session, as the app fixture's
    app.extensions["sasaeai.sessionmaker"] = sessionmaker(
        bind=session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return Visitor(app.test_client())


def from_address(address: str) -> dict[str, dict[str, str]]:
    return {"headers": {"X-Forwarded-For": address}}


def test_failed_sign_ins_are_limited_per_address_with_a_japanese_page(limited: Visitor, make_staff):
    make_staff(name="sc-limited")
    here = from_address("203.0.113.7")
    for _ in range(3):
        assert limited.sign_in("sc-limited", "guess-guess-guess", **here).status_code == 200
    stopped = limited.sign_in("sc-limited", PASSWORD, **here)
    assert stopped.status_code == 429
    assert stopped.mimetype == "text/html"
    assert "分ほど待ってから、もう一度お試しください。" in stopped.text
    assert int(stopped.headers["Retry-After"]) > 0
    # another address (behind the same proxy) is not held up
    assert limited.sign_in("sc-limited", PASSWORD, **from_address("203.0.113.8")).status_code == 303


def test_sign_ins_that_work_are_not_counted(limited: Visitor, make_staff):
    make_staff(name="sc-daily")
    for _ in range(5):
        assert limited.sign_in("sc-daily").status_code == 303
        limited.submit("/logout", {}, form_at="/")


# the screens answer in pages, the API in JSON


def test_an_error_under_the_screens_is_a_page_in_japanese(visitor: Visitor, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("web.auth.authenticate", broken)
    crashed = visitor.sign_in("sc-anyone")
    assert crashed.status_code == 500
    assert crashed.mimetype == "text/html"
    assert "変更は保存されていません。" in crashed.text


def test_the_pages_are_japanese_and_load_nothing_from_the_web(visitor: Visitor):
    page = visitor.get("/login").text
    assert '<html lang="ja">' in page
    assert "http://" not in page and "https://" not in page
    with visitor.get("/assets/vendor/digital-go-jp-design-tokens/tokens.css") as tokens:
        assert tokens.status_code == 200 and "--color-primitive-blue-900" in tokens.text
    with visitor.get("/assets/site.css") as site:
        assert "@import" not in site.text and "url(" not in site.text
