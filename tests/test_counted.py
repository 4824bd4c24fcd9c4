"""Counts in words: "1 response", never "1 responses", in the core helper, the templates, the PDF and the CLI."""

from consultation.accounts.tokens import user_for_token
from consultation.catalog.demo import HISTORICAL_SLUG
from consultation.clock import now
from consultation.common import counted
from consultation.extensions import db
from consultation.submissions import service
from consultation.submissions.rendering import submission_html
from tests.reporting.reporting_factories import Factory
from tests.submissions.conftest import submission_body


def test_counted_picks_the_noun_by_the_number():
    assert counted(1, "response") == "1 response"
    assert counted(0, "response") == "0 responses"
    assert counted(2000, "response") == "2,000 responses"
    assert counted(1, "person", "people") == "1 person"
    assert counted(3, "person", "people") == "3 people"


def test_every_template_has_the_counted_filter(app):
    template = app.jinja_env.from_string('{{ 1 | counted("signature") }}; {{ 12 | counted("signature") }}')
    assert template.render() == "1 signature; 12 signatures"


def test_the_pdf_says_one_response_in_the_singular(demo, tokens):
    factory = Factory(db.session, HISTORICAL_SLUG)
    factory.codebook("travel_distance")
    factory.response("dagenham", themes={"travel_distance": 0.9})
    organiser = user_for_token(db.session, tokens["organiser"])
    body = submission_body(HISTORICAL_SLUG, sections=[], petitions=[])
    submission = service.create_submission(db.session, organiser, body)
    html, _, _ = submission_html(db.session, submission, rendered_at=now())
    words = " ".join(html.split())
    assert "1 response was received about" in words
    assert "1 response (100%)" in words
    assert "1 responses" not in words and "1 response were" not in words


def test_commands_say_one_day_in_the_singular(runner):
    result = runner.invoke(args=["purge-idempotency-keys", "--older-than-days", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Removed 0 idempotency keys older than 1 day."
