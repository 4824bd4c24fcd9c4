"""The embedded default as `make run` serves it (SQLite file, threaded server, Celery's worker on a thread): 40
submissions from 20 threads at once, then a reviewer's `analysis/run`, which is queued (202) every time and never
run inside the request. When tasks ran eagerly in the request threads they overlapped and left Celery's "join
will block" flag stuck, and every `analysis/run` then failed with a 500."""

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import make_server

from consultation import create_app
from consultation.accounts.service import create_user_with_token
from consultation.analysis.models import ResponseAnalysis
from consultation.catalog.demo import DEMO_SLUG, seed_demo
from consultation.extensions import db
from consultation.jobs import embedded

SUBMISSIONS = 40
THREADS = 20
BODY = {
    "station": "dagenham",
    "answers": {
        "connection": "live_nearby",
        "agreement": "disagree",
        "impact": "Two buses to Barking is too far for my mother, who is 84. Keep the counter open, please.",
    },
}


@pytest.fixture
def embedded_server(tmp_path):
    app = create_app(
        "development",
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'embedded.db'}", "RATELIMIT_ENABLED": False},
    )
    assert app.config["BACKGROUND_JOBS"] == "thread"
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        _, token = create_user_with_token(db.session, name="Reviewer", role="reviewer", borough_codes=[])
        db.session.commit()
        db.session.remove()
    httpd = make_server("127.0.0.1", 0, app.wsgi_app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app, httpd.server_port, token
    httpd.shutdown()
    thread.join()
    embedded.wait_until_idle(timeout=60)
    with app.app_context():
        db.engine.dispose()


def _post(port: int, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST", path, body=json.dumps(body or {}), headers={"Content-Type": "application/json", **(headers or {})}
        )
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def test_concurrent_submissions_then_analysis_run_is_queued_every_time(embedded_server):
    app, port, token = embedded_server
    start = threading.Barrier(THREADS)

    def submit(number: int):
        if number < THREADS:
            start.wait()
        return _post(port, f"/api/v1/consultations/{DEMO_SLUG}/responses", BODY)

    with ThreadPoolExecutor(THREADS) as pool:
        submitted = list(pool.map(submit, range(SUBMISSIONS)))
    assert [status for status, _ in submitted] == [201] * SUBMISSIONS, submitted

    runs = [
        _post(port, f"/api/v1/consultations/{DEMO_SLUG}/analysis/run", headers={"Authorization": f"Bearer {token}"})
        for _ in range(5)
    ]
    assert [status for status, _ in runs] == [202] * 5, runs
    assert all(body["status"] == "queued" for _, body in runs)

    assert embedded.wait_until_idle(timeout=120)
    with app.app_context():
        assert db.session.scalar(select(func.count(ResponseAnalysis.response_id))) == SUBMISSIONS
        db.session.remove()
