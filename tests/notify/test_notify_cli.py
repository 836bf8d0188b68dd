"""`flask --app wsgi notify send` and `notify remind`: safe to run again and again."""

from __future__ import annotations

from sqlalchemy import select

from notify.models import Notification
from notify.outbox import enqueue

CONTEXT = {
    "name": "佐藤 一郎",
    "category": "ゴミ出し",
    "when": "12月2日（水）7:00〜8:30",
    "zone": "太子堂",
    "answer_by": "12月1日（火）18:00",
}


def test_send_delivers_by_smtp_when_configured_and_only_once(
    app, session, smtp_server, monkeypatch
):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("SMTP_FROM", "sc@sasaeai.example")
    notification, _ = enqueue(
        session,
        kind="task_proposed",
        key="cli:1",
        to="ichiro@example.jp",
        template="task_proposed",
        context=CONTEXT,
    )
    session.flush()
    runner = app.test_cli_runner()

    first = runner.invoke(args=["notify", "send"])
    assert first.exit_code == 0, first.output
    assert "Enqueued 0 proposals, 0 cancellations and 0 thanks. Sent 1;" in first.output
    again = runner.invoke(args=["notify", "send"])
    assert "Sent 0;" in again.output

    assert len(smtp_server.mailbox.messages) == 1
    session.expire_all()
    assert (
        session.scalar(select(Notification.status).where(Notification.id == notification.id))
        == "sent"
    )


def test_send_without_smtp_uses_the_log(app, session, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    enqueue(
        session,
        kind="task_proposed",
        key="cli:2",
        to="ichiro@example.jp",
        template="task_proposed",
        context=CONTEXT,
    )
    session.flush()
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1;" in result.output


def test_remind_is_safe_to_run_again(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notify", "remind"])
    assert result.exit_code == 0, result.output
    assert "reminders in the outbox for tomorrow" in result.output
