"""Staff sign in with an emailed one-time link: scanner-safe, single use, 15 minutes, hashed, the same answer for
any address, audited, rate limited; sessions end when idle or when the user is deactivated."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from consultation.accounts.models import AuditEvent, SignInLink
from consultation.accounts.tokens import hash_token
from consultation.clock import now
from consultation.extensions import db
from tests.petitions.conftest import messages

LINK = re.compile(r"(http://localhost)/staff/sign-in/([A-Za-z0-9_-]+)")


def emailed_link(outbox):
    [message] = messages(outbox)
    match = LINK.search(message.get_body(("plain",)).get_content())
    assert match, message
    return match.group(0), match.group(2)


def test_asking_for_a_link_emails_one_built_from_the_public_base_url(client, staff, outbox):
    reply = client.post("/staff/sign-in", data={"email": "  Reviewer@Example.org "}, headers={"Host": "evil.example"})
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith("/staff/sign-in/check-your-email")
    url, token = emailed_link(outbox)
    assert url.startswith("http://localhost/staff/sign-in/")  # PUBLIC_BASE_URL, not the request's Host header
    stored = db.session.scalar(select(SignInLink.token_hash))
    assert stored == hash_token(token) and token not in stored


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(client, staff, outbox):
    known = client.post("/staff/sign-in", data={"email": "reviewer@example.org"})
    unknown = client.post("/staff/sign-in", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(messages(outbox)) == 1
    page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert "If <strong>nobody@example.org</strong> belongs to a staff account" in page
    actions = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "sign_in_requested")).all()
    assert sorted(item["account"] for item in actions) == [False, True]


def test_opening_the_link_signs_nobody_in_and_the_button_does_once(client, staff, outbox):
    client.post("/staff/sign-in", data={"email": "reviewer@example.org"})
    url, token = emailed_link(outbox)
    for _ in range(2):
        assert client.get(f"/staff/sign-in/{token}").status_code == 200
        assert client.head(f"/staff/sign-in/{token}").status_code == 200
    assert client.get("/staff/").status_code == 302  # still signed out
    reply = client.post(f"/staff/sign-in/{token}")
    assert reply.status_code == 303
    assert "Signed in as Test reviewer" in client.get("/staff/").get_data(as_text=True)
    second = client.application.test_client().post(f"/staff/sign-in/{token}")
    assert second.status_code == 410
    assert "already been used" in second.get_data(as_text=True)
    outcomes = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "user")).all()
    assert outcomes.count("sign_in") == 1 and outcomes.count("sign_in_failed") == 1


def test_a_link_expires_after_15_minutes(client, staff, outbox, freeze):
    start = now()
    freeze(start)
    client.post("/staff/sign-in", data={"email": "reviewer@example.org"})
    _, token = emailed_link(outbox)
    freeze(start + timedelta(minutes=15, seconds=1))
    reply = client.post(f"/staff/sign-in/{token}")
    assert reply.status_code == 410
    assert "expired" in reply.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_a_made_up_link_is_refused_and_audited(client, staff):
    assert client.post("/staff/sign-in/not-a-token").status_code == 404
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "sign_in_failed")) == 1


def test_a_bad_address_is_shown_against_the_field(client, staff, page):
    reply = client.post("/staff/sign-in", data={"email": "not an address"})
    assert reply.status_code == 422
    shown = page(reply.get_data(as_text=True))
    assert shown.by_id("email-error")
    assert shown.find_all("a", href="#email")


def test_a_deactivated_user_is_signed_out_on_the_next_request(client, staff, sign_in_as):
    sign_in_as(staff["reviewer"])
    assert client.get("/staff/").status_code == 200
    staff["reviewer"].is_active = False
    db.session.commit()
    reply = client.get("/staff/")
    assert reply.status_code == 302
    assert "/staff/sign-in" in reply.headers["Location"]


def test_a_session_idle_for_two_hours_ends(client, staff, sign_in_as, freeze):
    start = now()
    freeze(start)
    sign_in_as(staff["reviewer"])
    freeze(start + timedelta(minutes=119))
    assert client.get("/staff/").status_code == 200
    freeze(start + timedelta(minutes=119 + 121))
    assert client.get("/staff/").status_code == 302
    notice = client.get("/staff/sign-in").get_data(as_text=True)
    assert "signed out after a time without activity" in notice


def test_signing_out_ends_the_session(client, staff, sign_in_as):
    sign_in_as(staff["reviewer"])
    assert client.post("/staff/sign-out").status_code == 303
    assert client.get("/staff/").status_code == 302


def test_the_session_cookie_is_httponly_and_samesite_lax(client, staff, sign_in_as):
    token_owner = staff["reviewer"]
    from consultation.accounts.sign_in import issue_link

    token = issue_link(db.session, token_owner, now())
    db.session.commit()
    reply = client.post(f"/staff/sign-in/{token}")
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_after_signing_in_the_user_lands_where_they_were_going_inside_the_console(client, staff, outbox):
    first = client.get("/staff/tokens")
    assert first.status_code == 302
    client.get(first.headers["Location"])
    client.post("/staff/sign-in", data={"email": "reviewer@example.org"})
    _, token = emailed_link(outbox)
    assert client.post(f"/staff/sign-in/{token}").headers["Location"].endswith("/staff/tokens")


def test_sign_in_is_rate_limited_per_email_address(file_app, staff, tmp_path):
    app = file_app(RATELIMIT_ENABLED=True, STAFF_SIGN_IN_RATE_LIMIT="2 per hour", MAIL_OUTBOX=str(tmp_path / "out"))
    client = app.test_client()
    codes = [
        client.post(
            "/staff/sign-in", data={"email": "someone@example.org"}, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}
        ).status_code
        for i in range(3)
    ]
    assert codes == [303, 303, 429]
    other = client.post("/staff/sign-in", data={"email": "other@example.org"}, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert other.status_code == 303
