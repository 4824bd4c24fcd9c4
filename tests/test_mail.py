"""The mailer: .eml files in the outbox by default, SMTP when MAIL_SERVER is set."""

import email
import email.policy

from consultation import mail


def test_without_a_server_each_message_is_one_eml_file_in_the_outbox(tmp_path):
    settings = mail.MailSettings(sender="Petitions <no-reply@example.org>", outbox=tmp_path / "outbox")
    first = mail.send(settings, to="ada@example.org", subject="Hello", body="Line one\n")
    second = mail.send(settings, to="bob@example.org", subject="Again", body="Line two\n")
    assert sorted(path.name for path in (tmp_path / "outbox").iterdir()) == sorted([first.name, second.name])
    assert first.suffix == ".eml" and first.name < second.name
    message = email.message_from_bytes(first.read_bytes(), policy=email.policy.default)
    assert (message["To"], message["Subject"]) == ("ada@example.org", "Hello")
    assert message.get_body(("plain",)).get_content() == "Line one\n"


def test_with_a_server_messages_go_by_smtp_and_no_file_is_written(tmp_path, monkeypatch):
    sent = []

    class FakeSmtp:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message["To"]))

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSmtp)
    settings = mail.MailSettings(
        sender="x@example.org", outbox=tmp_path / "outbox", server="smtp.example.org", port=2525, username="u"
    )
    assert mail.send(settings, to="ada@example.org", subject="S", body="B") is None
    assert sent == [("connect", "smtp.example.org", 2525), ("starttls",), ("login", "u"), ("send", "ada@example.org")]
    assert not (tmp_path / "outbox").exists()


def test_settings_default_the_outbox_to_the_instance_folder(app):
    settings = mail.MailSettings.from_config({}, "/srv/instance")
    assert str(settings.outbox) == "/srv/instance/outbox"
    assert settings.server is None


def test_long_links_and_accents_stay_whole_in_the_file(tmp_path):
    settings = mail.MailSettings(sender="x@example.org", outbox=tmp_path)
    link = "http://127.0.0.1:5000/petitions/1/confirm/" + "A" * 60
    path = mail.send(settings, to="ada@example.org", subject="Café", body=f"“Keep it open”\n\n{link}\n")
    raw = path.read_text(encoding="utf-8")
    assert link in raw
    assert "“Keep it open”" in raw
