"""Every failure, whoever raises it, comes back in the one error shape."""

import pytest
from flask import Blueprint

from consultation import create_app

SHAPE = {"status", "code", "message", "errors"}


def assert_error_shape(response, status: int, code: str):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == SHAPE, body
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


def test_unknown_url_is_a_json_404(client):
    assert_error_shape(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_a_json_405(client):
    response = client.delete("/api/v1/consultations")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_refused(client, auth):
    response = client.post(
        "/api/v1/consultations", data="{not json", content_type="application/json", headers=auth("admin")
    )
    assert_error_shape(response, 400, "malformed_json")


def test_oversized_body_is_a_json_413(app, client, auth):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post(
            "/api/v1/consultations", data="x" * 5000, content_type="application/json", headers=auth("admin")
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    assert_error_shape(response, 413, "payload_too_large")


def test_unexpected_exception_is_a_json_500_without_details():
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "PROPAGATE_EXCEPTIONS": False})
    boom = Blueprint("boom", __name__)

    @boom.route("/boom")
    def explode():
        raise RuntimeError("secret internals")

    app.register_blueprint(boom)
    response = app.test_client().get("/boom")
    body = assert_error_shape(response, 500, "internal_error")
    assert "secret internals" not in body["message"]


@pytest.mark.parametrize(
    "unreachable",
    [
        "sqlite:///{tmp}/no-such-folder/consultation.db",  # SQLite cannot open it: a real failure
        "postgresql+psycopg://postgres@127.0.0.1:9/consultation",  # nothing listens on port 9: connection refused
    ],
)
def test_a_database_that_cannot_be_reached_is_a_503_to_retry_not_a_500(tmp_path, unreachable):
    unreachable = unreachable.format(tmp=tmp_path)
    options = {"connect_args": {"timeout": 1}} if unreachable.startswith("sqlite") else {}
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": unreachable, "SQLALCHEMY_ENGINE_OPTIONS": options, "PROPAGATE_EXCEPTIONS": False},
    )
    response = app.test_client().get("/api/v1/consultations")
    body = assert_error_shape(response, 503, "database_unavailable")
    assert response.headers["Retry-After"] == "5" and body["errors"] == {"retry_after": [5]}
    assert "no-such-folder" not in response.get_data(as_text=True)


def test_a_database_error_that_is_not_an_outage_stays_a_500(tmp_path):
    empty = f"sqlite:///{tmp_path}/never-migrated.db"  # reachable, but no tables: our failure, not the database's
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty, "PROPAGATE_EXCEPTIONS": False})
    response = app.test_client().get("/api/v1/consultations")
    body = assert_error_shape(response, 500, "internal_error")
    assert "Retry-After" not in response.headers and "no such table" not in body["message"]


@pytest.mark.parametrize("body", ["[]", '"text"', "42"])
def test_non_object_json_is_a_validation_error(client, auth, body):
    response = client.post("/api/v1/consultations", data=body, content_type="application/json", headers=auth("admin"))
    assert_error_shape(response, 422, "validation_error")


def test_a_race_lost_on_a_unique_constraint_is_a_409_conflict(client, auth, monkeypatch):
    """Two requests create the same consultation at once: both pass the check, the database refuses the second."""
    from consultation.catalog import service
    from tests.catalog.test_consultations import new_consultation

    assert client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin")).status_code == 201
    monkeypatch.setattr(service, "slug_taken", lambda session, slug: False)  # the check ran before the first commit
    response = client.post("/api/v1/consultations", json=new_consultation(), headers=auth("admin"))
    body = assert_error_shape(response, 409, "conflict")
    assert "Reload and try again" in body["message"]
    # The failed transaction is gone: the next request works.
    assert client.get("/api/v1/consultations/library-hours").status_code == 200


def test_aggregates_with_an_unknown_grouping_are_a_validation_error_not_a_crash(app, demo):
    from consultation.catalog.demo import DEMO_SLUG
    from consultation.catalog.service import get_consultation
    from consultation.errors import ValidationFailed
    from consultation.extensions import db
    from consultation.reporting.service import compute_aggregates

    consultation = get_consultation(db.session, DEMO_SLUG)
    with pytest.raises(ValidationFailed) as raised:
        compute_aggregates(db.session, consultation, group_by="ward", campaigns="twice")
    assert raised.value.code == "validation_error"
    assert set(raised.value.errors) == {"group_by", "campaigns"}
