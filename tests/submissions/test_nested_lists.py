"""Section bodies with deeply nested lists: refused past the depth limit when saved, never cut short in the PDF."""

import io

from pypdf import PdfReader

from consultation.accounts.tokens import user_for_token
from consultation.clock import now
from consultation.extensions import db
from consultation.submissions import service
from consultation.submissions.markup import MAX_LIST_DEPTH, list_depth, render_body
from consultation.submissions.rendering import render_submission
from tests.submissions.conftest import assert_error, submission_body


def nested_list(levels: int) -> str:
    return "\n".join("  " * index + f"- level{index + 1}word" for index in range(levels))


def test_a_body_nesting_lists_past_the_limit_is_refused_naming_the_section(client, auth, consultation):
    sections = [{"heading": "Fine", "body": "Plain."}, {"heading": "Deep", "body": nested_list(14)}]
    response = client.post("/api/v1/submissions", json=submission_body(sections=sections), headers=auth("organiser"))
    body = assert_error(response, 422, "validation_error")
    assert list(body["errors"]) == ["sections.1.body"]
    assert f"at most {MAX_LIST_DEPTH} levels" in body["errors"]["sections.1.body"][0]


def test_a_body_at_the_limit_keeps_every_level(client, auth, consultation):
    text = nested_list(MAX_LIST_DEPTH)
    assert list_depth(text) == MAX_LIST_DEPTH
    response = client.post(
        "/api/v1/submissions",
        json=submission_body(sections=[{"heading": "Deep", "body": text}]),
        headers=auth("organiser"),
    )
    assert response.status_code == 201, response.get_json()
    html = render_body(text)
    assert html.count("<ul>") == MAX_LIST_DEPTH
    assert all(f"level{level}word" in html for level in range(1, MAX_LIST_DEPTH + 1))


def test_a_deeper_body_stored_before_the_limit_prints_every_level_flattened(app, consultation, tokens):
    organiser = user_for_token(db.session, tokens["organiser"])
    submission = service.create_submission(db.session, organiser, submission_body())
    # As a draft saved before the depth rule would be: written straight to the row, past the service's check.
    submission.sections = [{"heading": "Deep", "body": nested_list(14)}]
    db.session.commit()
    html = render_body(nested_list(14))
    assert "<ul>" not in html and html.count("<br>") == 13
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(render_submission(db.session, submission, rendered_at=now()).pdf)).pages
    )
    missing = [level for level in range(1, 15) if f"level{level}word" not in text]
    assert missing == []
