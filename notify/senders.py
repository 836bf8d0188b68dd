"""Senders: how a message leaves the outbox. The log sender is the default; SMTP is configured
by the environment (SMTP_HOST, SMTP_PORT, SMTP_FROM, SMTP_USER, SMTP_PASSWORD, SMTP_STARTTLS)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

log = logging.getLogger("sasaeai.notify")


@dataclass(frozen=True)
class Message:
    """What a sender needs from an outbox row."""

    id: int
    recipient: str
    subject: str
    body: str


class Sender(Protocol):
    """Send one message or raise; a raise means it did not go and may be retried."""

    def send(self, message: Message) -> None: ...


@dataclass
class LogSender:
    """Write each message to the log (the default: nothing leaves the machine)."""

    sent: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        log.info(
            "notification %s to %s: %s\n%s",
            message.id,
            message.recipient,
            message.subject,
            message.body,
        )
        self.sent.append(message)


@dataclass(frozen=True)
class SmtpSender:
    """Send by SMTP, one connection per batch is not needed at a ward's volumes: one per message."""

    host: str
    port: int = 25
    sender: str = "sasaeai@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(idstring=f"notification-{message.id}")
        email.set_content(message.body, charset="utf-8")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(email)


_TRUE = {"1", "true", "yes", "on"}


def sender_from_env(environ: Mapping[str, str]) -> Sender:
    """The SMTP sender when SMTP_HOST is set, else the log sender."""
    host = environ.get("SMTP_HOST")
    if not host:
        return LogSender()
    return SmtpSender(
        host=host,
        port=int(environ.get("SMTP_PORT", "25")),
        sender=environ.get("SMTP_FROM", "sasaeai@localhost"),
        user=environ.get("SMTP_USER") or None,
        password=environ.get("SMTP_PASSWORD") or None,
        starttls=environ.get("SMTP_STARTTLS", "").strip().lower() in _TRUE,
    )
