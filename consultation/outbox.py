"""The mail outbox: every email is a row first, written in the same transaction as what it is about, then sent.

A request never waits on a mail server and never fails because of one: it adds a row and commits, then hands
the row's id to a background task. Sending (`deliver`) is one plain function of a session, the mail settings,
a message id and the time, whatever runs it: the Celery task below, `flask mail retry`, or a sweep.

- A message is `queued` until sent. A failed attempt records its error and waits before the next one, twice as
  long each time (1 minute, 2, 4, ... at most an hour). After MAX_ATTEMPTS it is `failed`, and stays there until
  an operator sends it again (`flask --app app mail retry`); `flask --app app mail status` lists what failed.
- Once sent, the message's text is cleared: it may hold a confirmation link, which is stored nowhere else but
  as a hash.
- An attempt first claims the row by moving its next attempt forward in one UPDATE, so two senders (the task
  and an operator's retry) never both send it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultation.clock import now
from consultation.common import UTCDateTime
from consultation.extensions import celery, db
from consultation.mail import MailSettings, current_settings, send

log = logging.getLogger(__name__)

STATUSES = ("queued", "sent", "failed")
MAX_ATTEMPTS = 6
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
CLAIM = timedelta(minutes=5)  # an attempt that dies mid-way leaves the row to be tried again after this


class OutboxMessage(db.Model):
    """One email to one address: what to send, and how sending it has gone."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


@dataclass(frozen=True)
class Attempt:
    """What one call of `deliver` did: status after it ('queued', 'sent', 'failed', or 'skipped' when the row
    was not due or another sender holds it), and when to try again for a queued one."""

    status: str
    retry_at: datetime | None = None


def queue_mail(session: Session, *, to: str, subject: str, body: str, at: datetime | None = None) -> OutboxMessage:
    """Add a message to the outbox (flushed, not committed: it commits with the caller's own rows)."""
    at = at or now()
    message = OutboxMessage(
        recipient=to, subject=subject, body=body, status="queued", attempts=0, created_at=at, next_attempt_at=at
    )
    session.add(message)
    session.flush()
    return message


def wait_after(attempts: int) -> timedelta:
    """How long to wait after the given number of failed attempts: doubling from a minute, at most an hour."""
    return min(FIRST_WAIT * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def deliver(session: Session, settings: MailSettings, message_id: int, at: datetime | None = None) -> Attempt:
    """Try to send one queued message now; records the outcome and commits. Never raises for a mail failure."""
    at = at or now()
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= at)
        .values(next_attempt_at=at + CLAIM)
    ).rowcount
    session.commit()
    if not claimed:
        return Attempt("skipped")
    message = session.get(OutboxMessage, message_id)
    try:
        send(settings, to=message.recipient, subject=message.subject, body=message.body)
    except Exception as error:  # any failure to send (refused, unreachable, bad address) is recorded, not raised
        return _record_failure(session, message, error, at)
    message.status, message.sent_at, message.attempts, message.last_error = "sent", at, message.attempts + 1, None
    message.body = ""  # the text may hold a confirmation link: kept only until it is sent
    session.commit()
    return Attempt("sent")


def _record_failure(session: Session, message: OutboxMessage, error: Exception, at: datetime) -> Attempt:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    log.warning("mail %s to the outbox's recipient failed (attempt %s): %s", message.id, message.attempts, error)
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
        session.commit()
        return Attempt("failed")
    message.next_attempt_at = at + wait_after(message.attempts)
    session.commit()
    return Attempt("queued", message.next_attempt_at)


def due_ids(session: Session, at: datetime, limit: int = 500) -> list[int]:
    """Queued messages whose next attempt is due, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= at)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def deliver_due(session: Session, settings: MailSettings, at: datetime | None = None) -> dict[str, int]:
    """Send every message that is due; returns how many ended in each status."""
    at = at or now()
    outcomes: dict[str, int] = {}
    for message_id in due_ids(session, at):
        status = deliver(session, settings, message_id, at).status
        outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes


def requeue_failed(session: Session, at: datetime | None = None, message_ids: list[int] | None = None) -> int:
    """Put failed messages (all, or the given ones) back in the queue with a fresh count of attempts; commits."""
    at = at or now()
    statement = update(OutboxMessage).where(OutboxMessage.status == "failed")
    if message_ids:
        statement = statement.where(OutboxMessage.id.in_(message_ids))
    changed = session.execute(statement.values(status="queued", attempts=0, next_attempt_at=at)).rowcount
    session.commit()
    return changed


def outbox_status(session: Session, limit: int = 50) -> dict:
    """Counts by status, and the messages that failed or are waiting to be tried again (newest first)."""
    counts = dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    troubled = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status != "sent", OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return {
        "counts": {status: counts.get(status, 0) for status in STATUSES},
        "problems": [
            {
                "id": message.id,
                "status": message.status,
                "attempts": message.attempts,
                "next_attempt_at": message.next_attempt_at if message.status == "queued" else None,
                "last_error": message.last_error,
            }
            for message in troubled
        ],
    }


# Scheduling ---------------------------------------------------------------------------------------------------


@celery.task(name="mail.deliver", bind=True, max_retries=MAX_ATTEMPTS, acks_late=True, reject_on_worker_lost=True)
def deliver_task(self, message_id: int) -> str:
    """Send one outbox message; on a worker, a failed attempt is retried after the outbox's back-off."""
    attempt = deliver(db.session, current_settings(), message_id, now())
    if attempt.status == "queued" and not self.request.is_eager:
        raise self.retry(countdown=max(1.0, (attempt.retry_at - now()).total_seconds()))
    # Run inline (the embedded default), a retry now would only fail again inside the request that queued it:
    # the message waits in the outbox for `flask mail retry` or the next sweep.
    return attempt.status


DUE_TASK = "mail.deliver_due"


@celery.task(name=DUE_TASK)
def deliver_due_task() -> dict[str, int]:
    """Send every due message (for a periodic schedule, e.g. Celery beat)."""
    return deliver_due(db.session, current_settings(), now())


def dispatch(message_id: int) -> None:
    """Hand a committed message to the background task; if that fails (broker down), it waits in the outbox."""
    try:
        deliver_task.delay(message_id)
    except Exception:  # the row is committed: a broker failure must not fail the request that queued it
        db.session.rollback()
        log.exception("mail %s could not be handed to the background task; it waits in the outbox", message_id)
