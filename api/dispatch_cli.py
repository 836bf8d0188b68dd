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


def cutoff_from_settings() -> Any:
    """The ward's cut-off (matching.redispatch.Cutoff.from_settings): the app's config, then
    the environment."""
    from matching.redispatch import Cutoff

    try:
        return Cutoff.from_settings(current_app.config, os.environ)
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
        report = run_due(
            session,
            now=dt.datetime.now(dt.UTC),
            cutoff=cutoff,
            weights=current_app.config["MATCH_WEIGHTS"],
        )
    click.echo(
        f"{len(report.unanswered)} proposals unanswered by the cut-off"
        f" ({cutoff.at:%H:%M}, {cutoff.days_before} day(s) before);"
        f" re-dispatched {len(report.tried)} requests, {len(report.proposed)} proposed"
        + (f" (match run {report.match_run_id})" if report.match_run_id else "")
        + f"; {len(report.out_of_time)} out of time, left to the SC."
    )
