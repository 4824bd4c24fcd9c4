"""Intake fixtures: consultations with chosen deadlines, and helpers to submit and import responses."""

import io
from datetime import UTC, datetime

import pytest

from consultation.catalog.models import Consultation, Question, Questionnaire, Station
from consultation.clock import london_wall_time
from consultation.extensions import db

SHAPE = {"status", "code", "message", "errors"}
GOOD_ANSWERS = {
    "connection": "live_nearby",
    "agreement": "disagree",
    "reporting": ["phone", "online"],
    "why": "Too far.",
}


def assert_error(response, status: int, code: str) -> dict:
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == SHAPE, body
    assert body["code"] == code, body
    return body


def make_consultation(
    slug: str = "library-hours", opens_at: datetime | None = None, closes_at: datetime | None = None
) -> Consultation:
    """A small questionnaire and three stations (two in Barking and Dagenham, one in Redbridge); committed."""
    from consultation.catalog.demo import seed_boroughs

    boroughs = seed_boroughs(db.session)
    consultation = Consultation(
        slug=slug,
        title="Library opening hours",
        consulting_body="A council",
        opens_at=opens_at or london_wall_time(2017, 1, 9, 9, 0),
        closes_at=closes_at or london_wall_time(2017, 10, 6, 17, 30),
        stations=[
            Station(slug="dagenham", name="Dagenham", borough=boroughs["E09000002"], proposal="close"),
            Station(slug="barking", name="Barking", borough=boroughs["E09000002"], proposal="retain_24h"),
            Station(slug="woodford", name="Woodford", borough=boroughs["E09000026"], proposal="close"),
        ],
        questionnaire=Questionnaire(
            title="Your views",
            questions=[
                Question(
                    code="connection",
                    position=1,
                    kind="single_choice",
                    prompt="Your connection",
                    required=True,
                    options=[{"value": "live_nearby", "label": "Live"}, {"value": "work_nearby", "label": "Work"}],
                ),
                Question(
                    code="agreement",
                    position=2,
                    kind="agreement_scale",
                    prompt="Do you agree?",
                    required=True,
                    options=[
                        {"value": value, "label": value}
                        for value in ("strongly_agree", "agree", "neither", "disagree", "strongly_disagree")
                    ],
                ),
                Question(
                    code="reporting",
                    position=3,
                    kind="multiple_choice",
                    prompt="How do you report?",
                    required=False,
                    options=[{"value": value, "label": value} for value in ("front_counter", "phone", "online")],
                ),
                Question(code="why", position=4, kind="free_text", prompt="Why?", required=False, max_length=50),
            ],
        ),
    )
    db.session.add(consultation)
    db.session.commit()
    return consultation


@pytest.fixture
def consultation(boroughs):
    """Open from 9 January 2017 until 17:30 London time on Friday 6 October 2017 (BST)."""
    return make_consultation()


@pytest.fixture
def during(freeze):
    """Freeze the clock inside the open window of the `consultation` fixture."""
    return freeze(datetime(2017, 6, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def submit(client):
    def post(slug: str = "library-hours", station: str = "dagenham", answers=None, headers=None, **extra):
        body = {"station": station, "answers": GOOD_ANSWERS if answers is None else answers, **extra}
        return client.post(f"/api/v1/consultations/{slug}/responses", json=body, headers=headers or {})

    return post


def csv_upload(text: str, filename: str = "responses.csv") -> dict:
    return {"file": (io.BytesIO(text.encode()), filename)}


@pytest.fixture
def without_analysis():
    """Intake alone: analysis's receiver is disconnected for the test (tests run background tasks inline, so it
    would code each response inside the request being measured), and connected again afterwards."""
    from consultation.analysis.tasks import queue_analysis
    from consultation.intake.events import responses_committed

    responses_committed.disconnect(queue_analysis)
    yield
    responses_committed.connect(queue_analysis)
