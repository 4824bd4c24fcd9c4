"""Signing online and confirming by email: one count per person, tokens stored only as hashes, time windows."""

from datetime import timedelta

from sqlalchemy import func, select

from consultation.petitions.models import Signature
from consultation.petitions.service import hash_token
from tests.intake.conftest import assert_error
from tests.petitions.conftest import PETITION_CLOSES, SEPTEMBER, messages, tokens_sent, totals


def signature_rows(session) -> list[Signature]:
    session.expire_all()
    return list(session.scalars(select(Signature).order_by(Signature.id)))


def test_signing_is_accepted_pending_and_emails_a_link_to_a_confirmation_page(client, petition, sign, outbox, session):
    reply = sign(petition)
    assert reply.status_code == 202
    assert reply.get_json()["status"] == "pending_confirmation"
    [message] = messages(outbox)
    assert message["To"] == "ada@example.org"
    body = message.get_body(("plain",)).get_content()
    assert f"http://localhost/petitions/{petition}/confirm/" in body
    counts = totals(client, petition)
    assert (counts["pending_online"], counts["confirmed_online"], counts["total"]) == (1, 0, 0)


def test_only_a_hash_of_the_token_is_stored(petition, sign, outbox, session):
    sign(petition)
    [token] = tokens_sent(outbox)
    [row] = signature_rows(session)
    assert row.token_hash == hash_token(token)
    assert token not in {str(value) for value in row.__dict__.values()}


def test_confirming_counts_the_signature_once_however_often_it_is_confirmed(client, petition, sign, outbox):
    sign(petition)
    [token] = tokens_sent(outbox)
    first = client.post(f"/api/v1/petitions/{petition}/confirm", json={"token": token})
    assert first.get_json() == {"outcome": "confirmed", "counted": True}
    again = client.post(f"/api/v1/petitions/{petition}/confirm", json={"token": token})
    assert again.get_json() == {"outcome": "already_confirmed", "counted": True}
    counts = totals(client, petition)
    assert (counts["confirmed_online"], counts["pending_online"], counts["total"]) == (1, 0, 1)


def test_consent_is_required(client, petition, sign):
    for consent in (False, None):
        body = assert_error(sign(petition, consent=consent), 422, "validation_error")
        assert "consent" in body["errors"]
    body = assert_error(
        client.post(f"/api/v1/petitions/{petition}/signatures", json={"name": "A"}), 422, "validation_error"
    )
    assert {"email", "postcode", "consent"} <= set(body["errors"])


def test_an_unknown_postcode_is_refused_with_a_clear_message(petition, sign, session):
    body = assert_error(sign(petition, postcode="RM10 9ZZ"), 422, "validation_error")
    assert body["errors"]["postcode"] == [
        "We could not find this postcode. Check it and enter it again, for example RM10 7TU."
    ]
    body = assert_error(sign(petition, postcode="12345"), 422, "validation_error")
    assert "full UK postcode" in body["errors"]["postcode"][0]
    assert signature_rows(session) == []


def test_bad_names_and_emails_are_refused_together(petition, sign):
    body = assert_error(sign(petition, name=" ", email="not-an-email"), 422, "validation_error")
    assert set(body["errors"]) == {"name", "email"}


def test_signing_a_closed_petition_is_refused_with_the_closing_time_in_london_time(petition, sign, freeze):
    freeze(PETITION_CLOSES)
    body = assert_error(sign(petition), 409, "petition_closed")
    assert body["message"] == "This petition closed at 17:00 on Sunday 1 October 2017 (London time)."
    assert body["errors"]["closes_at"] == ["2017-10-01T16:00:00Z"]


def test_signing_a_moment_before_closing_is_accepted(petition, sign, freeze):
    freeze(PETITION_CLOSES - timedelta(milliseconds=1))
    assert sign(petition).status_code == 202


def test_emails_differing_in_case_gmail_dots_or_plus_tags_are_one_signature(client, petition, sign, outbox, session):
    for address in ("Ada.Lovelace@gmail.com", "adalovelace@GMAIL.com", "ada.love.lace+petition@googlemail.com"):
        assert sign(petition, email=address).status_code == 202
    assert len(signature_rows(session)) == 1
    assert len(tokens_sent(outbox)) == 3  # signing again resends the link
    # The newest link confirms; the earlier ones were replaced.
    latest = tokens_sent(outbox)[-1]
    stale = tokens_sent(outbox)[0]
    assert_error(client.post(f"/api/v1/petitions/{petition}/confirm", json={"token": stale}), 404, "unknown_token")
    assert client.post(f"/api/v1/petitions/{petition}/confirm", json={"token": latest}).status_code == 200
    assert totals(client, petition)["confirmed_online"] == 1


def test_other_providers_keep_dots_and_plus_tags_apart(client, petition, sign, session):
    sign(petition, email="ada.lovelace@example.org", name="Ada One", postcode="RM10 7TU")
    sign(petition, email="adalovelace@example.org", name="Ada Two", postcode="RM10 7TU")
    sign(petition, email="ADA.LOVELACE@EXAMPLE.ORG", name="Ada One", postcode="RM10 7TU")
    assert len(signature_rows(session)) == 2


def test_signing_again_after_confirming_creates_nothing_and_says_so_by_email(client, petition, sign, outbox, session):
    sign.signed_and_confirmed(petition)
    assert sign(petition).status_code == 202
    assert len(signature_rows(session)) == 1
    assert "already signed" in messages(outbox)[-1]["Subject"]
    assert totals(client, petition)["confirmed_online"] == 1


def test_the_same_name_and_postcode_under_another_email_is_flagged_not_counted(client, petition, sign, session):
    sign.signed_and_confirmed(petition, name="Ada Lovelace", email="ada@example.org")
    result = sign.signed_and_confirmed(
        petition, name="  ADA   lovelace ", email="ada@elsewhere.example", postcode="rm107tu"
    )
    assert result == {"outcome": "confirmed", "counted": False}
    counts = totals(client, petition)
    assert (counts["confirmed_online"], counts["flagged"], counts["total"]) == (1, 1, 1)
    flagged = [row for row in signature_rows(session) if row.flagged]
    assert flagged[0].email == "ada@elsewhere.example"


def test_the_same_name_at_another_postcode_is_another_person(client, petition, sign):
    sign.signed_and_confirmed(petition, email="ada@example.org")
    sign.signed_and_confirmed(petition, email="ada2@example.org", postcode="IG11 7NB")
    assert totals(client, petition)["confirmed_online"] == 2


def test_a_token_used_after_its_24_hours_is_refused_and_not_counted(client, petition, sign, outbox, freeze):
    sign(petition)
    [token] = tokens_sent(outbox)
    freeze(SEPTEMBER + timedelta(hours=24))
    body = assert_error(
        client.post(f"/api/v1/petitions/{petition}/confirm", json={"token": token}), 410, "confirmation_expired"
    )
    assert "sign again" in body["message"]
    assert totals(client, petition)["confirmed_online"] == 0


def test_a_token_just_inside_its_24_hours_confirms(client, petition, sign, outbox, freeze):
    sign(petition)
    freeze(SEPTEMBER + timedelta(hours=24) - timedelta(seconds=1))
    assert sign.confirm(petition, "ada@example.org").status_code == 200


def test_a_signature_made_before_closing_may_be_confirmed_up_to_24_hours_after(client, petition, sign, outbox, freeze):
    freeze(PETITION_CLOSES - timedelta(minutes=5))
    sign(petition)
    freeze(PETITION_CLOSES + timedelta(hours=12))
    assert sign.confirm(petition, "ada@example.org").get_json()["outcome"] == "confirmed"
    assert totals(client, petition)["total"] == 1


def test_a_token_for_another_petition_or_a_made_up_one_is_unknown(client, auth, petition, sign, outbox):
    from tests.petitions.conftest import create_petition

    other = create_petition(client, auth("organiser"), title="Other").get_json()["id"]
    sign(petition)
    [token] = tokens_sent(outbox)
    assert_error(client.post(f"/api/v1/petitions/{other}/confirm", json={"token": token}), 404, "unknown_token")
    assert_error(client.post(f"/api/v1/petitions/{petition}/confirm", json={"token": "made-up"}), 404, "unknown_token")


def test_pending_signatures_count_nowhere_but_pending(client, petition, sign, session):
    for number in range(3):
        sign(petition, email=f"person{number}@example.org", name=f"Person {number}")
    counts = totals(client, petition)
    assert counts["pending_online"] == 3
    assert counts["total"] == 0
    assert session.scalar(select(func.count(Signature.id))) == 3
