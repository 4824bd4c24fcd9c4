"""The codebook: seeded for the demo, read by staff and organisers, edited by reviewers and admins."""

import json

from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from consultation.analysis import demo as demo_codebook
from consultation.analysis.models import Codebook, Theme
from tests.analysis.analysis_support import demo_consultation, make_response
from tests.conftest import shared_path

URL = "/api/v1/consultations/public-access-demo/codebook"
DEMO_KEYS = [
    "travel_distance",
    "vulnerable_access",
    "visible_presence",
    "rising_crime",
    "funding_cuts",
    "alternative_reporting",
    "officers_on_streets",
    "building_disposal",
    "consultation_process",
    "usage_figures",
]


def test_seed_demo_loads_the_codebook_into_both_demo_consultations_once(runner, full_demo):
    # full_demo is the database as the session's first `seed-demo` left it, and what that run printed.
    assert "Loaded the demo codebook into: public-access-2017, public-access-demo" in full_demo.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "codebook" not in second.output
    from consultation.extensions import db

    assert db.session.scalar(select(Codebook.id).order_by(Codebook.id).limit(1)) is not None
    assert len(db.session.scalars(select(Codebook)).all()) == 2
    keys = db.session.scalars(select(Theme.key).order_by(Theme.id)).all()
    assert keys == DEMO_KEYS * 2


def test_demo_theme_keys_are_the_shared_codebook_keys_in_our_own_words():
    shared = json.loads(shared_path("data", "codebook.json").read_text())
    assert [key for key, *_ in demo_codebook.THEMES] == list(shared["themes"])
    for key, _, description, _ in demo_codebook.THEMES:
        assert description != shared["themes"][key]
    assert set(demo_codebook.STANCES) == set(shared["stances"])


def test_reviewers_admins_and_organisers_read_the_codebook(client, auth, session):
    demo_consultation(session)
    for role in ("reviewer", "admin", "organiser", "other_organiser"):
        response = client.get(URL, headers=auth(role))
        assert response.status_code == 200, role
    body = response.get_json()
    assert [theme["key"] for theme in body["themes"]] == DEMO_KEYS
    assert body["themes"][0]["label"] == "Travel to the remaining counter"
    assert set(body["stances"]) == {"oppose", "support", "neutral"}
    assert body["updated_at"].endswith("Z")


def test_reading_the_codebook_needs_a_token(client, session, boroughs):
    demo_consultation(session)
    response = client.get(URL)
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_a_consultation_without_a_codebook_reads_as_an_empty_one(client, auth, demo):
    body = client.get(URL, headers=auth("reviewer")).get_json()
    assert body["themes"] == [] and body["updated_at"] is None


def test_replacing_the_codebook_keeps_left_out_themes_as_inactive(client, auth, session):
    demo_consultation(session)
    body = {
        "description": "Short codebook",
        "stances": {"oppose": "Wants it open."},
        "themes": [
            {"key": "travel_distance", "label": "Travel", "description": "Getting there"},
            {"key": "parking", "label": "Parking", "examples": ["nowhere to park"]},
        ],
    }
    response = client.put(URL, json=body, headers=auth("reviewer"))
    assert response.status_code == 200, response.get_json()
    themes = {theme["key"]: theme for theme in response.get_json()["themes"]}
    assert themes["travel_distance"]["label"] == "Travel" and themes["travel_distance"]["is_active"]
    assert themes["parking"]["examples"] == ["nowhere to park"] and themes["parking"]["origin"] == "codebook"
    assert themes["funding_cuts"]["is_active"] is False
    assert response.get_json()["stances"]["oppose"] == "Wants it open."
    assert session.scalar(select(AuditEvent).where(AuditEvent.object_type == "codebook")).action == "replace"


def test_replacing_with_duplicate_or_malformed_keys_is_a_validation_error(client, auth, session):
    demo_consultation(session)
    duplicate = {"themes": [{"key": "parking", "label": "A"}, {"key": "parking", "label": "B"}]}
    response = client.put(URL, json=duplicate, headers=auth("admin"))
    assert response.status_code == 422
    assert "themes.1.key" in response.get_json()["errors"]
    malformed = {"themes": [{"key": "Bad Key!", "label": "A"}]}
    response = client.put(URL, json=malformed, headers=auth("admin"))
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


def test_organisers_may_not_edit_the_codebook(client, auth, session):
    demo_consultation(session)
    assert client.put(URL, json={"themes": []}, headers=auth("organiser")).status_code == 403
    theme = {"key": "parking", "label": "Parking"}
    assert client.post(f"{URL}/themes", json=theme, headers=auth("organiser")).status_code == 403
    assert client.delete(f"{URL}/themes/funding_cuts", headers=auth("organiser")).status_code == 403


def test_adding_a_theme_then_the_same_key_again_is_a_conflict(client, auth, session):
    demo_consultation(session)
    theme = {"key": "parking", "label": "Parking", "description": "Nowhere to park near the station."}
    created = client.post(f"{URL}/themes", json=theme, headers=auth("reviewer"))
    assert created.status_code == 201
    assert created.get_json()["key"] == "parking" and created.get_json()["is_active"] is True
    again = client.post(f"{URL}/themes", json=theme, headers=auth("reviewer"))
    assert again.status_code == 409
    assert again.get_json()["errors"] == {"key": ["Taken."]}
    audit = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "theme"))
    assert audit.object_id == "public-access-demo/parking"


def test_a_theme_is_edited_deactivated_and_brought_back(client, auth, session):
    demo_consultation(session)
    patched = client.patch(
        f"{URL}/themes/funding_cuts",
        json={"label": "Money", "examples": ["cuts", "cuts", " savings "]},
        headers=auth("reviewer"),
    )
    assert patched.status_code == 200
    assert patched.get_json()["label"] == "Money" and patched.get_json()["examples"] == ["cuts", "savings"]
    deleted = client.delete(f"{URL}/themes/funding_cuts", headers=auth("reviewer"))
    assert deleted.status_code == 204
    themes = {theme["key"]: theme for theme in client.get(URL, headers=auth("reviewer")).get_json()["themes"]}
    assert themes["funding_cuts"]["is_active"] is False
    conflict = client.post(f"{URL}/themes", json={"key": "funding_cuts", "label": "x"}, headers=auth("reviewer"))
    assert conflict.status_code == 409 and "inactive" in conflict.get_json()["message"]
    back = client.patch(f"{URL}/themes/funding_cuts", json={"is_active": True}, headers=auth("reviewer"))
    assert back.get_json()["is_active"] is True


def test_an_unknown_theme_or_consultation_is_not_found(client, auth, session):
    demo_consultation(session)
    assert client.patch(f"{URL}/themes/nope", json={"label": "x"}, headers=auth("admin")).status_code == 404
    missing = client.get("/api/v1/consultations/no-such/codebook", headers=auth("admin"))
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"


def test_a_promoted_theme_takes_redacted_examples_from_the_chosen_responses(client, auth, session):
    consultation = demo_consultation(session)
    response = make_response(
        session, consultation, "Parking near the station is impossible, email me at jo.bloggs@example.com please."
    )
    from consultation.analysis.service import analyse

    analyse(session, consultation)
    body = {
        "key": "parking",
        "label": "Parking",
        "from_cluster": "abc123",
        "example_references": [response.reference],
    }
    created = client.post(f"{URL}/themes", json=body, headers=auth("reviewer"))
    assert created.status_code == 201, created.get_json()
    theme = created.get_json()
    assert theme["origin"] == "discovered"
    assert "jo.bloggs@example.com" not in theme["examples"][0] and "[email]" in theme["examples"][0]
    missing = client.post(
        f"{URL}/themes", json={**body, "key": "other", "example_references": ["T-999999"]}, headers=auth("reviewer")
    )
    assert missing.status_code == 422 and "example_references" in missing.get_json()["errors"]
