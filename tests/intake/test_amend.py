from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from consultation.intake.models import Response, ResponseRevision
from tests.intake.conftest import GOOD_ANSWERS, assert_error, csv_upload


@pytest.fixture
def submitted(submit, consultation, during):
    body = submit(respondent={"name": "Ann", "email": "ann@example.org"}).get_json()
    return body["reference"], {"X-Edit-Token": body["edit_token"]}


def test_amending_before_the_deadline_replaces_the_answers_and_keeps_the_history(client, session, submitted):
    reference, token = submitted
    response = client.patch(
        f"/api/v1/responses/{reference}",
        json={"station": "barking", "answers": {"connection": "work_nearby", "agreement": "agree"}},
        headers=token,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["station"] == "barking"
    assert body["answers"] == {"connection": "work_nearby", "agreement": "agree"}
    assert body["version"] == 2
    assert [entry["change"] for entry in body["history"]] == ["created", "amended"]
    stored = session.scalar(select(Response).where(Response.reference == reference))
    revisions = session.scalars(
        select(ResponseRevision).where(ResponseRevision.response_id == stored.id).order_by(ResponseRevision.version)
    ).all()
    assert revisions[0].answers["agreement"] == "disagree" and revisions[1].answers["agreement"] == "agree"
    assert len(stored.answers) == 2


def test_changing_only_the_consent_keeps_the_answers(client, submitted):
    reference, token = submitted
    body = client.patch(f"/api/v1/responses/{reference}", json={"consent_to_publish": True}, headers=token).get_json()
    assert body["consent_to_publish"] is True and body["answers"]["agreement"] == "disagree"


def test_an_amendment_with_bad_answers_changes_nothing(client, session, submitted):
    reference, token = submitted
    response = client.patch(
        f"/api/v1/responses/{reference}", json={"station": "barking", "answers": {"agreement": "agree"}}, headers=token
    )
    body = assert_error(response, 422, "validation_error")
    assert "answers.connection" in body["errors"]
    view = client.get(f"/api/v1/responses/{reference}", headers=token).get_json()
    assert view["station"] == "dagenham" and view["version"] == 1


def test_an_empty_amendment_is_refused(client, submitted):
    reference, token = submitted
    assert_error(client.patch(f"/api/v1/responses/{reference}", json={}, headers=token), 422, "validation_error")


def test_a_wrong_edit_token_is_forbidden(client, submitted):
    reference, _ = submitted
    response = client.patch(
        f"/api/v1/responses/{reference}", json={"consent_to_publish": True}, headers={"X-Edit-Token": "guess"}
    )
    assert_error(response, 403, "forbidden")
    assert_error(client.get(f"/api/v1/responses/{reference}", headers={"X-Edit-Token": "guess"}), 403, "forbidden")


def test_a_missing_edit_token_is_a_validation_error(client, submitted):
    reference, _ = submitted
    body = assert_error(client.post(f"/api/v1/responses/{reference}/withdraw"), 422, "validation_error")
    assert "X-Edit-Token" in body["errors"]


def test_an_unknown_reference_is_a_404(client, submitted):
    _, token = submitted
    assert_error(client.get("/api/v1/responses/AAAA-BBBB-CC", headers=token), 404, "not_found")


def test_the_respondent_view_shows_no_personal_data(client, submitted):
    reference, token = submitted
    body = client.get(f"/api/v1/responses/{reference.lower()}", headers=token).get_json()
    assert body["reference"] == reference
    assert "Ann" not in str(body) and "example.org" not in str(body)
    assert body["editable_until_text"] == "17:30 on Friday 6 October 2017 (London time)"


def test_after_the_deadline_a_response_is_frozen(client, freeze, submitted):
    reference, token = submitted
    freeze(datetime(2017, 10, 6, 16, 30, tzinfo=UTC))
    body = assert_error(
        client.patch(f"/api/v1/responses/{reference}", json={"consent_to_publish": True}, headers=token),
        409,
        "consultation_closed",
    )
    assert "17:30 on Friday 6 October 2017 (London time)" in body["message"]
    assert_error(client.post(f"/api/v1/responses/{reference}/withdraw", headers=token), 409, "consultation_closed")
    assert client.get(f"/api/v1/responses/{reference}", headers=token).get_json()["status"] == "active"


def test_withdrawing_keeps_the_history_and_a_withdrawn_response_cannot_be_amended(client, session, submitted):
    reference, token = submitted
    body = client.post(f"/api/v1/responses/{reference}/withdraw", headers=token).get_json()
    assert body["status"] == "withdrawn" and body["version"] == 2
    assert [entry["change"] for entry in body["history"]] == ["created", "withdrawn"]
    again = client.post(f"/api/v1/responses/{reference}/withdraw", headers=token).get_json()
    assert again["version"] == 2
    assert_error(
        client.patch(f"/api/v1/responses/{reference}", json={"answers": GOOD_ANSWERS}, headers=token),
        409,
        "response_withdrawn",
    )
    stored = session.scalar(select(Response).where(Response.reference == reference))
    assert len(stored.answers) == 4  # withdrawn, not deleted


def test_paper_responses_cannot_be_changed_online(client, session, auth, consultation, during):
    upload = csv_upload(
        "channel,received_at,station,connection,agreement\npaper,2017-05-30 10:00,dagenham,live_nearby,agree\n"
    )
    assert (
        client.post(
            "/api/v1/consultations/library-hours/responses/import", data=upload, headers=auth("reviewer")
        ).status_code
        == 201
    )
    reference = session.scalar(select(Response.reference))
    response = client.post(f"/api/v1/responses/{reference}/withdraw", headers={"X-Edit-Token": "anything"})
    assert_error(response, 403, "forbidden")
