import pytest
from sqlalchemy import select

from consultation.accounts.models import ApiToken, AuditEvent, User
from consultation.accounts.tokens import hash_token
from tests.catalog.test_consultations import new_consultation


def test_tokens_are_stored_only_as_hashes(session, tokens):
    stored = session.scalars(select(ApiToken.token_hash)).all()
    for token in tokens.values():
        assert token not in stored
        assert hash_token(token) in stored


def test_create_token_prints_the_token_last_and_stores_its_hash(runner, boroughs, session):
    result = runner.invoke(
        args=["create-token", "--role", "organiser", "--name", "Dagenham MP", "--borough", "E09000002"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("ct_") and len(token) > 40
    user = session.scalar(select(User).where(User.name == "Dagenham MP"))
    assert user.role == "organiser"
    assert [b.gss_code for b in user.boroughs] == ["E09000002"]
    assert session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token))) is not None


def test_create_token_refuses_an_organiser_without_a_borough(runner, boroughs):
    result = runner.invoke(args=["create-token", "--role", "organiser", "--name", "Nobody"])
    assert result.exit_code != 0
    assert "borough" in result.output


def test_create_token_refuses_an_unknown_borough(runner, boroughs):
    result = runner.invoke(args=["create-token", "--role", "organiser", "--name", "X", "--borough", "E0"])
    assert result.exit_code != 0
    assert "No borough" in result.output


def test_missing_token_is_401(client):
    response = client.post("/api/v1/consultations", json=new_consultation())
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic abc", "Bearer", "ct_abc"])
def test_bad_token_is_401(client, tokens, header):
    response = client.post("/api/v1/consultations", json=new_consultation(), headers={"Authorization": header})
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["reviewer", "organiser"])
def test_other_roles_cannot_do_admin_writes(client, auth, role):
    response = client.post("/api/v1/consultations", json=new_consultation(), headers=auth(role))
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"
    response = client.patch("/api/v1/consultations/anything", json={"title": "x"}, headers=auth(role))
    assert response.status_code == 403


def test_revoked_token_is_401(client, tokens, session):
    for api_token in session.scalars(select(ApiToken)):
        api_token.revoked_at = api_token.created_at
    session.commit()
    response = client.post(
        "/api/v1/consultations", json=new_consultation(), headers={"Authorization": f"Bearer {tokens['admin']}"}
    )
    assert response.status_code == 401


def test_auth_is_checked_before_the_body(client, tokens):
    response = client.post("/api/v1/consultations", data="{bad", content_type="application/json")
    assert response.status_code == 401


def test_every_write_is_audited_with_who_and_what(client, auth, session):
    client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin"))
    client.patch("/api/v1/consultations/library-hours", json={"title": "New"}, headers=auth("admin"))
    events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "consultation")).all()
    assert [(e.action, e.object_id) for e in events] == [("create", "library-hours"), ("update", "library-hours")]
    admin = session.scalar(select(User).where(User.role == "admin"))
    assert all(e.user_id == admin.id and e.occurred_at is not None for e in events)


def test_each_request_is_authenticated_on_its_own(client, auth):
    assert client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin")).status_code == 201
    response = client.post("/api/v1/consultations", json=new_consultation(slug="other"), headers=auth("reviewer"))
    assert response.status_code == 403
    assert client.post("/api/v1/consultations", json=new_consultation(slug="third")).status_code == 401


def test_last_used_at_is_written_at_most_once_a_minute_per_token(client, auth, session, tokens, freeze, count_queries):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    freeze(start)

    def used_at():
        session.expire_all()
        return session.scalar(select(ApiToken.last_used_at).where(ApiToken.token_hash == hash_token(tokens["admin"])))

    def read() -> None:
        assert client.get("/api/v1/responses/NOSUCHREF/coding", headers=auth("admin")).status_code == 404

    assert used_at() is None
    read()
    assert used_at() == start

    freeze(start + timedelta(seconds=59))
    count_queries(read)
    assert not [statement for statement in count_queries.statements if statement.startswith("UPDATE")]
    assert used_at() == start

    freeze(start + timedelta(seconds=61))
    read()
    assert used_at() == start + timedelta(seconds=61)
