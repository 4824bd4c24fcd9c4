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


@pytest.mark.parametrize("body", ["[]", '"text"', "42"])
def test_non_object_json_is_a_validation_error(client, auth, body):
    response = client.post("/api/v1/consultations", data=body, content_type="application/json", headers=auth("admin"))
    assert_error_shape(response, 422, "validation_error")
