"""Reviewer coding: a person's coding wins at once, records who made it, and keeps its history."""

from datetime import UTC, datetime

from sqlalchemy import select

from consultation.accounts.models import AuditEvent
from consultation.analysis.models import ResponseAnalysis
from consultation.analysis.service import analyse
from tests.analysis.analysis_support import demo_consultation, make_response

TEXT = "Please keep Dagenham open. My mum is 84 and could never manage two buses to Barking."


def _url(response) -> str:
    return f"/api/v1/responses/{response.reference}/coding"


def test_a_reviewer_coding_replaces_the_machine_coding_at_once(client, auth, session, freeze):
    freeze(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    analyse(session, consultation)
    coded = client.put(
        _url(response),
        json={"stance": "support", "themes": ["funding_cuts", "usage_figures", "funding_cuts"], "note": "Sarcastic."},
        headers=auth("reviewer"),
    )
    assert coded.status_code == 200, coded.get_json()
    body = coded.get_json()
    assert (body["stance"], body["stance_source"], body["stance_confidence"]) == ("support", "reviewer", 1.0)
    assert body["coded_by"]["name"] == "Test reviewer" and body["coded_at"] == "2026-03-02T10:00:00Z"
    assert sorted(theme["key"] for theme in body["themes"]) == ["funding_cuts", "usage_figures"]
    assert all(
        theme["source"] == "reviewer" and theme["assigned_by"]["name"] == "Test reviewer" for theme in body["themes"]
    )
    assert body["note"] == "Sarcastic."
    machine, reviewer = body["history"]
    assert machine["source"] == "machine" and machine["by"] is None and machine["model_version"]
    assert reviewer["source"] == "reviewer" and reviewer["by"]["name"] == "Test reviewer"
    assert reviewer["themes"] == ["funding_cuts", "usage_figures"]
    session.expire_all()
    assert session.get(ResponseAnalysis, response.id).stance == "support"


def test_coding_a_response_the_machine_has_not_seen_yet_creates_its_analysis(client, auth, session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    coded = client.put(_url(response), json={"stance": "oppose", "themes": []}, headers=auth("admin"))
    assert coded.status_code == 200
    analyse(session, consultation)
    body = client.get(_url(response), headers=auth("admin")).get_json()
    assert body["stance"] == "oppose" and body["themes"] == [] and body["stance_source"] == "reviewer"
    assert [event["source"] for event in body["history"]] == ["reviewer", "machine"]
    assert body["analysed_at"] is not None


def test_reviewer_coding_leaves_an_audit_event(client, auth, session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    client.put(_url(response), json={"stance": "neutral", "themes": ["travel_distance"]}, headers=auth("reviewer"))
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "code"))
    assert event.object_type == "response" and event.object_id == response.reference
    assert event.details == {"stance": "neutral", "themes": ["travel_distance"]}


def test_organisers_may_not_code(client, auth, session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    refused = client.put(_url(response), json={"stance": "oppose", "themes": []}, headers=auth("organiser"))
    assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"


def test_organisers_read_coding_only_in_their_own_borough(client, auth, session):
    consultation = demo_consultation(session)
    dagenham = make_response(session, consultation, TEXT)
    assert client.get(_url(dagenham), headers=auth("organiser")).status_code == 200
    assert client.get(_url(dagenham), headers=auth("other_organiser")).status_code == 403
    assert client.get(_url(dagenham)).status_code == 401


def test_unknown_themes_stances_and_fields_are_validation_errors(client, auth, session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    unknown = client.put(_url(response), json={"stance": "oppose", "themes": ["parking"]}, headers=auth("reviewer"))
    assert unknown.status_code == 422 and "themes" in unknown.get_json()["errors"]
    bad_stance = client.put(_url(response), json={"stance": "angry", "themes": []}, headers=auth("reviewer"))
    assert bad_stance.status_code == 422 and "stance" in bad_stance.get_json()["errors"]
    missing = client.put(_url(response), json={"stance": "oppose"}, headers=auth("reviewer"))
    assert missing.status_code == 422 and "themes" in missing.get_json()["errors"]


def test_inactive_themes_cannot_be_coded(client, auth, session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    client.delete("/api/v1/consultations/public-access-demo/codebook/themes/funding_cuts", headers=auth("reviewer"))
    refused = client.put(
        _url(response), json={"stance": "oppose", "themes": ["funding_cuts"]}, headers=auth("reviewer")
    )
    assert refused.status_code == 422


def test_withdrawn_responses_are_not_coded_and_unknown_ones_are_not_found(client, auth, session):
    consultation = demo_consultation(session)
    withdrawn = make_response(session, consultation, TEXT, status="withdrawn")
    conflict = client.put(_url(withdrawn), json={"stance": "oppose", "themes": []}, headers=auth("reviewer"))
    assert conflict.status_code == 409 and conflict.get_json()["code"] == "response_withdrawn"
    missing = client.get("/api/v1/responses/NOPE-1/coding", headers=auth("reviewer"))
    assert missing.status_code == 404


def test_recoding_keeps_every_change_in_the_history(client, auth, session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    client.put(_url(response), json={"stance": "oppose", "themes": ["travel_distance"]}, headers=auth("reviewer"))
    second = client.put(_url(response), json={"stance": "neutral", "themes": []}, headers=auth("admin"))
    history = second.get_json()["history"]
    assert [(event["by"]["name"], event["stance"]) for event in history] == [
        ("Test reviewer", "oppose"),
        ("Test admin", "neutral"),
    ]
    assert second.get_json()["coded_by"]["name"] == "Test admin" and second.get_json()["themes"] == []


def test_reading_a_coding_costs_the_same_queries_however_long_its_history(client, auth, session, count_queries):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    url = _url(response)
    client.put(url, json={"stance": "oppose", "themes": ["travel_distance"]}, headers=auth("reviewer"))

    def read() -> None:
        assert client.get(url, headers=auth("admin")).status_code == 200

    read()  # the token's first use of the minute also notes it (last_used_at); count the reads after it
    short = count_queries(read)
    for stance, role in (("neutral", "admin"), ("support", "reviewer"), ("oppose", "admin")):
        themes = ["travel_distance", "funding_cuts"] if stance != "neutral" else []
        client.put(url, json={"stance": stance, "themes": themes}, headers=auth(role))
    analyse(session, consultation, force=True)
    long = count_queries(read)

    assert long == short, count_queries.statements
