"""The screens' own error pages are pages too: Japanese, accessible, leading somewhere."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import sign_in


def test_a_page_not_for_an_sc_and_a_run_that_is_not_there_say_so_in_japanese(
    page: Page, live: LiveServer
):
    sc = live.make_staff()
    page.goto(live.url + "/login")
    sign_in(page, sc.name, PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/settings/")) as answer:
        page.goto(live.url + "/settings/")
    assert answer.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "error-403")
    with page.expect_response(lambda r: "/dispatch/runs/" in r.url) as answer:
        page.goto(live.url + "/dispatch/runs/999999")
    assert answer.value.status == 404
    expect(page.get_by_role("link", name="最初のページへ")).to_have_attribute("href", "/")
    assert_accessible(page)
    screenshot(page, "error-404")
