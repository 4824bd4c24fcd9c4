"""Changing and withdrawing a response through the resident pages: the edit code on the receipt, the reference
and edit code check, the pre-filled questionnaire, amending, withdrawing, the deadline, CSRF and rate limits."""

import re
from datetime import timedelta

from sqlalchemy import select

from consultation.catalog.demo import DEMO_SLUG, HISTORICAL_SLUG
from consultation.intake.models import Response
from consultation.intake.service import hash_edit_token
from consultation.web.helpers import CHANGE_KEY, RECEIPT_KEY
from tests.web.test_pages import BEFORE_THE_2017_DEADLINE, STATION_URL, THE_2017_DEADLINE, VALID_FORM

CHANGE_URL = f"/consult/{HISTORICAL_SLUG}/change"
EDIT_URL = f"{CHANGE_URL}/response"
WITHDRAW_URL = f"{CHANGE_URL}/withdraw"
DONE_URL = f"{CHANGE_URL}/done"
CHANGED_FORM = dict(
    VALID_FORM,
    **{"answer-agreement": "agree", "answer-reporting": ["online"], "answer-impact": "I report things online now."},
)


def respond(client) -> tuple[str, str]:
    """Send VALID_FORM about Dagenham and read the reference and edit code off the receipt."""
    sent = client.post(STATION_URL, data=VALID_FORM)
    assert sent.status_code == 303
    html = client.get(sent.headers["Location"]).get_data(as_text=True)
    reference = re.search(r'<strong id="reference" class="reference">([^<]+)</strong>', html).group(1)
    edit_code = re.search(r'<strong id="edit-code" class="edit-code">([^<]+)</strong>', html).group(1)
    return reference, edit_code


def stored(session, reference: str) -> Response:
    session.expire_all()
    return session.scalar(select(Response).where(Response.reference == reference))


def stored_answers(response: Response) -> dict:
    return {
        answer.question.code: answer.text if answer.text is not None else answer.value for answer in response.answers
    }


def error_summary(html: str) -> str:
    return re.search(r'<div class="error-summary".*?</div>', html, flags=re.S).group(0)


def unlock(client, reference: str, edit_code: str):
    return client.post(CHANGE_URL, data={"reference": reference, "edit-code": edit_code})


def test_the_receipt_shows_the_edit_code_once(client, demo, session, freeze, page):
    freeze(BEFORE_THE_2017_DEADLINE)
    sent = client.post(STATION_URL, data=VALID_FORM)
    first = client.get(sent.headers["Location"])
    assert first.headers["Cache-Control"] == "no-store"
    html = first.get_data(as_text=True)
    document = page(html)
    reference = re.search(r'<strong id="reference" class="reference">([^<]+)</strong>', html).group(1)
    edit_code = re.search(r'<strong id="edit-code" class="edit-code">([^<]+)</strong>', html).group(1)
    assert stored(session, reference).edit_token_hash == hash_edit_token(edit_code)
    assert "Your secret edit code" in document.text
    assert (
        "With your reference number it lets you change or withdraw your response until "
        "17:30 on Friday 6 October 2017 (London time)" in document.text
    )
    assert document.find_all("a", href=CHANGE_URL)
    assert edit_code not in sent.headers["Location"]
    assert all(edit_code not in attrs.get("href", "") for _, attrs in document.elements)
    with client.session_transaction() as cookie:
        assert "edit_token" not in cookie[RECEIPT_KEY]

    again = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert reference in again
    assert edit_code not in again
    assert page(again).by_id("edit-code") is None
    assert "is not shown again" in page(again).text


def test_the_change_page_asks_for_the_reference_and_the_edit_code(client, demo, freeze, page):
    freeze(BEFORE_THE_2017_DEADLINE)
    response = client.get(CHANGE_URL)
    assert response.status_code == 200
    document = page(response.get_data(as_text=True))
    assert document.find_all("form", method="post", action=CHANGE_URL)
    assert document.find_all("input", type="hidden", name="csrf_token")
    labelled = {label["for"] for label in document.find_all("label")}
    assert {"reference", "edit-code"} <= labelled
    assert document.by_id("reference-hint") and document.by_id("edit-code-hint")
    assert "until 17:30 on Friday 6 October 2017 (London time)" in document.text

    empty = client.post(CHANGE_URL, data={"reference": " ", "edit-code": ""})
    assert empty.status_code == 422
    summary = error_summary(empty.get_data(as_text=True))
    assert re.findall(r'<a href="(#[^"]+)">', summary) == ["#reference", "#edit-code"]
    assert "Enter your reference number" in summary and "Enter your edit code" in summary


def test_a_wrong_pair_is_refused_without_saying_which_half_is_wrong(client, demo, session, freeze, page):
    freeze(BEFORE_THE_2017_DEADLINE)
    reference, edit_code = respond(client)
    wrong_code = unlock(client, reference, edit_code[::-1])
    unknown_reference = unlock(client, "2222-2222-22", edit_code)
    for refused in (wrong_code, unknown_reference):
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert "The reference or edit code is not right" in error_summary(html)
        assert "edit token" not in html and "No response" not in html
        assert edit_code not in html  # the code typed is never shown back
        assert "Location" not in refused.headers
    assert error_summary(wrong_code.get_data(as_text=True)) == error_summary(unknown_reference.get_data(as_text=True))
    with client.session_transaction() as cookie:
        assert CHANGE_KEY not in cookie
    assert client.get(EDIT_URL).headers["Location"] == CHANGE_URL


def test_an_unknown_consultation_is_an_html_404(client, demo):
    for response in (
        client.get("/consult/no-such-consultation/change"),
        client.post("/consult/no-such-consultation/change", data={"reference": "x", "edit-code": "y"}),
    ):
        assert response.status_code == 404
        assert response.content_type.startswith("text/html")
        assert "Page not found" in response.get_data(as_text=True)


def test_a_resident_changes_their_answers(client, demo, session, freeze, page):
    freeze(BEFORE_THE_2017_DEADLINE)
    reference, edit_code = respond(client)
    unlocked = unlock(client, reference.lower().replace("-", " "), edit_code)  # typed as a person might
    assert unlocked.status_code == 303
    assert unlocked.headers["Location"] == EDIT_URL

    form_page = client.get(EDIT_URL)
    assert form_page.headers["Cache-Control"] == "no-store"
    html = form_page.get_data(as_text=True)
    document = page(html)
    assert edit_code not in html
    assert reference in document.text
    assert "Dagenham, Rainham Road South" in document.text
    assert document.by_id("answer-connection")[1].get("checked") == ""
    assert document.find_all("input", name="answer-agreement", value="strongly_disagree")[0].get("checked") == ""
    checked = [attrs["value"] for attrs in document.find_all("input", name="answer-reporting") if "checked" in attrs]
    assert checked == ["front_counter", "phone"]
    assert f">{VALID_FORM['answer-impact']}</textarea>" in html
    assert document.by_id("answer-postcode_district")[1]["value"] == "RM10"
    assert document.find_all("form", method="post", action=EDIT_URL)
    assert document.find_all("form", method="post", action=WITHDRAW_URL)
    assert len(document.find_all("input", type="hidden", name="csrf_token")) == 2
    assert not [attrs for attrs in document.find_all("input", type="hidden") if attrs.get("name") != "csrf_token"]

    saved = client.post(EDIT_URL, data=CHANGED_FORM)
    assert saved.status_code == 303
    assert saved.headers["Location"] == DONE_URL
    done = page(client.get(DONE_URL).get_data(as_text=True))
    assert "Response changed" in done.text and reference in done.text

    response = stored(session, reference)
    assert response.version == 2
    assert response.status == "active"
    answers = stored_answers(response)
    assert answers["agreement"] == "agree"
    assert answers["reporting"] == ["online"]
    assert answers["impact"] == "I report things online now."
    with client.session_transaction() as cookie:
        assert CHANGE_KEY not in cookie
    assert client.get(EDIT_URL).headers["Location"] == CHANGE_URL


def test_a_changed_form_with_a_missing_answer_is_shown_again_with_errors(client, demo, session, freeze, page):
    freeze(BEFORE_THE_2017_DEADLINE)
    reference, edit_code = respond(client)
    unlock(client, reference, edit_code)
    form = {key: value for key, value in CHANGED_FORM.items() if key != "answer-agreement"}
    refused = client.post(EDIT_URL, data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert '<a href="#answer-agreement">' in error_summary(html)
    assert ">I report things online now.</textarea>" in html
    assert stored(session, reference).version == 1


def test_a_resident_withdraws_their_response(client, demo, session, freeze, page):
    freeze(BEFORE_THE_2017_DEADLINE)
    reference, edit_code = respond(client)
    unlock(client, reference, edit_code)

    unconfirmed = client.post(WITHDRAW_URL, data={})
    assert unconfirmed.status_code == 422
    html = unconfirmed.get_data(as_text=True)
    assert '<a href="#confirm-withdraw">' in error_summary(html)
    assert page(html).by_id("confirm-withdraw-error")
    assert stored(session, reference).status == "active"

    withdrawn = client.post(WITHDRAW_URL, data={"confirm-withdraw": "yes"})
    assert withdrawn.status_code == 303
    assert withdrawn.headers["Location"] == DONE_URL
    done = page(client.get(DONE_URL).get_data(as_text=True))
    assert "Response withdrawn" in done.text and reference in done.text
    response = stored(session, reference)
    assert response.status == "withdrawn"
    assert response.version == 2

    again = unlock(client, reference, edit_code)
    assert again.status_code == 409
    assert "has been withdrawn" in again.get_data(as_text=True)


def test_after_the_deadline_the_change_page_offers_no_form_and_refuses_changes(client, demo, session, freeze, page):
    freeze(BEFORE_THE_2017_DEADLINE)
    reference, edit_code = respond(client)
    freeze(THE_2017_DEADLINE - timedelta(minutes=5))
    assert unlock(client, reference, edit_code).status_code == 303  # this browser got in before the deadline

    freeze(THE_2017_DEADLINE)
    closed = page(client.get(CHANGE_URL).get_data(as_text=True))
    assert "This consultation has closed" in closed.text
    assert "closed at 17:30 on Friday 6 October 2017 (London time)" in closed.text
    assert not closed.find_all("form") and not closed.find_all("input")

    for url, form in (
        (CHANGE_URL, {"reference": reference, "edit-code": edit_code}),
        (EDIT_URL, CHANGED_FORM),
        (WITHDRAW_URL, {"confirm-withdraw": "yes"}),
    ):
        refused = client.post(url, data=form)
        assert refused.status_code == 409, url
        document = page(refused.get_data(as_text=True))
        assert "This consultation has closed" in document.text
        assert "17:30 on Friday 6 October 2017 (London time)" in document.text
        assert not document.find_all("form")
    response = stored(session, reference)
    assert (response.version, response.status) == (1, "active")
    assert stored_answers(response)["agreement"] == "strongly_disagree"


def test_change_posts_without_the_csrf_token_are_refused(file_app, page):
    app = file_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    url = f"/consult/{DEMO_SLUG}/change"
    for target in (url, f"{url}/response", f"{url}/withdraw"):
        refused = client.post(target, data={"reference": "2222-2222-22", "edit-code": "x", "confirm-withdraw": "yes"})
        assert refused.status_code == 400, target
        assert "did not come from this site" in refused.get_data(as_text=True)

    token = page(client.get(url).get_data(as_text=True)).find_all("input", name="csrf_token")[0]["value"]
    checked = client.post(url, data={"reference": "2222-2222-22", "edit-code": "x", "csrf_token": token})
    assert checked.status_code == 422
    assert "The reference or edit code is not right" in checked.get_data(as_text=True)


def test_the_change_pages_are_rate_limited_but_reading_is_not(file_app):
    app = file_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_WRITE="2 per minute")
    client = app.test_client()
    url = f"/consult/{DEMO_SLUG}/change"
    assert [client.post(url, data={}).status_code for _ in range(2)] == [422, 422]
    limited = client.post(f"{url}/withdraw", data={"confirm-withdraw": "yes"})  # one budget for the change pages
    assert limited.status_code == 429
    assert limited.content_type.startswith("text/html")
    assert client.get(url).status_code == 200
