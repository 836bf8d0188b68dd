"""Command-line task of request series: generate their occurrences (cron, idempotent)."""

from __future__ import annotations

import datetime as dt
import os

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

series_cli = AppGroup("series", help="Request series: generate their occurrences ahead.")


def _session() -> Session:
    session: Session = current_app.extensions["sasaeai.sessionmaker"]()
    return session


@series_cli.command("generate")
@click.option(
    "--weeks",
    default=None,
    type=click.IntRange(0, 26),
    help="Weeks ahead (default SERIES_WEEKS_AHEAD, else 4).",
)
def generate(weeks: int | None) -> None:
    """Make the coming occurrences of every active series (safe to run again, and at once)."""
    from matching import series

    config = current_app.config
    if weeks is None:
        weeks = int(
            config.get("SERIES_WEEKS_AHEAD")
            or os.environ.get("SERIES_WEEKS_AHEAD", series.DEFAULT_WEEKS_AHEAD)
        )
    holidays = config.get("SERIES_HOLIDAYS") or os.environ.get("SERIES_HOLIDAYS", "skip")
    if holidays not in ("skip", "keep"):
        raise click.ClickException(f"SERIES_HOLIDAYS is skip or keep, not {holidays!r}.")
    now = dt.datetime.now(dt.UTC)
    with _session() as session, session.begin():
        report = series.generate(
            session,
            weeks_ahead=weeks,
            today=now.astimezone(series.TOKYO).date(),
            holidays=holidays,
            now=now,
        )
    click.echo(
        f"Generated {report.created} occurrences of {report.series} active series"
        f" ({weeks} weeks ahead, holidays: {holidays})."
    )
