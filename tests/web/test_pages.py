"""The resident pages through Flask's test client: listing, station page, validation, receipt, deadline."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consultation.catalog.demo import DEMO_SLUG, HISTORICAL_SLUG
from consultation.intake.models import Respondent, Response

STATION_URL = f"/consult/{HISTORICAL_SLUG}/stations/dagenham"
BEFORE_THE_2017_DEADLINE = datetime(2017, 9, 1, 12, 0, tzinfo=UTC)
THE_2017_DEADLINE = datetime(2017, 10, 6, 16, 30, tzinfo=UTC)  # 17:30 British Summer Time

VALID_FORM = {
    "answer-connection": "live_nearby",
    "answer-agreement": "strongly_disagree",
    "answer-reporting": ["front_counter", "phone"],
    "answer-impact": "My mother reports things at the counter; she does not use the internet.",
    "answer-postcode_district": "RM10",
    "answer-age_band": "55_74",
}


def response_count(session) -> int:
    return session.scalar(select(func.count(Response.id)))


def test_consultation_page_lists_stations_grouped_by_borough(client, demo, page):
    response = client.get(f"/consult/{DEMO_SLUG}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sections = re.findall(r'<section class="borough".*?</section>', html, flags=re.S)
    boroughs = [re.search(r"<h3[^>]*>(.*?)</h3>", section).group(1) for section in sections]
    assert len(boroughs) == 32
    assert boroughs == sorted(boroughs)
    barking_and_dagenham = sections[boroughs.index("Barking and Dagenham")]
    assert f'href="/consult/{DEMO_SLUG}/stations/dagenham"' in barking_and_dagenham
    assert "Dagenham, Rainham Road South" in barking_and_dagenham
    assert "Close the front counter" in barking_and_dagenham
    assert "Keep as the borough&#39;s 24-hour front counter" in barking_and_dagenham
    assert "Ilford" not in barking_and_dagenham
    assert "Ilford" in sections[boroughs.index("Redbridge")]


def test_consultation_page_states_the_deadline_in_london_time(client, demo):
    html = client.get(f"/consult/{HISTORICAL_SLUG}").get_data(as_text=True)
    assert "This consultation closed at 17:30 on Friday 6 October 2017 (London time)." in html


def test_consultations_index_links_each_consultation(client, demo):
    html = client.get("/consult/").get_data(as_text=True)
    assert f'href="/consult/{DEMO_SLUG}"' in html
    assert f'href="/consult/{HISTORICAL_SLUG}"' in html


def test_the_sites_root_leads_residents_to_the_consultations(client, demo):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/consult/"
    assert client.get("/", follow_redirects=True).status_code == 200
    assert client.post("/").status_code == 405  # a page to read, nothing to send


def test_station_page_shows_proposal_figures_and_london_deadline(client, demo, freeze, page):
    freeze(BEFORE_THE_2017_DEADLINE)
    response = client.get(STATION_URL)
    assert response.status_code == 200
    document = page(response.get_data(as_text=True))
    text = document.text
    assert "Dagenham, Rainham Road South" in text
    assert "Close the front counter" in text
    assert "the borough's counter would be at Barking Learning Centre" in text
    assert "Crimes reported at this station per day 4.1" in text
    assert "Visitors to this station per day not published" in text
    assert "This consultation closes at 17:30 on Friday 6 October 2017 (London time)." in text
    assert document.find_all("form", method="post")
    assert document.find_all("input", type="hidden", name="csrf_token")


def test_station_page_figures_drop_needless_decimals(client, demo):
    html = client.get(f"/consult/{DEMO_SLUG}/stations/barkingside").get_data(as_text=True)
    assert re.search(r"Visitors to this station per day</dt>\s*<dd[^>]*>13</dd>", html)


def test_station_page_form_is_built_for_assistive_technology(client, demo, page):
    document = page(client.get(f"/consult/{DEMO_SLUG}/stations/dagenham").get_data(as_text=True))
    assert document.find_all("html", lang="en")
    assert document.find_all("a", href="#main-content")
    assert document.by_id("main-content")[0] == "main"
    labelled = {label["for"] for label in document.find_all("label")}
    fields = [
        attrs for tag, attrs in document.elements if tag in ("input", "textarea") and attrs.get("type") != "hidden"
    ]
    assert fields
    for attrs in fields:
        assert attrs["id"] in labelled, f"no label for {attrs['id']}"
    legends = re.findall(r"<legend[^>]*>\s*(.*?)\s*</legend>", document.html, flags=re.S)
    assert "What is your connection to this station?" in legends
    assert "How do you usually report a crime or contact the police? (optional)" in legends
    assert "About you (optional)" in legends
    # Radio and checkbox groups sit in fieldsets; hints are announced with the group.
    reporting_group = re.search(r'<fieldset class="fieldset"([^>]*)>\s*<legend[^>]*>How do you usually', document.html)
    assert 'aria-describedby="answer-reporting-hint"' in reporting_group.group(1)
    assert document.by_id("answer-reporting-hint")
    assert "kept apart from your answers" in document.text and "never published" in document.text
    assert document.by_id("respondent-email")[1]["type"] == "email"
    assert document.by_id("respondent-email")[1]["autocomplete"] == "email"


def test_missing_required_answers_show_an_error_summary_linking_to_the_fields(client, demo, page, session):
    response = client.post(
        f"/consult/{DEMO_SLUG}/stations/dagenham",
        data={"answer-impact": "Keep it open.", "answer-reporting": ["online"], "respondent-name": "Ada"},
    )
    assert response.status_code == 422
    document = page(response.get_data(as_text=True))
    summary = re.search(r'<div class="error-summary"[^>]*role="alert".*?</div>', document.html, flags=re.S)
    assert summary and "There is a problem" in summary.group(0)
    links = re.findall(r'<a href="(#[^"]+)">', summary.group(0))
    assert links == ["#answer-connection", "#answer-agreement"]
    assert "Select an answer to: How far do you agree with the proposal for this station?" in summary.group(0)
    assert page(document.html).by_id("answer-agreement-error")
    assert re.search(r'id="answer-agreement-error">.*?Select an answer\.</p>', document.html, flags=re.S)
    for link in links:
        tag, attrs = document.by_id(link[1:])
        assert tag == "input" and attrs["type"] == "radio"
        assert document.by_id(link[1:] + "-error")
    assert re.search(r'<fieldset class="fieldset"[^>]*aria-describedby="answer-connection-error"', document.html)
    assert document.html.count('class="form-group form-group--error"') == 2
    assert "<title>Error: " in document.html
    # What the resident entered is still there.
    assert ">Keep it open.</textarea>" in document.html
    assert re.search(r'id="answer-reporting-3"[^>]*value="online"[^>]* checked', document.html)
    assert document.by_id("respondent-name")[1]["value"] == "Ada"
    assert response_count(session) == 0


def test_an_option_the_question_does_not_offer_is_shown_against_its_field(client, demo, page):
    form = dict(VALID_FORM, **{"answer-agreement": "maybe"})
    response = client.post(f"/consult/{DEMO_SLUG}/stations/dagenham", data=form)
    assert response.status_code == 422
    document = page(response.get_data(as_text=True))
    assert '<a href="#answer-agreement">' in document.html
    assert document.by_id("answer-agreement-error")


def test_a_bad_email_address_is_shown_against_its_field(client, demo, page, session):
    form = dict(VALID_FORM, **{"respondent-email": "not an address"})
    response = client.post(f"/consult/{DEMO_SLUG}/stations/dagenham", data=form)
    assert response.status_code == 422
    document = page(response.get_data(as_text=True))
    assert '<a href="#respondent-email">Email address: ' in document.html
    assert document.by_id("respondent-email")[1]["aria-describedby"] == "respondent-email-error"
    assert document.by_id("respondent-email")[1]["value"] == "not an address"
    assert response_count(session) == 0


def test_user_text_is_escaped_when_the_form_is_shown_again(client, demo):
    html = client.post(
        f"/consult/{DEMO_SLUG}/stations/dagenham", data={"answer-impact": "<script>alert(1)</script>"}
    ).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_valid_response_redirects_to_a_receipt_with_its_reference(client, demo, session, freeze):
    freeze(BEFORE_THE_2017_DEADLINE)
    form = dict(
        VALID_FORM,
        **{
            "respondent-name": "Ada Lovelace",
            "respondent-email": "ada@example.org",
            "respondent-respondent-type": "resident",
            "consent-to-publish": "yes",
        },
    )
    response = client.post(STATION_URL, data=form)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{STATION_URL}/response-received"
    assert "ada" not in response.headers["Location"].lower()

    receipt = client.get(response.headers["Location"])
    assert receipt.status_code == 200
    assert receipt.headers["Cache-Control"] == "no-store"
    html = receipt.get_data(as_text=True)
    reference = re.search(r'<strong id="reference" class="reference">([^<]+)</strong>', html).group(1)
    stored = session.scalar(select(Response).where(Response.reference == reference))
    assert stored is not None
    assert stored.station.slug == "dagenham"
    assert stored.channel == "online"
    assert stored.received_at == BEFORE_THE_2017_DEADLINE
    assert stored.consent_to_publish is True
    assert stored.respondent_type == "resident"
    assert stored.respondent.name == "Ada Lovelace"
    assert "13:00 on Friday 1 September 2017 (London time)" in html
    assert "Ada Lovelace" not in html and "ada@example.org" not in html


def test_the_receipt_page_shows_nothing_to_a_browser_that_did_not_respond(client, demo):
    response = client.get(f"/consult/{DEMO_SLUG}/stations/dagenham/response-received")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/consult/{DEMO_SLUG}/stations/dagenham"


def test_the_receipt_is_only_shown_for_the_station_responded_about(client, demo):
    assert client.post(f"/consult/{DEMO_SLUG}/stations/dagenham", data=VALID_FORM).status_code == 303
    other = client.get(f"/consult/{DEMO_SLUG}/stations/barking/response-received")
    assert other.status_code == 302


def test_personal_details_are_optional(client, demo, session):
    assert client.post(f"/consult/{DEMO_SLUG}/stations/dagenham", data=VALID_FORM).status_code == 303
    assert session.scalar(select(func.count(Respondent.id))) == 0
    assert response_count(session) == 1


def test_closed_consultation_shows_the_deadline_and_no_form(client, demo, page):
    response = client.get(STATION_URL)
    assert response.status_code == 200
    document = page(response.get_data(as_text=True))
    assert "This consultation has closed" in document.text
    assert "This consultation closed at 17:30 on Friday 6 October 2017 (London time)." in document.text
    assert not document.find_all("form")
    assert not document.find_all("input")
    assert "Crimes reported at this station per day 4.1" in document.text


def test_a_response_sent_at_1730_london_time_on_the_closing_day_is_refused(client, demo, session, freeze, page):
    freeze(THE_2017_DEADLINE)
    response = client.post(STATION_URL, data=VALID_FORM)
    assert response.status_code in (409, 422)
    document = page(response.get_data(as_text=True))
    assert "This consultation has closed" in document.text
    assert "17:30 on Friday 6 October 2017" in document.text
    assert not document.find_all("form")
    assert response_count(session) == 0


def test_a_response_sent_a_moment_before_the_deadline_is_accepted(client, demo, session, freeze):
    freeze(THE_2017_DEADLINE - timedelta(milliseconds=1))
    assert client.post(STATION_URL, data=VALID_FORM).status_code == 303
    assert response_count(session) == 1


def test_before_opening_the_page_says_when_it_opens_and_offers_no_form(client, demo, freeze, page):
    freeze(datetime(2017, 7, 1, 12, 0, tzinfo=UTC))
    document = page(client.get(STATION_URL).get_data(as_text=True))
    assert "This consultation has not opened yet" in document.text
    assert "opens at 09:00 on Monday 24 July 2017 (London time)" in document.text
    assert not document.find_all("form")
    refused = client.post(STATION_URL, data=VALID_FORM)
    assert refused.status_code in (409, 422)
    assert "This consultation has not opened yet" in refused.get_data(as_text=True)


def test_unknown_consultation_or_station_is_an_html_404(client, demo):
    for url in ("/consult/no-such-consultation", f"/consult/{DEMO_SLUG}/stations/no-such-station"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.content_type.startswith("text/html")
        assert "Page not found" in response.get_data(as_text=True)
    assert client.post("/consult/no-such-consultation/stations/x", data=VALID_FORM).status_code == 404


def test_the_json_api_keeps_its_json_errors(client, demo):
    response = client.get("/api/v1/consultations/no-such-consultation")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_the_stylesheet_is_served(client):
    response = client.get("/consult/assets/web.css")
    assert response.status_code == 200
    assert response.content_type.startswith("text/css")


def test_a_post_without_the_csrf_token_is_refused(file_app, page):
    app = file_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    url = f"/consult/{DEMO_SLUG}/stations/dagenham"

    refused = client.post(url, data=VALID_FORM)
    assert refused.status_code == 400
    assert "answers were not sent" in refused.get_data(as_text=True)

    token = page(client.get(url).get_data(as_text=True)).find_all("input", name="csrf_token")[0]["value"]
    accepted = client.post(url, data=dict(VALID_FORM, csrf_token=token))
    assert accepted.status_code == 303


def test_the_form_is_rate_limited_but_reading_is_not(file_app):
    app = file_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_WRITE="2 per minute")
    client = app.test_client()
    url = f"/consult/{DEMO_SLUG}/stations/dagenham"
    assert [client.post(url, data={}).status_code for _ in range(2)] == [422, 422]
    limited = client.post(url, data=VALID_FORM)
    assert limited.status_code == 429
    assert limited.content_type.startswith("text/html")
    assert "too many responses" in limited.get_data(as_text=True)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/consult/no/such/page", f"/consult/{DEMO_SLUG}/stations/x/y/z", "/consult/assets/nothing.css"]
)
def test_an_unknown_address_under_consult_is_an_html_404_page(client, demo, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Page not found" in response.get_data(as_text=True)


def test_a_method_no_page_takes_under_consult_is_an_html_405_page(client, demo):
    response = client.delete(f"/consult/{DEMO_SLUG}")
    assert response.status_code == 405
    assert response.content_type.startswith("text/html")
    assert "GET" in response.headers["Allow"]
