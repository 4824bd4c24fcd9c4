"""Organiser console fixtures: staff signed in by role, a consultation with stations in two boroughs, a petition
and a submission owned by the Barking and Dagenham organiser, and an HTML reader."""

import pytest
from flask import g
from flask_login import LoginManager

from consultation.accounts.models import User
from consultation.clock import london_wall_time
from consultation.extensions import db
from tests.submissions.conftest import make_consultation
from tests.web.conftest import Page, file_app  # noqa: F401  (an app of its own, for CSRF checks)

CLOSES_AT = london_wall_time(2030, 10, 4, 17, 30)
USER_NAMES = {
    "organiser": "Test organiser",
    "reviewer": "Test reviewer",
    "admin": "Test admin",
    "other_organiser": "Redbridge organiser",
}


@pytest.fixture(scope="session", autouse=True)
def _sign_in_stand_in(app):
    install_sign_in_stand_in(app)


def install_sign_in_stand_in(app):
    """Until the console's own sign-in is merged: a LoginManager that loads the user by id."""
    if hasattr(app, "login_manager"):
        return
    manager = LoginManager()
    manager.init_app(app)
    manager.user_loader(lambda user_id: db.session.get(User, int(user_id)))
    for name, value in (("is_authenticated", True), ("is_anonymous", False)):
        if not hasattr(User, name):
            setattr(User, name, value)
    if not hasattr(User, "get_id"):
        User.get_id = lambda self: str(self.id)


@pytest.fixture
def page():
    return Page


@pytest.fixture
def users(tokens):
    return {role: db.session.query(User).filter_by(name=name).one() for role, name in USER_NAMES.items()}


@pytest.fixture
def sign_in(client, users):
    """sign_in(role) -> the test client, signed in as that role's user (None signs out)."""

    def as_role(role: str | None):
        # The test's app context spans its requests, so Flask-Login's per-context cache of the user goes too.
        g.pop("_login_user", None)
        with client.session_transaction() as session:
            session.clear()
            if role is not None:
                session["_user_id"] = str(users[role].id)
                session["_fresh"] = True
        return client

    return as_role


@pytest.fixture
def consultation(boroughs):
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
    from tests.submissions.conftest import submission_body

    response = client.post(
        "/api/v1/submissions", json=submission_body(petitions=[petition_id]), headers=auth("organiser")
    )
    assert response.status_code == 201, response.json
    return response.json["id"]
