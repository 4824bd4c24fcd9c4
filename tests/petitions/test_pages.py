"""The resident petition pages: the petition with its live total and form, check your email, confirm, thank you."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from consultation.petitions.models import Signature
from tests.petitions.conftest import PETITION_CLOSES, SEPTEMBER, tokens_sent

FORM = {
    "signer-name": "Ada Lovelace",
    "signer-email": "ada@example.org",
    "signer-postcode": "RM10 7TU",
    "consent": "yes",
}


@pytest.fixture
def petition_url(petition):
    return f"/petitions/{petition}"


def test_the_petition_page_shows_its_text_total_closing_time_and_form(client, petition_url, sign, petition, page):
    sign.signed_and_confirmed(petition)
    html = client.get(petition_url).get_data(as_text=True)
    shown = page(html)
    assert "Keep Dagenham open" in shown.text
    assert "Keep the front counter open." in shown.text
    assert shown.by_id("petition-total")
    assert "1 signature counted" in shown.text
    assert "closes at 17:00 on Sunday 1 October 2017 (London time)" in shown.text
    for field in ("signer-name", "signer-email", "signer-postcode", "consent"):
        assert shown.find_all("label", for_=field), field
    assert shown.find_all("input", name="csrf_token")
    assert "Barking and Dagenham" in shown.text  # where signatures come from, by borough only


def test_signing_on_the_page_sends_the_email_and_shows_check_your_email(client, petition_url, outbox, session):
    reply = client.post(petition_url, data=FORM)
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith(f"{petition_url}/check-your-email")
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Check your email" in page and "ada@example.org" in page
    assert len(tokens_sent(outbox)) == 1
    assert session.scalar(select(Signature.confirmed_at)) is None


def test_the_check_your_email_page_is_only_for_the_browser_that_signed(client, petition_url):
    reply = client.get(f"{petition_url}/check-your-email")
    assert reply.status_code == 302


def test_errors_are_summarised_and_shown_against_each_field(client, petition_url, page, session):
    reply = client.post(petition_url, data={"signer-name": "", "signer-email": "nope", "signer-postcode": "RM10 9ZZ"})
    assert reply.status_code == 422
    shown = page(reply.get_data(as_text=True))
    summary_links = [attrs["href"] for attrs in shown.find_all("a") if attrs.get("href", "").startswith("#")]
    assert (
        summary_links[:4]
        == ["#main-content", "#signer-name", "#signer-email", "#signer-postcode"][: len(summary_links[:4])]
    )
    assert "#consent" in summary_links
    assert "We could not find this postcode" in shown.text
    assert shown.by_id("signer-postcode-error")
    assert "Error:" in reply.get_data(as_text=True)
    assert session.scalar(select(Signature.id)) is None


def test_opening_the_link_shows_a_button_and_does_not_confirm(client, petition_url, outbox, session):
    client.post(petition_url, data=FORM)
    [token] = tokens_sent(outbox)
    for _ in range(3):  # mail scanners, previews, a second click
        reply = client.get(f"{petition_url}/confirm/{token}")
        assert reply.status_code == 200
        assert "Confirm my signature" in reply.get_data(as_text=True)
        assert reply.headers["Referrer-Policy"] == "no-referrer"
    session.expire_all()
    assert session.scalar(select(Signature.confirmed_at)) is None


def test_pressing_the_button_confirms_and_thanks_with_the_total(client, petition_url, outbox, session):
    client.post(petition_url, data=FORM)
    [token] = tokens_sent(outbox)
    reply = client.post(f"{petition_url}/confirm/{token}")
    assert reply.status_code == 303
    thanks = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Signature confirmed" in thanks
    assert '<p class="petition-total__number" id="petition-total">1</p>' in thanks
    session.expire_all()
    assert session.scalar(select(Signature.confirmed_at)) is not None
    again = client.get(f"{petition_url}/confirm/{token}").get_data(as_text=True)
    assert "Already confirmed" in again


def test_a_link_past_its_24_hours_gets_a_clear_page_and_no_count(client, petition_url, outbox, session, freeze):
    client.post(petition_url, data=FORM)
    [token] = tokens_sent(outbox)
    freeze(SEPTEMBER + timedelta(hours=25))
    for method in (client.get, client.post):
        reply = method(f"{petition_url}/confirm/{token}")
        assert reply.status_code == 410
        assert "This link has expired" in reply.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Signature.confirmed_at)) is None


def test_a_made_up_link_is_a_404_page(client, petition_url):
    reply = client.get(f"{petition_url}/confirm/made-up-token")
    assert reply.status_code == 404
    assert "This link is not valid" in reply.get_data(as_text=True)


def test_a_closed_petition_shows_no_form(client, petition_url, freeze, page):
    freeze(PETITION_CLOSES)
    shown = page(client.get(petition_url).get_data(as_text=True))
    assert "This petition is closed" in shown.text
    assert not shown.find_all("input", name="signer-name")
    refused = client.post(petition_url, data=FORM)
    assert refused.status_code == 409
    assert "closed at 17:00 on Sunday 1 October 2017" in refused.get_data(as_text=True)


def test_an_unknown_petition_is_an_html_404(client, police):
    reply = client.get("/petitions/999")
    assert reply.status_code == 404
    assert reply.content_type.startswith("text/html")


def test_the_index_lists_petitions_with_their_totals(client, petition):
    html = client.get("/petitions/").get_data(as_text=True)
    assert "Keep Dagenham open" in html and "0 signatures" in html


def test_signing_without_the_csrf_token_is_refused(file_app):
    from consultation.extensions import db
    from consultation.petitions.demo import seed_demo_petition

    app = file_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        petition_id = seed_demo_petition(db.session, "public-access-demo").id
    client = app.test_client()
    reply = client.post(f"/petitions/{petition_id}", data=FORM)
    assert reply.status_code == 400
    assert "did not come from this site" in reply.get_data(as_text=True)


def test_a_station_page_lists_the_petitions_about_it_with_their_totals(client, petition, sign, page):
    sign.signed_and_confirmed(petition)
    shown = page(client.get("/consult/police-2017/stations/dagenham").get_data(as_text=True))
    assert "Petitions about this site" in shown.text  # the consultation sets no words of its own
    assert shown.find_all("a", href=f"/petitions/{petition}")
    assert "Keep Dagenham open" in shown.text
    assert "1 signature, open until 17:00 on Sunday 1 October 2017" in shown.text
    other = page(client.get("/consult/police-2017/stations/barking").get_data(as_text=True))
    assert "Petitions about this site" not in other.text
