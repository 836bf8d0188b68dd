"""Command-line tasks of the notifications outbox (sending from cron; safe to run again)."""

from __future__ import annotations

import datetime as dt
import os

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

notify_cli = AppGroup("notify", help="お知らせ: the outbox of messages to volunteers.")


def _session() -> Session:
    session: Session = current_app.extensions["sasaeai.sessionmaker"]()
    return session


@notify_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="Send at most this many.")
def send(limit: int) -> None:
    """Enqueue news of proposals and cancellations, then send what is due, each at most once
    (SMTP_HOST set: by SMTP, else to the log). Run every few minutes from cron."""
    from api.dispatch_cli import cutoff_from_settings
    from notify.events import enqueue_events
    from notify.outbox import send_due
    from notify.senders import sender_from_env

    sender = sender_from_env(os.environ)
    cutoff = cutoff_from_settings()
    with _session() as session:
        with session.begin():
            news = enqueue_events(session, now=dt.datetime.now(dt.UTC), cutoff=cutoff)
        report = send_due(session, sender=sender, now=dt.datetime.now(dt.UTC), limit=limit)
    click.echo(
        f"Enqueued {news['task_proposed']} proposals, {news['task_cancelled']} cancellations"
        f" and {news['trial_thanks']} thanks."
        f" Sent {report.sent}; {report.retrying} to retry later; {report.failed} failed for good."
    )


@notify_cli.command("remind")
def remind() -> None:
    """Enqueue the day-before reminders of tomorrow's accepted tasks (safe to run again; run
    once in the afternoon from cron, `notify send` then sends them)."""
    from notify.events import enqueue_reminders

    with _session() as session, session.begin():
        enqueued = enqueue_reminders(session, now=dt.datetime.now(dt.UTC))
    click.echo(f"{len(enqueued)} reminders in the outbox for tomorrow.")


@notify_cli.command("troubles")
def troubles() -> None:
    """List the messages a person must look at (failed; stuck in 'sending' over 30 minutes;
    due over an hour ago, i.e. `notify send` is not running) and exit 1 if there are any: run
    it from cron (e.g. hourly) so its mail reaches an admin. The SC handles them on /outbox."""
    from notify.events import TOKYO
    from notify.review import troubles as find

    with _session() as session:
        found = find(session, now=dt.datetime.now(dt.UTC))
    if not found.total:
        click.echo("No message needs a person.")
        return
    counts = found.counts
    click.echo(
        f"{counts['failed']} failed, {counts['stuck']} stuck in sending,"
        f" {counts['overdue']} overdue"
        + (" (is `flask --app wsgi notify send` running from cron?)" if counts["overdue"] else "")
        + ". Handle them on /outbox (送れなかったお知らせ)."
    )
    for trouble in found.items:
        n = trouble.notification
        since = {"failed": None, "stuck": n.claimed_at, "overdue": n.next_attempt_at}[
            trouble.reason
        ]
        line = f"{trouble.reason:<8} #{n.id} {n.kind} to {n.recipient}, {n.attempts} attempts"
        if since is not None:
            line += f", since {since.astimezone(TOKYO):%Y-%m-%d %H:%M} JST"
        if trouble.reason == "failed" and n.last_error:
            line += f": {n.last_error.splitlines()[0][:200]}"
        click.echo(line)
    raise SystemExit(1)
