"""Signing answers 202 whatever the mail server does: the email is an outbox row committed with the signature,
sent in the background, retried, and shown to an operator when it fails."""

from datetime import timedelta

from kombu.exceptions import OperationalError
from sqlalchemy import select

from consultation import outbox as mail_outbox
from consultation.petitions.models import Signature
from tests.petitions.conftest import SEPTEMBER, create_petition, messages, tokens_sent, totals
from tests.smtp_server import SmtpServer, closed_port


def use_smtp(monkeypatch, app, port: int) -> None:
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False}.items():
        monkeypatch.setitem(app.config, key, value)


def outbox_rows(session) -> list:
    return list(session.scalars(select(mail_outbox.OutboxMessage).order_by(mail_outbox.OutboxMessage.id)))


def test_with_the_mail_server_unreachable_signing_is_accepted_and_the_mail_waits(
    app, client, petition, sign, session, outbox, runner, monkeypatch, freeze
):
    use_smtp(monkeypatch, app, closed_port())
    reply = sign(petition)
    assert reply.status_code == 202, reply.get_json()
    [signature] = session.scalars(select(Signature))
    assert signature.confirmed_at is None
    [row] = outbox_rows(session)
    assert (row.status, row.attempts, row.recipient) == ("queued", 1, "ada@example.org")
    assert "Connection" in row.last_error
    status = runner.invoke(args=["mail", "status"])
    assert "Outbox: 1 queued, 0 sent, 0 failed." in status.output
    assert f"message {row.id}: queued after 1 attempts, next try 2017-09-01 11:01 UTC" in status.output
    # The server is back (here: the file outbox); once the wait is over, the retry sends the link, which works.
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    freeze(SEPTEMBER + timedelta(minutes=1))
    assert "sent 1" in runner.invoke(args=["mail", "retry"]).output
    assert sign.confirm(petition, "ada@example.org").get_json() == {"outcome": "confirmed", "counted": True}
    assert totals(client, petition)["confirmed_online"] == 1


def test_a_non_ascii_address_is_accepted_even_when_the_server_cannot_take_it(app, petition, sign, session, monkeypatch):
    with SmtpServer() as server:
        use_smtp(monkeypatch, app, server.port)
        assert sign(petition, email="josé@example.org").status_code == 202
        assert sign(petition, email="ada@example.org", name="Ada Two").status_code == 202
    assert [message.recipients for message in server.mailbox.messages] == [["ada@example.org"]]
    first, second = outbox_rows(session)
    assert (first.status, second.status) == ("queued", "sent")
    assert "SMTPUTF8" in first.last_error


def test_a_title_with_line_breaks_gives_a_one_line_subject(client, auth, police, sign, outbox):
    title = "Keep Dagenham\nopen\u2028now\r\n\u2029please"
    petition = create_petition(client, auth("organiser"), title=title).get_json()["id"]
    assert sign(petition).status_code == 202
    [message] = messages(outbox)
    assert message["Subject"] == "Confirm your signature: Keep Dagenham open now please"
    assert tokens_sent(outbox)


def test_when_the_background_task_cannot_be_queued_the_mail_waits_in_the_outbox(petition, sign, session, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(mail_outbox.deliver_task, "delay", broker_down)
    assert sign(petition).status_code == 202
    [row] = outbox_rows(session)
    assert (row.status, row.attempts) == ("queued", 0)
    assert session.scalar(select(Signature.email)) == "ada@example.org"


def test_signing_on_the_page_with_the_mail_server_unreachable_shows_check_your_email(
    app, client, petition, session, monkeypatch
):
    use_smtp(monkeypatch, app, closed_port())
    form = {"signer-name": "Ada Lovelace", "signer-email": "ada@example.org", "signer-postcode": "RM10 7TU"}
    reply = client.post(f"/petitions/{petition}", data={**form, "consent": "yes"})
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith(f"/petitions/{petition}/check-your-email")
    assert [row.status for row in outbox_rows(session)] == ["queued"]
