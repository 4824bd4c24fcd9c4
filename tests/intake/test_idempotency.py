from datetime import UTC, datetime

from sqlalchemy import func, select

from consultation.intake.models import IdempotencyKey, Response
from tests.intake.conftest import GOOD_ANSWERS, assert_error, csv_upload, make_consultation


def test_a_retry_with_the_same_key_returns_the_first_result(submit, session, consultation, during):
    first = submit(headers={"Idempotency-Key": "retry-1"})
    second = submit(headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert session.scalar(select(func.count(Response.id))) == 1


def test_the_edit_token_returned_on_a_replay_works_and_is_never_stored(client, submit, session, consultation, during):
    first = submit(headers={"Idempotency-Key": "retry-2"}).get_json()
    replay = submit(headers={"Idempotency-Key": "retry-2"}).get_json()
    stored = session.scalar(select(IdempotencyKey))
    assert first["edit_token"] not in str(stored.response_body)
    view = client.get(f"/api/v1/responses/{first['reference']}", headers={"X-Edit-Token": replay["edit_token"]})
    assert view.status_code == 200


def test_the_same_key_with_a_different_body_is_a_conflict(submit, session, consultation, during):
    assert submit(headers={"Idempotency-Key": "retry-3"}).status_code == 201
    changed = submit(answers={**GOOD_ANSWERS, "agreement": "agree"}, headers={"Idempotency-Key": "retry-3"})
    assert_error(changed, 409, "idempotency_key_reused")
    assert session.scalar(select(func.count(Response.id))) == 1


def test_key_order_in_the_body_does_not_matter(client, consultation, during):
    url = "/api/v1/consultations/library-hours/responses"
    headers = {"Idempotency-Key": "retry-4", "Content-Type": "application/json"}
    one = client.post(
        url,
        data='{"station": "dagenham", "answers": {"connection": "live_nearby", "agreement": "agree"}}',
        headers=headers,
    )
    two = client.post(
        url,
        data='{"answers": {"agreement": "agree", "connection": "live_nearby"}, "station": "dagenham"}',
        headers=headers,
    )
    assert one.get_json()["reference"] == two.get_json()["reference"]


def test_the_same_key_on_another_consultation_is_a_different_request(submit, session, consultation, during):
    make_consultation("second-consultation")
    first = submit(headers={"Idempotency-Key": "shared"})
    other = submit(slug="second-consultation", headers={"Idempotency-Key": "shared"})
    assert first.status_code == other.status_code == 201
    assert first.get_json()["reference"] != other.get_json()["reference"]


def test_a_refused_request_is_not_remembered(submit, consultation, during):
    assert_error(submit(answers={}, headers={"Idempotency-Key": "retry-5"}), 422, "validation_error")
    assert submit(headers={"Idempotency-Key": "retry-5"}).status_code == 201


def test_a_malformed_idempotency_key_is_refused(submit, consultation, during):
    body = assert_error(submit(headers={"Idempotency-Key": "x" * 201}), 422, "validation_error")
    assert "Idempotency-Key" in body["errors"]


def test_a_retried_import_with_the_same_key_imports_once(client, session, auth, consultation, during):
    text = "channel,received_at,station,connection,agreement\nemail,2017-05-30 10:00,barking,live_nearby,agree\n"
    headers = {**auth("reviewer"), "Idempotency-Key": "import-1"}
    url = "/api/v1/consultations/library-hours/responses/import"
    first = client.post(url, data=csv_upload(text), headers=headers)
    second = client.post(url, data=csv_upload(text), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json() and second.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count(Response.id))) == 1
    different = client.post(url, data=csv_upload(text.replace("agree\n", "disagree\n")), headers=headers)
    assert_error(different, 409, "idempotency_key_reused")


def test_the_purge_command_forgets_only_keys_older_than_asked(runner, session, freeze):
    for key, created_at in (("old", datetime(2026, 1, 1, tzinfo=UTC)), ("recent", datetime(2026, 1, 30, tzinfo=UTC))):
        session.add(
            IdempotencyKey(
                scope="POST /x", key=key, request_hash="h", response_status=201, response_body={}, created_at=created_at
            )
        )
    session.commit()
    freeze(datetime(2026, 2, 1, tzinfo=UTC))
    result = runner.invoke(args=["purge-idempotency-keys", "--older-than-days", "7"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 idempotency key older than 7 days" in result.output
    assert session.scalars(select(IdempotencyKey.key)).all() == ["recent"]


def test_a_replay_to_another_caller_gives_the_reference_but_never_the_edit_token(client, session, consultation, during):
    url = "/api/v1/consultations/library-hours/responses"
    body = {"station": "dagenham", "answers": GOOD_ANSWERS}
    first = client.post(url, json=body, headers={"Idempotency-Key": "leaked"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    again = client.post(url, json=body, headers={"Idempotency-Key": "leaked"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    other = client.post(url, json=body, headers={"Idempotency-Key": "leaked"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert first.status_code == again.status_code == other.status_code == 201
    assert first.get_json()["edit_token"] and again.get_json()["edit_token"] == first.get_json()["edit_token"]
    assert other.get_json()["reference"] == first.get_json()["reference"]
    assert other.get_json()["edit_token"] is None
    assert other.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count(Response.id))) == 1


def test_a_caller_with_a_bearer_token_is_known_by_the_token_not_the_address(client, consultation, during):
    url = "/api/v1/consultations/library-hours/responses"
    body = {"station": "dagenham", "answers": GOOD_ANSWERS}
    as_client = {"Idempotency-Key": "app-key", "Authorization": "Bearer some-client"}
    first = client.post(url, json=body, headers=as_client, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    moved = client.post(url, json=body, headers=as_client, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert moved.get_json()["edit_token"] == first.get_json()["edit_token"] is not None
