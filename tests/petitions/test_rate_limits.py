"""Signing is rate limited per client address, by default as the UK Parliament petitions site does."""

from datetime import timedelta

import pytest
from flask_migrate import upgrade

from consultation import create_app
from consultation.accounts.service import create_user_with_token
from consultation.extensions import db, limiter
from consultation.petitions.service import create_petition
from tests.intake.conftest import assert_error, make_consultation
from tests.petitions.conftest import PETITION_CLOSES, SEPTEMBER, SIGNER


@pytest.fixture
def limited(app, freeze, tmp_path, request):
    """(client, petition id) on a second app with limits on, sharing the database URL (in-memory: its own)."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
    }
    limited_app = create_app("testing", {**settings, **getattr(request, "param", {})})
    freeze(SEPTEMBER)
    with limited_app.app_context():
        upgrade()
        make_consultation("police-2017")
        user, _ = create_user_with_token(db.session, name="O", role="organiser", borough_codes=["E09000002"])
        petition = create_petition(
            db.session,
            user,
            title="T",
            text="X",
            consultation="police-2017",
            stations=["dagenham"],
            closes_at=PETITION_CLOSES,
        ).id
        db.session.remove()
    yield limited_app.test_client(), petition
    limiter.reset()
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    with limited_app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()


def _sign(limited, **changes):
    client, petition = limited
    return client.post(f"/api/v1/petitions/{petition}/signatures", json={**SIGNER, **changes})


def test_the_default_is_one_signing_a_minute_and_five_in_five_minutes(app):
    assert app.config["PETITION_SIGNING_RATE_LIMIT"] == "1 per minute;5 per 5 minutes"


def test_a_second_signing_within_a_minute_is_refused_with_retry_after(limited, freeze):
    assert _sign(limited, email="a@example.org").status_code == 202
    refused = _sign(limited, email="b@example.org")
    body = assert_error(refused, 429, "rate_limited")
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= 61
    assert body["errors"]["retry_after"] == [retry_after]
    freeze(SEPTEMBER + timedelta(seconds=62))
    assert _sign(limited, email="b@example.org").status_code == 202


@pytest.mark.parametrize("limited", [{"PETITION_SIGNING_RATE_LIMIT": "2 per minute;5 per 5 minutes"}], indirect=True)
def test_the_limits_come_from_configuration_and_the_five_minute_budget_holds(limited, freeze):
    # With two a minute allowed, the five-minute budget is what refuses the sixth signing.
    for number in range(5):
        freeze(SEPTEMBER + timedelta(seconds=61 * (number // 2)))
        assert _sign(limited, email=f"p{number}@example.org").status_code == 202
    freeze(SEPTEMBER + timedelta(seconds=61 * 3))
    body = assert_error(_sign(limited, email="p5@example.org"), 429, "rate_limited")
    assert "5 per 5 minute" in body["message"]


def test_reading_totals_is_not_limited(limited):
    client, petition = limited
    _sign(limited)
    for _ in range(3):
        assert client.get(f"/api/v1/petitions/{petition}/totals").status_code == 200


def test_the_signing_page_shares_the_budget_and_answers_in_html(limited):
    client, petition = limited
    assert _sign(limited).status_code == 202
    form = {"signer-name": "B", "signer-email": "b@example.org", "signer-postcode": "RM10 7TU", "consent": "yes"}
    refused = client.post(f"/petitions/{petition}", data=form)
    assert refused.status_code == 429
    assert refused.content_type.startswith("text/html")
    assert "Wait a minute" in refused.get_data(as_text=True)
    assert client.get(f"/petitions/{petition}").status_code == 200
