"""Organiser console fixtures: the console's staff (one per role, and an organiser of another borough) signed in
through a real one-time link, their API tokens, a consultation with stations in two boroughs, and a petition and
a submission owned by the Barking and Dagenham organiser."""

import pytest

from consultation.accounts.tokens import issue_token
from consultation.clock import london_wall_time
from consultation.extensions import db
from tests.submissions.conftest import make_consultation, submission_body

CLOSES_AT = london_wall_time(2030, 10, 4, 17, 30)


@pytest.fixture
def users(staff):
    return staff


@pytest.fixture
def auth(staff):
    """auth(role) -> the Authorization header of that staff member's API token (the same people as the pages')."""
    tokens = {role: issue_token(db.session, user) for role, user in staff.items()}
    db.session.commit()
    return lambda role: {"Authorization": f"Bearer {tokens[role]}"}


@pytest.fixture
def sign_in(client, staff, sign_in_as):
    """sign_in(role) -> the test client, signed in as that role's staff member (None: signed out)."""

    def as_role(role: str | None):
        with client.session_transaction() as session:
            session.clear()
        if role is not None:
            sign_in_as(staff[role])
        return client

    return as_role


@pytest.fixture
def consultation(staff):
    return make_consultation("front-counters", CLOSES_AT)


@pytest.fixture
def petition_id(client, auth, consultation):
    body = {
        "title": "Keep Dagenham's front counter open",
        "text": "We ask the consulting body to keep it open.",
        "consultation": "front-counters",
        "stations": ["dagenham"],
        "closes_at": "2030-10-01T12:00:00Z",
    }
    response = client.post("/api/v1/petitions", json=body, headers=auth("organiser"))
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def submission_id(client, auth, consultation, petition_id):
    response = client.post(
        "/api/v1/submissions", json=submission_body(petitions=[petition_id]), headers=auth("organiser")
    )
    assert response.status_code == 201, response.json
    return response.json["id"]
