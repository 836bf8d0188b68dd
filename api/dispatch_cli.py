"""Command-line task of automatic re-dispatch (cron, every few minutes; safe to run at once)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

dispatch_cli = AppGroup("dispatch", help="Dispatch: re-dispatch what is due, on its own.")


def _session() -> Session:
    session: Session = current_app.extensions["sasaeai.sessionmaker"]()
    return session


def _setting(name: str, default: Any) -> Any:
    return current_app.config.get(name) or os.environ.get(name) or default


def cutoff_from_settings() -> Any:
    """The ward's cut-off from DISPATCH_CUTOFF (18:00), DISPATCH_CUTOFF_DAYS_BEFORE (1) and
    DISPATCH_ANSWER_GRACE_MINUTES (60), in the app's config or the environment."""
    from matching.redispatch import Cutoff

    try:
        return Cutoff.parse(
            str(_setting("DISPATCH_CUTOFF", "18:00")),
            _setting("DISPATCH_CUTOFF_DAYS_BEFORE", 1),
            _setting("DISPATCH_ANSWER_GRACE_MINUTES", 60),
        )
    except ValueError as error:
        raise click.ClickException(f"Dispatch cut-off settings: {error}") from error


@dispatch_cli.command("due")
def due() -> None:
    """Cancel proposals not answered by the cut-off, then match again every request that came
    back (declined, no answer, no-show) while its window still has time. Run every few minutes
    from cron; two copies at once do the work once."""
    from matching.redispatch import run_due

    cutoff = cutoff_from_settings()
    with _session() as session, session.begin():
        report = run_due(session, now=dt.datetime.now(dt.UTC), cutoff=cutoff)
    click.echo(
        f"{len(report.unanswered)} proposals unanswered by the cut-off"
        f" ({cutoff.at:%H:%M}, {cutoff.days_before} day(s) before);"
        f" re-dispatched {len(report.tried)} requests, {len(report.proposed)} proposed"
        + (f" (match run {report.match_run_id})" if report.match_run_id else "")
        + f"; {len(report.out_of_time)} out of time, left to the SC."
    )
