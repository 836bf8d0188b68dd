"""The ward's confirmation cut-off from its settings: the app's config first, then the
environment, then the defaults (18:00 the day before, an hour's grace); the same reading for
`flask dispatch due`, `flask notify send` and the screens."""

from __future__ import annotations

import datetime as dt

import click
import pytest

from matching.redispatch import Cutoff


def test_nothing_set_is_the_default():
    assert Cutoff.from_settings({}, {}) == Cutoff()


def test_the_config_wins_over_the_environment_which_wins_over_the_default():
    cutoff = Cutoff.from_settings(
        {"DISPATCH_CUTOFF": "17:30"},
        {"DISPATCH_CUTOFF": "12:00", "DISPATCH_ANSWER_GRACE_MINUTES": "30"},
    )
    assert cutoff == Cutoff(at=dt.time(17, 30), days_before=1, grace=dt.timedelta(minutes=30))


def test_zero_days_before_is_the_same_day_not_unset():
    assert Cutoff.from_settings({"DISPATCH_CUTOFF_DAYS_BEFORE": 0}, {}).days_before == 0
    assert Cutoff.from_settings({"DISPATCH_ANSWER_GRACE_MINUTES": 0}, {}).grace == dt.timedelta(0)


def test_an_empty_setting_falls_through():
    assert Cutoff.from_settings({"DISPATCH_CUTOFF": ""}, {"DISPATCH_CUTOFF": "19:00"}).at == (
        dt.time(19, 0)
    )


def test_a_bad_setting_is_refused_clearly():
    with pytest.raises(ValueError, match="like 18:00"):
        Cutoff.from_settings({"DISPATCH_CUTOFF": "six"}, {})


def test_the_commands_read_the_apps_config(app, monkeypatch):
    from api.dispatch_cli import cutoff_from_settings

    monkeypatch.setitem(app.config, "DISPATCH_CUTOFF_DAYS_BEFORE", 0)
    monkeypatch.setitem(app.config, "DISPATCH_CUTOFF", "20:00")
    with app.app_context():
        cutoff = cutoff_from_settings()
    assert (cutoff.at, cutoff.days_before) == (dt.time(20, 0), 0)
    monkeypatch.setitem(app.config, "DISPATCH_CUTOFF", "25:00")
    with app.app_context(), pytest.raises(click.ClickException, match="cut-off settings"):
        cutoff_from_settings()
