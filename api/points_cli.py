"""Command-line tasks of the points ledger (expiry from cron, the invariant check)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

points_cli = AppGroup("points", help="地域貢献ポイント: expiry, invariant checks, rules.")


def _session() -> Session:
    session: Session = current_app.extensions["sasaeai.sessionmaker"]()
    return session


def _aware(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from error
    if moment.tzinfo is None:
        raise click.BadParameter("give the offset too, e.g. 2027-04-01T00:00:00+09:00")
    return moment


@points_cli.command("expire")
@click.option("--now", "now_", metavar="ISO", help="Expire as of this past time (with offset).")
def expire(now_: str | None) -> None:
    """Expire lapsed points and unredeemed vouchers (run daily from cron; idempotent)."""
    from points import expiry

    now = _aware(now_)
    if now > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1):
        # expiring early would take points and vouchers that volunteers still own
        raise click.BadParameter("--now may not be in the future", param_hint="--now")
    with _session() as session, session.begin():
        report = expiry.expire(session, now=now)
    years = ", ".join(f"{y}年度 {p} pt" for y, p in sorted(report.by_fiscal_year.items()))
    click.echo(
        f"Expired {report.points_expired} pt in {report.points_transfers} transfers"
        f"{f' ({years})' if years else ''}; {report.vouchers_expired} vouchers"
        f" ({report.voucher_points_expired} pt)."
    )


@points_cli.command("check")
def check() -> None:
    """Verify every ledger invariant with SQL; exit 1 and name each one that fails."""
    from points.invariants import INVARIANTS
    from points.invariants import check as run_checks

    with _session() as session:
        violations = run_checks(session)
    for line in violations:
        click.echo(f"VIOLATION {line}", err=True)
    if violations:
        raise SystemExit(1)
    click.echo(f"All {len(INVARIANTS)} ledger invariants hold.")


@points_cli.command("rules")
def show_rules() -> None:
    """Show the ward's point rules and each category's points beside the default rule."""
    from sqlalchemy import text

    from points import point_rules
    from points.rules import points_for_duration

    with _session() as session:
        rules = point_rules.get_rules(session)
        categories = session.execute(
            text("SELECT code, label_ja, duration_min, points FROM categories ORDER BY id")
        ).all()
    for name, value in vars(rules).items():
        click.echo(f"{name} = {value}")
    for code, label, minutes, points in categories:
        suggested = points_for_duration(minutes)
        note = "" if points == suggested else f" (the default rule gives {suggested})"
        click.echo(f"category {code} {label}: {minutes} min, {points} pt{note}")
