"""A real SMTP server on localhost (aiosmtpd) that a test starts, stops and starts again; and
make_notification, an outbox row in any state (for the trouble list's tests)."""

from __future__ import annotations

import datetime as dt
import email
import socket
import uuid
from collections.abc import Iterator
from email.message import Message as EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from db import utcnow
from notify.models import Notification


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Mailbox:
    """What the local SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"


class SmtpServer:
    """One port for the whole test, so the sender's settings stay the same across restarts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def up(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.up()
    yield server
    server.down()


def make_notification(session: Session, status: str, **kw: Any) -> Notification:
    """A message in the outbox that went wrong `age` ago (two hours by default)."""
    age = kw.pop("age", dt.timedelta(hours=2))
    then = utcnow() - age
    values: dict[str, Any] = {
        "kind": "reminder",
        "recipient": "hanako@example.jp",
        "subject": "【ささえあい】明日のお手伝い（ゴミ出し）",
        "body": "田中 花子 さま\n",
        "dedupe_key": f"test:{uuid.uuid4().hex}",
        "status": status,
        "attempts": 0 if status == "pending" else 1,
        "created_at": then,
        "next_attempt_at": then,
        "claimed_at": then if status == "sending" else None,
    }
    values.update(kw)
    notification = Notification(**values)
    session.add(notification)
    session.flush()
    return notification
