"""200 concurrent submissions against PostgreSQL: every 201 is stored exactly once, none lost, none doubled.

Runs a real threaded WSGI server (werkzeug) and real HTTP clients, so each request has its own app context,
session and database connection. Skipped on SQLite, which serialises writers and so proves nothing here.
"""

import http.client
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from consultation.extensions import db
from consultation.intake.models import IdempotencyKey, Response, ResponseRevision
from tests.intake.conftest import GOOD_ANSWERS, make_consultation

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL: set TEST_DATABASE_URL=postgresql://... (CI runs the suite again on PostgreSQL)",
    ),
]

SUBMISSIONS = 200
THREADS = 40


@pytest.fixture
def server(app, boroughs):
    # Not frozen: the server threads read the real clock, so the consultation is open around today.
    make_consultation(
        "concurrency",
        opens_at=datetime(2020, 1, 1, tzinfo=UTC),
        closes_at=datetime(2999, 1, 1, tzinfo=UTC),
    )
    db.session.remove()
    # A fresh app context per request: the test's own context must not be shared with the server threads.
    httpd = make_server("127.0.0.1", 0, app.wsgi_app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join()


def _post(port: int, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1/consultations/concurrency/responses",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def test_200_concurrent_submissions_are_each_stored_exactly_once(server, session, without_analysis):
    start = threading.Barrier(THREADS)

    def submit(number: int):
        if number < THREADS:
            start.wait()
        return _post(server, {"station": "dagenham", "answers": {**GOOD_ANSWERS, "why": f"response {number}"}})

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(submit, range(SUBMISSIONS)))

    assert [status for status, _ in results] == [201] * SUBMISSIONS, [body for status, body in results if status != 201]
    references = [body["reference"] for _, body in results]
    assert len(set(references)) == SUBMISSIONS
    session.expire_all()
    stored = session.scalars(select(Response.reference)).all()
    assert sorted(stored) == sorted(references)
    assert session.scalar(select(func.count(ResponseRevision.id))) == SUBMISSIONS


def test_concurrent_retries_with_one_idempotency_key_store_one_response(server, session):
    start = threading.Barrier(20)

    def submit(_):
        start.wait()
        return _post(server, {"station": "barking", "answers": GOOD_ANSWERS}, {"Idempotency-Key": "one-key"})

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(submit, range(20)))

    assert {status for status, _ in results} == {201}
    assert len({body["reference"] for _, body in results}) == 1
    assert len({body["edit_token"] for _, body in results}) == 1
    session.expire_all()
    assert session.scalar(select(func.count(Response.id))) == 1
    assert session.scalar(select(func.count(IdempotencyKey.id))) == 1
