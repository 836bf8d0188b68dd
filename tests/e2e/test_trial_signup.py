"""A new person signs up for おためしボランティア on a phone, corrects one wrong field, and reads
what happens next; once with JavaScript on (axe checks each page) and once with it off."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from matching.addresses import areas
from matching.models import Volunteer
from tests.e2e.conftest import PHONE, LiveServer, assert_accessible, screenshot
from tests.e2e.test_staff_sign_in import assert_fits


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def phone_page(
    request: pytest.FixtureRequest, browser: Browser, browser_context_args: dict[str, Any]
) -> Iterator[tuple[Page, bool]]:
    """A page 360 px wide, as on a small phone, with JavaScript on or off."""
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True},
        java_script_enabled=request.param,
    )
    yield context.new_page(), request.param
    context.close()


def check(page: Page, javascript: bool, name: str) -> None:
    """Each page fits 360 px with big targets, passes axe, and is saved as a screenshot. (axe
    waits on the page's own timers, which do not run with JavaScript off: the run with it on
    checks the same pages.)"""
    assert_fits(page)
    if javascript:
        assert_accessible(page)
    screenshot(page, name if javascript else f"{name}-nojs")


def test_a_new_person_signs_up_on_a_phone_after_correcting_their_birth_year(
    phone_page: tuple[Page, bool], live: LiveServer
):
    page, javascript = phone_page
    name = f"三宿 はなこ {uuid.uuid4().hex[:4]}"
    page.goto(live.url + "/trial")
    expect(page.get_by_role("heading", level=1)).to_have_text("おためしボランティアの申し込み")
    check(page, javascript, "trial-signup-360")

    page.get_by_label("お名前").fill(name)
    page.get_by_label("生まれた年（西暦）").fill("昭和33")  # an era year, not 西暦
    page.get_by_label("連絡先（電話番号またはメールアドレス）").fill("090-1234-5678")
    page.get_by_label("お住まいの町丁目").select_option("太子堂四丁目")
    page.get_by_label("ゴミ出し（15分ほど・50ポイント）").check()
    first = page.get_by_role("group", name="1つ目")
    first.get_by_label("曜日").select_option(label="火曜日")
    first.get_by_label("何時から").select_option(label="9:00")
    first.get_by_label("何時まで").select_option(label="12:00")
    page.get_by_role("button", name="申し込む").click()

    # the error sits by its field, in Japanese; everything else they typed is still there
    expect(page.get_by_role("alert")).to_contain_text("直してほしいところがあります")
    expect(page.locator("#birth_year-error")).to_contain_text("生まれ年は1900〜")
    expect(page.get_by_label("生まれた年（西暦）")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("お名前")).to_have_value(name)
    expect(page.get_by_label("お住まいの町丁目")).to_have_value("太子堂四丁目")
    expect(page.get_by_label("ゴミ出し（15分ほど・50ポイント）")).to_be_checked()
    expect(first.get_by_label("何時まで")).to_have_value(str(12 * 60))
    check(page, javascript, "trial-signup-error-360")

    page.get_by_label("生まれた年（西暦）").fill("1958")
    page.get_by_role("button", name="申し込む").click()

    expect(page).to_have_url(live.url + "/trial/thanks")
    expect(page.get_by_role("heading", level=1)).to_have_text("申し込みを受け付けました")
    expect(page.get_by_role("status")).to_contain_text(f"{name} さん")
    expect(page.get_by_text("生活支援コーディネーター", exact=False).first).to_be_visible()
    expect(page.get_by_text("500ポイントで500円分です。", exact=False)).to_be_visible()
    check(page, javascript, "trial-thanks-360")

    with live.app.extensions["sasaeai.sessionmaker"]() as session:
        (volunteer,) = session.scalars(select(Volunteer).where(Volunteer.name == name)).all()
        taishido_4 = next(a for a in areas("世田谷区") if a.area_name == "太子堂四丁目")
        assert volunteer.status == "trial" and volunteer.birth_year == 1958
        assert (volunteer.lat, volunteer.lon, volunteer.zone) == (
            taishido_4.lat,
            taishido_4.lon,
            "太子堂",
        )
        assert volunteer.skill_codes == ["garbage"]
        assert [(s.weekday, s.start_min, s.end_min) for s in volunteer.availability] == [
            (1, 540, 720)
        ]


def test_too_many_signups_from_one_place_get_a_japanese_page(page: Page, live_factory):
    limited = live_factory(TRIAL_SIGNUP_RATE_LIMIT="1 per minute")
    page.goto(limited.url + "/trial")
    page.get_by_role("button", name="申し込む").click()  # an empty form: counted too
    expect(page.locator("#name-error")).to_have_text("お名前を入力してください。")
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("回数が多すぎます")
    expect(page.get_by_role("alert")).to_contain_text("申し込みが続いたため")
    assert_accessible(page)
    screenshot(page, "trial-signup-too-many")
    # its pooled connections closed now, not by the garbage collector with a ResourceWarning
    limited.app.extensions["sasaeai.engine"].dispose()
