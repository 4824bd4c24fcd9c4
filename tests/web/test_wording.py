"""Words for any consultation: the README's library example reads as one about libraries, on its pages, in the
API and in a submission's PDF; a consultation that sets no words reads generically, never in police words."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from consultation.accounts.tokens import user_for_token
from consultation.clock import now
from consultation.extensions import db
from consultation.submissions import service as submissions
from consultation.submissions.rendering import submission_html
from tests.submissions.conftest import submission_body

README = Path(__file__).resolve().parents[2] / "README.md"
POLICE_WORDS = ("police", "front counter", "station", "crimes")


def readme_library_consultation() -> dict:
    """The JSON body of the README's `library-hours` example, exactly as a reader would send it."""
    text = README.read_text()
    bodies = [json.loads(body) for body in re.findall(r"-d '(\{.*?\})'", text, re.S) if '"library-hours"' in body]
    assert len(bodies) == 1, "the README has one library-hours example"
    return bodies[0]


def create(client, auth, body: dict):
    response = client.post("/api/v1/consultations", json=body, headers=auth("admin"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_readme_library_example_reads_as_one_about_libraries(client, auth, page, freeze):
    create(client, auth, readme_library_consultation())
    freeze(datetime(2030, 2, 1, 12, 0, tzinfo=UTC))
    overview = page(client.get("/consult/library-hours").get_data(as_text=True)).text
    assert "Choose your library to read its proposal and respond." in overview
    assert "Libraries by borough" in overview and "Close the library" in overview
    station = page(client.get("/consult/library-hours/stations/central").get_data(as_text=True)).text
    assert "Close the library" in station and "All libraries" in station
    assert "Visitors to this library per day 240" in station
    for text in (overview, station):
        assert [word for word in POLICE_WORDS if word in text.lower()] == []


def test_the_api_gives_the_consultations_words(client, auth):
    create(client, auth, readme_library_consultation())
    wording = client.get("/api/v1/consultations/library-hours").get_json()["wording"]
    assert wording["site"] == "library" and wording["sites"] == "libraries"
    assert wording["choose_prompt"] == "Choose your library to read its proposal and respond."
    assert wording["proposals"]["close"] == "Close the library"
    assert wording["proposals"]["relocate"] == "Move the library to another place"  # not set: generic
    assert wording["figures"] == {"visitors_per_day": "Visitors to this library per day"}


def test_a_consultation_without_words_reads_generically(client, auth, page, freeze):
    body = readme_library_consultation()
    del body["wording"]
    create(client, auth, body)
    freeze(datetime(2030, 2, 1, 12, 0, tzinfo=UTC))
    overview = page(client.get("/consult/library-hours").get_data(as_text=True)).text
    assert "Choose your site to read its proposal and respond." in overview
    station = page(client.get("/consult/library-hours/stations/central").get_data(as_text=True)).text
    assert "Close the site" in station
    assert "Crimes reported at this site per day not published" in station
    assert "Visitors to this site per day 240" in station
    assert "front counter" not in station.lower() and "police" not in station.lower()


def test_words_change_by_patch_and_bad_words_get_field_messages(client, auth):
    create(client, auth, readme_library_consultation())
    url = "/api/v1/consultations/library-hours"
    changed = client.patch(url, json={"wording": {"site": "branch", "sites": "branches"}}, headers=auth("admin"))
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["wording"]["proposals"]["close"] == "Close the library"  # kept
    assert changed.get_json()["wording"]["choose_prompt"].startswith("Choose your branch")
    refused = client.patch(url, json={"wording": {"proposals": {"demolish": "Pull it down"}}}, headers=auth("admin"))
    assert refused.status_code == 422
    assert "wording" in refused.get_json()["errors"]


def test_a_submission_pdf_about_a_library_speaks_of_libraries(client, auth, tokens):
    create(client, auth, readme_library_consultation())
    organiser = user_for_token(db.session, tokens["organiser"])
    body = submission_body("library-hours", stations=["central"], sections=[])
    submission = submissions.create_submission(db.session, organiser, body)
    html, _, _ = submission_html(db.session, submission, rendered_at=now())
    visible = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Close the library." in visible
    assert "Visitors to this library per day 240" in visible
    assert "The libraries in this submission" in visible
    lowered = visible.lower()
    assert "front counter" not in lowered and "police" not in lowered and "crimes" not in lowered
