"""The public verification page: a filed PDF (uploaded or by its SHA-256) is "filed", with the organisation, the
London time and the consultation, and never a person; anything else is "not filed" or a clear error."""

import hashlib
import io

import pytest
from pypdf import PdfWriter

from consultation.clock import describe_london, london_wall_time
from consultation.submissions import verification
from tests.submissions.conftest import make_consultation, submission_body

URL = "/verify"


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def filed(app, client, auth, freeze):
    """A submission filed at a known moment; its PDF, as the organiser downloads it."""
    make_consultation("front-counters", london_wall_time(2030, 10, 4, 17, 30))
    filed_at = london_wall_time(2030, 10, 1, 11, 5)
    freeze(filed_at)
    submission_id = client.post("/api/v1/submissions", json=submission_body(), headers=auth("organiser")).json["id"]
    job = client.post(f"/api/v1/submissions/{submission_id}/file", headers=auth("organiser"))
    assert job.status_code == 202  # a filing job, run inline by the test configuration
    submission = client.get(f"/api/v1/submissions/{submission_id}", headers=auth("organiser")).json
    pdf = client.get(f"/api/v1/submissions/{submission_id}/pdf", headers=auth("organiser")).data
    return {"pdf": pdf, "filed_at": filed_at, "reference": submission["filing"]["reference"]}


def upload(client, content: bytes, **form):
    data = {"document": (io.BytesIO(content), "submission.pdf"), **form}
    return client.post(URL, data=data, content_type="multipart/form-data")


def test_the_page_shows_the_form_with_its_csrf_token_and_no_sign_in(client, page):
    response = client.get(URL)
    document = page(response.get_data(as_text=True))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert document.find_all("input", type="file", name="document")
    assert document.find_all("input", type="hidden", name="csrf_token")
    assert document.find_all("form", method="post", enctype="multipart/form-data")


def test_a_head_request_never_runs_the_check(client, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("HEAD ran the POST code")

    monkeypatch.setattr(verification, "verify_document", must_not_run)
    assert client.head(URL).status_code == 200


def test_the_filed_pdf_is_filed_by_the_organisation_at_the_london_time(client, filed, page):
    response = upload(client, filed["pdf"])
    text = page(response.get_data(as_text=True)).text
    assert response.status_code == 200
    assert "Filed" in text and "Not filed" not in text
    assert "Dagenham residents' association" in text
    assert f"{describe_london(filed['filed_at'])} (London time)" in text
    assert "Front counters" in text and filed["reference"] in text
    assert "A. Organiser" not in text  # the signatory is a person: never shown


def test_the_pasted_sha256_of_the_filed_pdf_is_filed_in_either_case(client, filed, page):
    digest = hashlib.sha256(filed["pdf"]).hexdigest()
    for pasted in (digest, f"  {digest.upper()} "):
        text = page(client.post(URL, data={"sha256": pasted}).get_data(as_text=True)).text
        assert "Dagenham residents' association" in text and "Not filed" not in text


def test_any_other_pdf_is_not_filed(client, filed, page):
    response = upload(client, blank_pdf())
    text = page(response.get_data(as_text=True)).text
    assert response.status_code == 200 and "Not filed" in text
    assert "Dagenham residents' association" not in text
    assert hashlib.sha256(blank_pdf()).hexdigest() in text


def test_a_changed_byte_is_not_filed(client, filed, page):
    changed = filed["pdf"][:-2] + b"\n\n"
    assert changed != filed["pdf"]
    assert "Not filed" in page(upload(client, changed).get_data(as_text=True)).text


@pytest.mark.parametrize(
    "form, message",
    [
        ({}, "Choose a PDF file, or paste its SHA-256."),
        ({"sha256": "abc"}, "64 hexadecimal characters"),
        ({"sha256": "z" * 64}, "64 hexadecimal characters"),
    ],
)
def test_a_missing_or_malformed_hash_is_a_clear_error(client, page, form, message):
    response = client.post(URL, data=form)
    document = page(response.get_data(as_text=True))
    assert response.status_code == 422 and message in document.text
    assert document.find_all("div", class_="error-summary", role="alert", tabindex="-1", autofocus="")


def test_a_file_that_is_not_a_pdf_or_is_given_with_a_hash_is_a_clear_error(client, page):
    not_pdf = upload(client, b"GIF89a not a pdf")
    assert not_pdf.status_code == 422 and "The file is not a PDF" in not_pdf.get_data(as_text=True)
    both = upload(client, blank_pdf(), sha256="a" * 64)
    assert both.status_code == 422 and "not both" in both.get_data(as_text=True)


def test_the_upload_is_bounded(client, monkeypatch, page):
    monkeypatch.setattr(verification, "VERIFY_MAX_BYTES", 1000)
    monkeypatch.setattr("consultation.web.verify_page.FORM_OVERHEAD_BYTES", 10_000)
    within_form_overhead = upload(client, b"%PDF-" + b"x" * 3000)  # the request fits, the hashing stops it
    assert within_form_overhead.status_code == 413
    assert "at most" in page(within_form_overhead.get_data(as_text=True)).text
    assert upload(client, b"%PDF-" + b"x" * 20_000).status_code == 413  # refused before the file is read


def test_a_post_without_the_csrf_token_is_refused(file_app, page):
    client = file_app(WTF_CSRF_ENABLED=True).test_client()
    refused = client.post(URL, data={"sha256": "a" * 64})
    assert refused.status_code == 400 and refused.content_type.startswith("text/html")
    token = page(client.get(URL).get_data(as_text=True)).find_all("input", name="csrf_token")[0]["value"]
    accepted = client.post(URL, data={"sha256": "a" * 64, "csrf_token": token})
    assert accepted.status_code == 200 and "Not filed" in accepted.get_data(as_text=True)


def test_checking_shares_the_api_verification_budget_but_reading_is_not_limited(file_app):
    client = file_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_WRITE="2 per minute").test_client()
    assert client.post(URL, data={"sha256": "a" * 64}).status_code == 200
    assert client.get(f"/api/v1/submissions/verify?sha256={'a' * 64}").status_code == 200
    limited = client.post(URL, data={"sha256": "a" * 64})
    assert limited.status_code == 429 and limited.content_type.startswith("text/html")
    assert "Too many checks" in limited.get_data(as_text=True)
    assert client.get(URL).status_code == 200


def test_an_unknown_address_under_verify_is_an_html_page(client):
    response = client.get("/verify/nothing/here")
    assert response.status_code == 404 and response.content_type.startswith("text/html")
