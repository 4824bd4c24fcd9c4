"""Console fixtures: staff with email addresses (one per role, and an organiser of another borough), signing in
through a real one-time link, and the demo consultation with a few responses in two boroughs."""

import pytest

from consultation.accounts.service import create_user
from consultation.accounts.sign_in import issue_link
from consultation.analysis.service import analyse
from consultation.clock import now
from consultation.extensions import db
from consultation.intake.models import Respondent
from tests.analysis.analysis_support import demo_consultation, make_response
from tests.petitions.conftest import outbox  # noqa: F401  (a mail outbox in a temporary folder)
from tests.web.conftest import Page, file_app  # noqa: F401  (the resident pages' fixtures)

STAFF = (
    ("admin", "admin", ()),
    ("reviewer", "reviewer", ()),
    ("organiser", "organiser", ("E09000002",)),  # Barking and Dagenham
    ("other_organiser", "organiser", ("E09000026",)),  # Redbridge
)
TEXTS = {
    "dagenham": [
        "Closing the Dagenham counter leaves my mother with nowhere to report crime in person.",
        "The counter is the only safe place to report a stolen bike near the station.",
        "I support the change if the money goes to more officers on the street.",
    ],
    "ilford": ["Ilford needs its front counter; the bus to Romford takes an hour."],
}


@pytest.fixture
def page():
    return Page


@pytest.fixture
def staff(app):
    """One user per role, each with an email address; `other_organiser` acts for Redbridge only."""
    from consultation.catalog.demo import seed_boroughs

    seed_boroughs(db.session)
    users = {
        key: create_user(
            db.session, None, name=f"Test {key}", role=role, borough_codes=codes, email=f"{key}@example.org"
        )
        for key, role, codes in STAFF
    }
    db.session.commit()
    return users


@pytest.fixture
def sign_in_as(client):
    """sign_in_as(user): through a real one-time link, as a browser would."""

    def sign(user, on=None):
        target = on or client
        token = issue_link(db.session, user, now())
        db.session.commit()
        reply = target.post(f"/staff/sign-in/{token}")
        assert reply.status_code == 303, reply.get_data(as_text=True)
        return target

    return sign


@pytest.fixture
def responses(staff):
    """The demo consultation (with its codebook) and responses at Dagenham (Barking and Dagenham) and Ilford
    (Redbridge), analysed by the machine; one Dagenham response is a late paper one with a named respondent."""
    consultation = demo_consultation(db.session)
    made = {}
    for station, texts in TEXTS.items():
        for text in texts:
            made.setdefault(station, []).append(make_response(db.session, consultation, text, station_slug=station))
    late = made["dagenham"][0]
    late.late, late.channel = True, "paper"
    late.respondent = Respondent(name="Ada Lovelace", email="ada@example.org", postcode="RM10 7TU")
    db.session.commit()
    analyse(db.session, consultation)
    return {"consultation": consultation, **made}
