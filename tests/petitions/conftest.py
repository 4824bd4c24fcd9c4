"""Petition fixtures: a consultation with stations in two boroughs, a petition made through the API, a mail
outbox in a temporary folder, and helpers to sign and to read the confirmation link from the outbox."""

import email
import email.policy
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consultation.clock import london_wall_time
from tests.intake.conftest import make_consultation
from tests.web.conftest import Page, file_app  # noqa: F401  (the resident pages' fixtures, for the petition pages)
from tests.web.test_browser import browser_page, live_server  # noqa: F401

SEPTEMBER = datetime(2017, 9, 1, 11, 0, tzinfo=UTC)
PETITION_CLOSES = london_wall_time(2017, 10, 1, 17, 0)
SIGNER = {"name": "Ada Lovelace", "email": "ada@example.org", "postcode": "RM10 7TU", "consent": True}
LINK = re.compile(r"/petitions/(\d+)/confirm/([A-Za-z0-9_-]+)")


@pytest.fixture
def page():
    return Page


@pytest.fixture
def outbox(app, tmp_path):
    folder = tmp_path / "outbox"
    previous = app.config.get("MAIL_OUTBOX")
    app.config["MAIL_OUTBOX"] = str(folder)
    yield folder
    app.config["MAIL_OUTBOX"] = previous


def messages(folder: Path) -> list[email.message.EmailMessage]:
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def tokens_sent(folder: Path, to: str | None = None) -> list[str]:
    """Confirmation tokens from the outbox, oldest first (optionally only those sent to one address)."""
    found = []
    for message in messages(folder):
        if to is not None and message["To"] != to:
            continue
        match = LINK.search(message.get_body(("plain",)).get_content())
        if match:
            found.append(match.group(2))
    return found


@pytest.fixture
def police(app, boroughs, freeze):
    """The clock at 1 September 2017; a consultation closing 6 October 2017 17:30 London time."""
    freeze(SEPTEMBER)
    return make_consultation("police-2017")


def create_petition(client, headers, **overrides):
    body = {
        "title": "Keep Dagenham open",
        "text": "Keep the front counter open.",
        "consultation": "police-2017",
        "stations": ["dagenham"],
        "closes_at": PETITION_CLOSES.isoformat(),
        **overrides,
    }
    return client.post("/api/v1/petitions", json=body, headers=headers)


@pytest.fixture
def petition(client, auth, police):
    """A petition by the Barking and Dagenham organiser; returns its id."""
    reply = create_petition(client, auth("organiser"))
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()["id"]


@pytest.fixture
def sign(client, outbox):
    """sign(petition_id, **changes) -> the reply; sign.confirm(petition_id, to) confirms the latest link sent."""

    class Signer:
        def __call__(self, petition_id, **changes):
            return client.post(f"/api/v1/petitions/{petition_id}/signatures", json={**SIGNER, **changes})

        def confirm(self, petition_id, to):
            token = tokens_sent(outbox, to)[-1]
            return client.post(f"/api/v1/petitions/{petition_id}/confirm", json={"token": token})

        def signed_and_confirmed(self, petition_id, **changes):
            assert self(petition_id, **changes).status_code == 202
            reply = self.confirm(petition_id, changes.get("email", SIGNER["email"]))
            assert reply.status_code == 200, reply.get_json()
            return reply.get_json()

    return Signer()


def totals(client, petition_id) -> dict:
    reply = client.get(f"/api/v1/petitions/{petition_id}/totals")
    assert reply.status_code == 200
    return reply.get_json()
