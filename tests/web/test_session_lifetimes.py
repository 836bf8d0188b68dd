"""How long each kind of sign-in lasts: staff a working day on a browser-session cookie;
volunteers and shops weeks on a cookie that outlives closing the browser."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from points import shops
from tests.web.conftest import csrf_token
from web import sessions

HOUR = 3600.0
DAY = 24 * HOUR


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved by hand: clock.move(seconds)."""

    class Clock:
        at = sessions.now()

        def move(self, seconds: float) -> None:
            self.at += seconds

    moved = Clock()
    monkeypatch.setattr(sessions, "now", lambda: moved.at)
    return moved


def _set_cookie(response) -> str:
    return next(v for k, v in response.headers.items() if k == "Set-Cookie" and "session=" in v)


def test_a_staff_sign_in_is_a_browser_session_cookie_that_ends_after_ten_hours(
    visitor, make_staff, clock
):
    make_staff(name="sc-a")
    signed_in = visitor.sign_in("sc-a")
    assert "Expires=" not in _set_cookie(signed_in)
    clock.move(10 * HOUR - 60)
    assert visitor.get("/").status_code == 200
    clock.move(120)
    assert visitor.get("/").status_code == 302  # to the sign-in page


def test_a_volunteer_stays_signed_in_for_weeks_of_use_and_out_after_a_month_away(
    visitor, make_volunteer, clock
):
    _, token = make_volunteer()
    page = visitor.get("/me/sign-in")
    signed_in = visitor.client.post(
        "/me/sign-in", data={"token": token, "csrf_token": csrf_token(page.text)}
    )
    assert signed_in.status_code == 303
    assert "Expires=" in _set_cookie(signed_in)  # kept when the phone's browser closes
    for _week in range(8):  # two months, a visit a week
        clock.move(7 * DAY)
        assert visitor.get("/me/").status_code == 200
    clock.move(31 * DAY)
    assert visitor.get("/me/").status_code != 200


def test_a_shop_counter_stays_signed_in_for_weeks(visitor, session, clock):
    _shop, key = shops.create_shop(
        session, name="商店", address="世田谷区太子堂四丁目1-1", now=dt.datetime.now(dt.UTC)
    )
    page = visitor.get("/shop/login")
    signed_in = visitor.client.post(
        "/shop/login", data={"key": key, "csrf_token": csrf_token(page.text)}
    )
    assert signed_in.status_code == 303
    clock.move(20 * DAY)
    assert visitor.get("/shop/").status_code == 200
    clock.move(31 * DAY)
    assert visitor.get("/shop/").status_code != 200


def test_a_lifetime_that_is_not_a_positive_number_stops_the_app():
    bad = Flask("t")
    bad.config["STAFF_SESSION_HOURS"] = -1
    with pytest.raises(ValueError, match="STAFF_SESSION_HOURS"):
        sessions.configure(bad)
