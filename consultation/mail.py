"""Sending email: `.eml` files in an outbox folder by default, SMTP when MAIL_SERVER is set.

The outbox needs no service, so a fresh clone can sign and confirm petitions; each message is one file named by
its time and a random part, which a person opens in any mail client or reads as text. Written to a temporary
name and renamed, so a reader never sees half a message.

Headers are built only from safe parts: one recipient, checked by `email-validator` (a comma list such as
`a@example.org,b@example.org` would reach every address in it), and a subject with every line break, control
and format character turned into a space, so any petition title makes a valid Subject. Callers send through the
outbox table (consultation/outbox.py), which retries; `send` itself raises on any failure.
"""

import itertools
import os
import secrets
import smtplib
import unicodedata
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from consultation.clock import now

_sequence = itertools.count()
SUBJECT_LIMIT = 250  # characters; a longer subject is cut, with an ellipsis


class BadRecipient(ValueError):
    """The address is not exactly one valid email address."""


@dataclass(frozen=True)
class MailSettings:
    sender: str
    outbox: Path
    server: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = None
    use_tls: bool = True
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config, instance_path: str) -> "MailSettings":
        outbox = config.get("MAIL_OUTBOX") or os.path.join(instance_path, "outbox")
        return cls(
            sender=config.get("MAIL_SENDER", "Have your say <no-reply@localhost>"),
            outbox=Path(outbox),
            server=config.get("MAIL_SERVER") or None,
            port=int(config.get("MAIL_PORT", 587)),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            use_tls=bool(config.get("MAIL_USE_TLS", True)),
        )


def one_address(address: str) -> str:
    """The address as mail servers take it (the domain in its ASCII form where the local part allows), or
    BadRecipient when it is not exactly one valid address."""
    try:
        checked = validate_email(address or "", check_deliverability=False)
    except EmailNotValidError as error:
        raise BadRecipient(str(error)) from None
    return checked.ascii_email or checked.normalized


def header_text(text: str) -> str:
    """One line of plain text for a header: line breaks (also U+2028, U+2029, U+0085), controls and format
    characters become single spaces, runs of spaces fold, and a very long text is cut."""
    visible = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in text)
    line = " ".join(visible.split())
    return line if len(line) <= SUBJECT_LIMIT else line[: SUBJECT_LIMIT - 1].rstrip() + "…"


def build_message(settings: MailSettings, *, to: str, subject: str, body: str) -> EmailMessage:
    recipient = one_address(to)
    # An address with a non-ASCII local part is written as it is (SMTPUTF8) rather than mangled into encoded
    # words; a server that cannot take it refuses it, and the outbox records that.
    message = EmailMessage(policy=policy.SMTP if recipient.isascii() else policy.SMTPUTF8)
    message["From"] = settings.sender
    message["To"] = recipient
    message["Subject"] = header_text(subject)
    message["Date"] = format_datetime(now())
    message["Message-ID"] = make_msgid(domain="consultation.invalid")
    # 8bit, not quoted-printable: links stay whole on one line, for people reading the outbox as for mail clients.
    message.set_content(body, cte="8bit")
    return message


def send(settings: MailSettings, *, to: str, subject: str, body: str) -> Path | None:
    """Send one plain-text message; returns the outbox file it was written to, or None when sent by SMTP."""
    message = build_message(settings, to=to, subject=subject, body=body)
    if settings.server:
        with smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout) as smtp:
            if settings.use_tls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
        return None
    settings.outbox.mkdir(parents=True, exist_ok=True)
    # Time, then a counter (a frozen or coarse clock gives equal times), then a random part across processes.
    name = f"{now():%Y%m%dT%H%M%S%fZ}-{next(_sequence):08d}-{secrets.token_hex(4)}.eml"
    path = settings.outbox / name
    partial = settings.outbox / f".{name}.part"
    partial.write_bytes(message.as_bytes(policy=message.policy.clone(linesep="\n")))  # a text file: plain newlines
    os.replace(partial, path)
    return path


def current_settings() -> MailSettings:
    """The settings of the running Flask app (routes and commands; services take MailSettings explicitly)."""
    from flask import current_app

    return MailSettings.from_config(current_app.config, current_app.instance_path)
