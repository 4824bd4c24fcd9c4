"""The mail outbox: messages are rows, sent in the background with retries that back off, and an operator sees
and resends what failed (`flask mail status`, `flask mail retry`)."""

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import Retry

from consultation import outbox
from consultation.extensions import db
from consultation.mail import MailSettings
from tests.smtp_server import SmtpServer, closed_port

NOON = datetime(2017, 9, 1, 12, 0, tzinfo=UTC)


def unreachable(tmp_path) -> MailSettings:
    return smtp(tmp_path, closed_port())


def smtp(tmp_path, port: int) -> MailSettings:
    return MailSettings(sender="x@example.org", outbox=tmp_path, server="127.0.0.1", port=port, use_tls=False)


def files(tmp_path) -> MailSettings:
    return MailSettings(sender="Petitions <no-reply@example.org>", outbox=tmp_path / "outbox")


def queued(session, to="ada@example.org", subject="Hello", at=NOON) -> int:
    message_id = outbox.queue_mail(session, to=to, subject=subject, body="Body\n", at=at).id
    session.commit()
    return message_id


def test_a_failed_attempt_is_recorded_and_waits_longer_each_time(app, session, tmp_path):
    message_id = queued(session)
    at = NOON
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        attempt = outbox.deliver(session, unreachable(tmp_path), message_id, at)
        assert attempt.status == "queued"
        waits.append(attempt.retry_at - at)
        assert outbox.deliver(session, unreachable(tmp_path), message_id, at).status == "skipped"  # not due yet
        at = attempt.retry_at
    assert waits == [timedelta(minutes=minutes) for minutes in (1, 2, 4, 8, 16)]
    assert outbox.deliver(session, unreachable(tmp_path), message_id, at).status == "failed"
    row = session.get(outbox.OutboxMessage, message_id)
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in row.last_error


def test_the_wait_is_capped_at_an_hour():
    assert outbox.wait_after(1) == timedelta(minutes=1)
    assert outbox.wait_after(20) == timedelta(hours=1)


def test_a_message_sent_by_smtp_is_marked_sent_once(app, session, tmp_path):
    message_id = queued(session)
    with SmtpServer() as server:
        settings = smtp(tmp_path, server.port)
        assert outbox.deliver(session, settings, message_id, NOON).status == "sent"
        assert outbox.deliver(session, settings, message_id, NOON + timedelta(hours=2)).status == "skipped"
    [received] = server.mailbox.messages
    assert received.recipients == ["ada@example.org"]
    row = session.get(outbox.OutboxMessage, message_id)
    assert (row.sent_at, row.body) == (NOON, "")  # the text, which may hold a link, is not kept once sent


def test_a_non_ascii_address_that_the_server_cannot_take_is_a_recorded_failure(app, session, tmp_path):
    message_id = queued(session, to="josé@example.org")
    with SmtpServer() as server:
        settings = smtp(tmp_path, server.port)
        assert outbox.deliver(session, settings, message_id, NOON).status == "queued"
    assert server.mailbox.messages == []
    assert "SMTPUTF8" in session.get(outbox.OutboxMessage, message_id).last_error


def test_a_claimed_message_is_not_sent_twice(app, session, tmp_path):
    message_id = queued(session)
    # Another sender claimed it a moment ago (its attempt is under way): this one leaves it alone.
    row = session.get(outbox.OutboxMessage, message_id)
    row.next_attempt_at = NOON + outbox.CLAIM
    session.commit()
    assert outbox.deliver(session, files(tmp_path), message_id, NOON).status == "skipped"
    assert not (tmp_path / "outbox").exists()


def test_status_and_retry_commands_show_and_resend_failed_mail(app, session, runner, tmp_path, freeze):
    freeze(NOON)
    message_id = queued(session, subject="Confirm your signature")
    row = session.get(outbox.OutboxMessage, message_id)
    row.status, row.attempts, row.last_error = "failed", outbox.MAX_ATTEMPTS, "ConnectionRefusedError: refused"
    session.commit()
    shown = runner.invoke(args=["mail", "status"])
    assert shown.exit_code == 0, shown.output
    assert "Outbox: 0 queued, 0 sent, 1 failed." in shown.output
    assert f"message {message_id}: failed after 6 attempts" in shown.output
    assert "ConnectionRefusedError: refused" in shown.output
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    retried = runner.invoke(args=["mail", "retry"])
    assert retried.exit_code == 0, retried.output
    assert "Requeued 1 failed messages; sent 1" in retried.output
    [path] = (tmp_path / "outbox").glob("*.eml")
    assert email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["To"] == "ada@example.org"
    assert "0 failed" in runner.invoke(args=["mail", "status"]).output


def test_on_a_worker_a_failed_attempt_is_retried_by_celery_after_the_back_off(app, session, tmp_path, freeze):
    freeze(NOON)
    message_id = queued(session)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_USE_TLS=False)
    outbox.deliver_task.push_request(
        id="test-task", args=[message_id], kwargs={}, is_eager=False, retries=0, called_directly=False
    )
    try:
        with pytest.raises(Retry) as retry:
            outbox.deliver_task.run(message_id)
    finally:
        outbox.deliver_task.pop_request()
        app.config.update(MAIL_SERVER=None, MAIL_PORT=587, MAIL_USE_TLS=True)
    assert retry.value.when == 60.0
    assert db.session.get(outbox.OutboxMessage, message_id).attempts == 1
