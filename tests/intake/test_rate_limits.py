"""Public writes are rate limited per client address; the suite's own app runs with limits off."""

from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade

from consultation import create_app
from consultation.extensions import db, limiter
from tests.intake.conftest import GOOD_ANSWERS, assert_error, make_consultation


@pytest.fixture
def limited_client(app, freeze):
    """A second app with limits on, on the same database URL (in-memory SQLite gets its own, migrated here)."""
    limited = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_PUBLIC_WRITE": "2 per minute",
        },
    )
    freeze(datetime(2017, 6, 1, 12, 0, tzinfo=UTC))
    with limited.app_context():
        upgrade()
        make_consultation()
        db.session.remove()
    yield limited.test_client()
    # The limiter is one object shared by every app; put it back as the suite's own app configured it.
    limiter.reset()
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    with limited.app_context():
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()


def _submit(client):
    return client.post(
        "/api/v1/consultations/library-hours/responses", json={"station": "dagenham", "answers": GOOD_ANSWERS}
    )


def test_the_third_public_write_in_a_minute_is_refused_with_retry_after(limited_client):
    assert _submit(limited_client).status_code == 201
    assert _submit(limited_client).status_code == 201
    refused = _submit(limited_client)
    body = assert_error(refused, 429, "rate_limited")
    assert "2 per 1 minute" in body["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 61


def test_an_accepted_write_carries_no_retry_after_but_keeps_the_budget_headers(limited_client):
    accepted = _submit(limited_client)
    assert accepted.status_code == 201
    assert "Retry-After" not in accepted.headers
    assert accepted.headers["X-RateLimit-Remaining"] == "1"


def test_amending_and_withdrawing_share_the_public_write_budget(limited_client):
    receipt = _submit(limited_client).get_json()
    token = {"X-Edit-Token": receipt["edit_token"]}
    assert limited_client.post(f"/api/v1/responses/{receipt['reference']}/withdraw", headers=token).status_code == 200
    refused = limited_client.patch(f"/api/v1/responses/{receipt['reference']}", json={"answers": {}}, headers=token)
    assert_error(refused, 429, "rate_limited")


def test_reading_is_not_limited_by_the_public_write_budget(limited_client):
    for _ in range(3):
        _submit(limited_client)
    assert limited_client.get("/api/v1/consultations/library-hours").status_code == 200
