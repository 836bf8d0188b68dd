"""An SC signs in to the screens, sees their page and signs out, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot


def sign_in(page: Page, name: str, password: str) -> None:
    page.get_by_label("名前").fill(name)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_an_sc_signs_in_after_a_wrong_password_sees_their_page_and_signs_out(
    page: Page, live: LiveServer
):
    sc = live.make_staff()
    page.goto(live.url + "/")
    # not signed in: the sign-in page, which brings them back here after
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("職員のログイン")
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert_accessible(page)
    screenshot(page, "login")

    sign_in(page, sc.name, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text(
        "名前またはパスワードが違います。もう一度入力してください。"
    )
    # the name stays filled in, the password does not
    expect(page.get_by_label("名前")).to_have_value(sc.name)
    expect(page.get_by_label("パスワード")).to_have_value("")
    assert_accessible(page)
    screenshot(page, "login-wrong-password")

    sign_in(page, sc.name, PASSWORD)
    expect(page).to_have_url(live.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{sc.name} さん")
    expect(page.get_by_text("生活支援コーディネーター")).to_be_visible()
    expect(page.get_by_role("link", name="API の説明（Swagger UI）")).to_have_attribute(
        "href", "/docs"
    )
    assert_accessible(page)
    screenshot(page, "home")

    (cookie,) = [c for c in page.context.cookies() if c["name"] == "session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is True
    # a browser-session cookie: closing the browser of a shared PC signs out
    assert cookie["expires"] == -1

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(live.url + "/login")
    expect(page.get_by_role("status")).to_have_text("ログアウトしました。")
    assert_accessible(page)
    screenshot(page, "logged-out")
    page.goto(live.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_at_360_px_the_errors_sit_by_their_fields_and_nothing_scrolls_sideways(
    phone: Page, live: LiveServer
):
    sc = live.make_staff(role="admin")
    phone.goto(live.url + "/login")
    phone.get_by_role("button", name="ログイン").click()
    expect(phone.locator("#name-error")).to_have_text("名前を入力してください。")
    expect(phone.locator("#password-error")).to_have_text("パスワードを入力してください。")
    expect(phone.get_by_label("名前")).to_have_attribute("aria-invalid", "true")
    assert_fits(phone)
    assert_accessible(phone)
    # the focus ring is there to see: a solid outline of 3 px on a yellow halo
    phone.keyboard.press("Tab")  # the skip link first
    expect(phone.get_by_role("link", name="本文へ移動")).to_be_focused()
    ring = phone.get_by_role("link", name="本文へ移動").evaluate(
        "e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]"
    )
    assert ring == ["solid", "3px"]
    phone.get_by_label("名前").focus()
    screenshot(phone, "login-empty-360")

    sign_in(phone, sc.name, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{sc.name} さん")
    expect(phone.get_by_text("管理者")).to_be_visible()
    assert_fits(phone)
    assert_accessible(phone)
    screenshot(phone, "home-360")


def assert_fits(page: Page) -> None:
    """Nothing is wider than the screen, and every control is a big enough target."""
    # measure the styled page: after a form post the text can be there before the stylesheet
    page.wait_for_load_state("load")
    page.wait_for_function(
        "[...document.styleSheets].some(s => (s.href || '').endsWith('/site.css')"
        " && s.cssRules.length > 0)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    small = page.evaluate(
        """() => [...document.querySelectorAll('main a, main button, main input:not([type=hidden]), header a, header button')]
              .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
              .filter(([_, r]) => r.height < 44 || r.width < 44)
              .map(([html, r]) => `${html} ${r.width}x${r.height}`)"""
    )
    assert small == []


def test_a_form_posted_without_its_csrf_token_is_refused(page: Page, live: LiveServer):
    sc = live.make_staff()
    page.goto(live.url + "/login")
    sign_in(page, sc.name, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{sc.name} さん")
    # as a page of another site would post it: the same form without the token
    page.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("送信できませんでした")
    expect(page.get_by_role("alert")).to_contain_text("ページを読み込み直して")
    assert_accessible(page)
    screenshot(page, "csrf-refused")
    # still signed in: the refused form changed nothing
    page.goto(live.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{sc.name} さん")


def test_sign_ins_are_rate_limited_with_a_page_in_japanese(page: Page, live_factory):
    live = live_factory(SIGNIN_RATE_LIMIT="3 per minute")
    sc = live.make_staff()
    page.goto(live.url + "/login")
    for _ in range(3):
        sign_in(page, sc.name, "guessing-again")
        expect(page.get_by_role("alert")).to_contain_text("名前またはパスワードが違います")
    with page.expect_response(lambda r: r.url.endswith("/login")) as answer:
        sign_in(page, sc.name, PASSWORD)
    assert answer.value.status == 429
    expect(page.get_by_role("alert")).to_contain_text("分ほど待ってから、もう一度お試しください")
    assert_accessible(page)
    screenshot(page, "login-rate-limited")
