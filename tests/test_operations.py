"""What an operator relies on: liveness and readiness, request ids in JSON logs, security headers and metrics."""

import io
import json
import logging
import socket

import pytest
from flask_migrate import upgrade

from consultation import create_app
from consultation.extensions import db
from consultation.observability import ACCESS_LOG, json_log_handler
from tests.test_errors import assert_error_shape

REDIS_URL = "redis://127.0.0.1:6379/6"  # this project's test database number on the shared Redis


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def file_database(tmp_path):
    return f"sqlite:///{tmp_path / 'ops.db'}"


def test_healthz_answers_without_touching_the_database(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"alive": True}


def test_readyz_is_ready_when_the_database_is_at_the_newest_migration(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "ready": True,
        "checks": {"database": "ok", "migrations": "ok", "broker": "skipped"},
    }


def test_readyz_is_503_in_the_error_shape_when_migrations_are_behind(file_database):
    behind = create_app("testing", {"SQLALCHEMY_DATABASE_URI": file_database})
    with behind.app_context():
        upgrade(revision="0001_foundation")
    body = assert_error_shape(behind.test_client().get("/readyz"), 503, "not_ready")
    assert list(body["errors"]) == ["migrations"]
    assert (
        "0001_foundation" in body["errors"]["migrations"][0] and "flask db upgrade" in body["errors"]["migrations"][0]
    )
    with behind.app_context():
        db.engine.dispose()


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    unreachable = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nothing"}
    )
    body = assert_error_shape(unreachable.test_client().get("/readyz"), 503, "not_ready")
    assert body["errors"]["database"][0].startswith("Unreachable")
    assert body["message"] == "Not ready: database, migrations failing."


def test_readyz_is_503_when_the_broker_is_unreachable(file_database):
    broken = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": file_database,
            "BACKGROUND_JOBS": "celery",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{_closed_port()}/0",
        },
    )
    with broken.app_context():
        upgrade()
    body = assert_error_shape(broken.test_client().get("/readyz"), 503, "not_ready")
    assert list(body["errors"]) == ["broker"]


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis on 127.0.0.1:6379 (CI has it)")
def test_readyz_checks_a_real_broker_and_metrics_read_its_queue_depth(file_database):
    live = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": file_database, "BACKGROUND_JOBS": "celery", "CELERY_BROKER_URL": REDIS_URL},
    )
    with live.app_context():
        upgrade()
    client = live.test_client()
    assert client.get("/readyz").get_json()["checks"]["broker"] == "ok"
    celery = live.extensions["celery"]
    with celery.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery.conf.task_default_queue)
    try:
        # A fresh connection: Celery's producer pool may still be bound to an earlier test app's broker.
        with celery.connection_for_write() as connection, connection.Producer() as producer:
            for _ in range(3):
                celery.send_task("operations.test_only_never_run", args=[], producer=producer)
        assert 'consultation_queue_depth{queue="celery"} 3.0' in client.get("/metrics").get_data(as_text=True)
    finally:
        with celery.connection_for_write() as connection:
            connection.default_channel.queue_purge(celery.conf.task_default_queue)


def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(client):
    generated = client.get("/healthz").headers["X-Request-Id"]
    assert len(generated) == 32 and generated != client.get("/healthz").headers["X-Request-Id"]
    assert client.get("/healthz", headers={"X-Request-Id": "lb-7f3a9c21"}).headers["X-Request-Id"] == "lb-7f3a9c21"
    odd = client.get("/healthz", headers={"X-Request-Id": "<script> or a very odd id"}).headers["X-Request-Id"]
    assert len(odd) == 32 and "<" not in odd


def test_error_responses_carry_the_request_id_too(client):
    response = client.get("/api/v1/no-such-thing", headers={"X-Request-Id": "trace-0001"})
    assert response.status_code == 404 and response.headers["X-Request-Id"] == "trace-0001"


def test_json_logs_write_one_object_per_line_with_the_request_id(client):
    stream = io.StringIO()
    handler = json_log_handler(stream)
    ACCESS_LOG.addHandler(handler)
    ACCESS_LOG.disabled = False  # Alembic's logging config disables loggers that existed before the migrations ran
    previous_level = ACCESS_LOG.level
    ACCESS_LOG.setLevel(logging.INFO)
    try:
        response = client.get("/api/v1/consultations", headers={"X-Request-Id": "trace-0002"})
    finally:
        ACCESS_LOG.removeHandler(handler)
        ACCESS_LOG.setLevel(previous_level)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert response.headers["X-Request-Id"] == "trace-0002"
    assert line["message"] == "request" and line["request_id"] == "trace-0002"
    assert (line["method"], line["path"], line["route"], line["status"]) == (
        "GET",
        "/api/v1/consultations",
        "/api/v1/consultations",
        200,
    )
    assert line["level"] == "INFO" and line["logger"] == "consultation.access" and line["duration_ms"] >= 0


def test_production_logs_are_json_by_default():
    from config import ProductionConfig

    assert ProductionConfig.LOG_FORMAT == "json"


def test_api_responses_tell_browsers_not_to_sniff_or_frame_them(client):
    headers = client.get("/api/v1/consultations").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Strict-Transport-Security" not in headers  # plain HTTP in development: HSTS would be a lie


def test_resident_pages_get_a_content_security_policy_that_allows_only_their_own_assets(client, demo):
    response = client.get("/consult/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_production_sends_hsts(monkeypatch, file_database):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-value-for-this-test-only")
    production = create_app(
        "production",
        {
            "SQLALCHEMY_DATABASE_URI": file_database,
            "SECRET_KEY": "a-long-random-value-for-this-test-only",
            "PUBLIC_BASE_URL": "https://consult.example.org",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOG_FORMAT": "text",
        },
    )
    headers = production.test_client().get("/healthz").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_metrics_count_requests_by_route_and_status_and_time_them(client):
    client.get("/api/v1/consultations/no-such-consultation")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'consultation_http_requests_total{method="GET",route="/api/v1/consultations/<slug>",status="404"}' in body
    assert (
        'consultation_http_request_duration_seconds_bucket{le="0.05",method="GET",route="/api/v1/consultations/<slug>"}'
        in body
    )


def _accepted(client, channel: str) -> float:
    prefix = f'consultation_responses_accepted_total{{channel="{channel}"}} '
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0


def test_metrics_count_accepted_responses_and_not_refused_ones(client):
    from tests.intake.conftest import GOOD_ANSWERS, make_consultation

    make_consultation(slug="metrics-count")
    before = _accepted(client, "online")
    path = "/api/v1/consultations/metrics-count/responses"
    # The consultation's window is in 2017: freeze inside it.
    import time_machine

    with time_machine.travel("2017-06-01T12:00:00Z", tick=False):
        assert client.post(path, json={"station": "dagenham", "answers": GOOD_ANSWERS}).status_code == 201
        assert client.post(path, json={"station": "dagenham", "answers": {}}).status_code == 422
    assert _accepted(client, "online") == before + 1


def test_metrics_need_the_token_when_one_is_configured(app, client):
    app.config["METRICS_TOKEN"] = "scrape-secret"
    try:
        assert_error_shape(client.get("/metrics"), 401, "unauthorized")
        assert_error_shape(client.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
        response = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert response.status_code == 200 and response.mimetype == "text/plain"
    finally:
        app.config["METRICS_TOKEN"] = ""


def test_metrics_can_be_switched_off(app, client):
    app.config["METRICS_ENABLED"] = False
    try:
        assert_error_shape(client.get("/metrics"), 404, "not_found")
    finally:
        app.config["METRICS_ENABLED"] = True


def test_production_serves_metrics_only_to_a_scraper_with_a_token(monkeypatch):
    import importlib

    import config

    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    assert importlib.reload(config).ProductionConfig.METRICS_ENABLED is False
    monkeypatch.setenv("METRICS_TOKEN", "scrape-secret")
    assert importlib.reload(config).ProductionConfig.METRICS_ENABLED is True
    monkeypatch.delenv("METRICS_TOKEN")
    importlib.reload(config)


def test_a_log_level_in_lower_case_as_gunicorn_takes_it_starts_the_app(tmp_path):
    from consultation import create_app

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        create_app("testing", {"LOG_FORMAT": "json", "LOG_LEVEL": "warning"})
        assert root.level == logging.WARNING
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
