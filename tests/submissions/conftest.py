"""Submission fixtures: a small consultation to draw submissions against, and the demo PDF rendered once.

Rendering is CPU-heavy, so the demo PDF is rendered once per test session and read by every test about it.
"""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from consultation.accounts.models import User
from consultation.catalog.demo import DEMO_SLUG
from consultation.catalog.models import Consultation, Station
from consultation.catalog.service import get_consultation
from consultation.clock import london_wall_time, now
from consultation.extensions import db
from consultation.petitions import service as petitions_service
from consultation.reporting.service import compute_aggregates
from consultation.submissions import demo as submissions_demo
from consultation.submissions.models import Submission
from consultation.submissions.rendering import render_submission
from tests.intake.conftest import assert_error  # noqa: F401  (re-exported for the submission tests)


def make_consultation(slug: str, closes_at: datetime) -> Consultation:
    """Three stations with published figures: two in Barking and Dagenham, one in Redbridge; committed."""
    from consultation.catalog.demo import seed_boroughs

    boroughs = seed_boroughs(db.session)
    consultation = Consultation(
        slug=slug,
        title="Front counters",
        consulting_body="A policing body",
        opens_at=datetime(2017, 1, 2, tzinfo=UTC),
        closes_at=closes_at,
        stations=[
            Station(
                slug="dagenham",
                name="Dagenham",
                address="561 Rainham Road South, Dagenham RM10 7TU",
                borough=boroughs["E09000002"],
                proposal="close",
                crimes_reported_per_day=4.1,
            ),
            Station(
                slug="barking",
                name="Barking Learning Centre",
                borough=boroughs["E09000002"],
                proposal="retain_24h",
                crimes_reported_per_day=1.8,
            ),
            Station(slug="woodford", name="Woodford", borough=boroughs["E09000026"], proposal="close"),
        ],
    )
    db.session.add(consultation)
    db.session.commit()
    return consultation


def submission_body(slug: str = "front-counters", **changes) -> dict:
    body = {
        "consultation": slug,
        "title": "Keep Dagenham open",
        "addressed_to": "The consulting body\nCity Hall",
        "organisation": "Dagenham residents' association",
        "signatory": {"name": "A. Organiser", "role": "Chair"},
        "stations": ["dagenham"],
        "sections": [{"heading": "Our view", "body": "Keep it *open*."}],
        "include_aggregates": True,
    }
    body.update(changes)
    return body


@pytest.fixture
def consultation(boroughs):
    return make_consultation("front-counters", london_wall_time(2030, 10, 4, 17, 30))


@pytest.fixture
def create(client, auth, consultation):
    """create(role='organiser', **changes) -> the POST response."""

    def post(role: str = "organiser", **changes):
        return client.post("/api/v1/submissions", json=submission_body(**changes), headers=auth(role))

    return post


@pytest.fixture(scope="session")
def demo_pdf(app, demo_snapshot):
    """The demo submission rendered once, with the figures the tests expect it to state (read through services)."""
    with app.app_context():
        demo_snapshot.restore_into_empty_database()
        submission = db.session.query(Submission).filter_by(title=submissions_demo.SUBMISSION_TITLE).one()
        consultation = get_consultation(db.session, DEMO_SLUG)
        groups = {g["key"]: g for g in compute_aggregates(db.session, consultation, group_by="station")["groups"]}
        petition_total = sum(
            petitions_service.petition_totals(db.session, pid)["total"] for pid in submission.petition_ids
        )
        rendered = render_submission(db.session, submission, rendered_at=now())
        facts = {
            "dagenham_responses": groups["dagenham"]["total"],
            "dagenham_stance": groups["dagenham"]["stance"],
            "petition_ids": list(submission.petition_ids),
            "petition_total": petition_total,
            "owner": db.session.get(User, submission.owner_id).name,
            "served": list(rendered.fetcher.served),
            "refused": list(rendered.fetcher.refused),
        }
        db.session.rollback()
    reader = PdfReader(io.BytesIO(rendered.pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return {"pdf": rendered.pdf, "reader": reader, "text": text, "pages": rendered.pages, **facts}
