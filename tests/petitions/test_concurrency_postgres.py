"""1,000 concurrent signings of one petition on PostgreSQL, then their confirmations: the total equals the
confirmed rows counted by SQL. Fifty concurrent confirmations of one token count once; twenty concurrent
signings with one email make one signature.

A real threaded WSGI server (werkzeug) and real HTTP clients, so each request has its own app context, session
and database connection. Skipped on SQLite, which serialises writers and so proves nothing here. The server
listens on TEST_SERVER_PORT when set (a developer's own port range), else on a free port.
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
from consultation.petitions.models import Signature
from consultation.petitions.service import create_petition
from tests.intake.conftest import make_consultation
from tests.petitions.conftest import SIGNER, tokens_sent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL: set TEST_DATABASE_URL=postgresql://... (CI runs the suite again on PostgreSQL)",
    ),
]

SIGNINGS = 1000
THREADS = 40


@pytest.fixture
def server(app, boroughs, tokens, outbox):
    """(port, petition id): a petition open around today, served by a threaded server."""
    from consultation.accounts.models import User

    # Not frozen: the server threads read the real clock.
    make_consultation(
        "concurrency", opens_at=datetime(2020, 1, 1, tzinfo=UTC), closes_at=datetime(2999, 1, 1, tzinfo=UTC)
    )
    owner = db.session.scalar(select(User).where(User.name == "Test organiser"))
    petition = create_petition(
        db.session,
        owner,
        title="Concurrency",
        text="Signed by many at once.",
        consultation="concurrency",
        stations=["dagenham"],
        closes_at=datetime(2998, 1, 1, tzinfo=UTC),
    ).id
    db.session.remove()
    httpd = make_server("127.0.0.1", int(os.environ.get("TEST_SERVER_PORT", "0")), app.wsgi_app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port, petition
    httpd.shutdown()
    thread.join()
    httpd.server_close()


def _post(port: int, path: str, body: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def _get(port: int, path: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def _counted_by_sql(session, petition: int) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count(Signature.id)).where(
            Signature.petition_id == petition,
            Signature.confirmed_at.is_not(None),
            Signature.flagged.is_(False),
            Signature.invalidated_at.is_(None),
        )
    )


def test_1000_concurrent_signings_then_confirmations_are_counted_exactly(server, session, outbox):
    port, petition = server
    start = threading.Barrier(THREADS)

    def sign(number: int):
        if number < THREADS:
            start.wait()
        body = {**SIGNER, "name": f"Signer {number}", "email": f"signer{number}@example.org"}
        return _post(port, f"/api/v1/petitions/{petition}/signatures", body)

    with ThreadPoolExecutor(THREADS) as pool:
        signed = list(pool.map(sign, range(SIGNINGS)))
    assert [status for status, _ in signed] == [202] * SIGNINGS, [body for status, body in signed if status != 202]
    assert _get(port, f"/api/v1/petitions/{petition}/totals")["pending_online"] == SIGNINGS

    tokens = tokens_sent(outbox)
    assert len(tokens) == SIGNINGS

    def confirm(index: int):
        if index < THREADS:
            start.wait()
        return _post(port, f"/api/v1/petitions/{petition}/confirm", {"token": tokens[index]})

    with ThreadPoolExecutor(THREADS) as pool:
        confirmed = list(pool.map(confirm, range(SIGNINGS)))
    assert [body for _, body in confirmed] == [{"outcome": "confirmed", "counted": True}] * SIGNINGS

    totals = _get(port, f"/api/v1/petitions/{petition}/totals")
    assert totals["total"] == totals["confirmed_online"] == _counted_by_sql(session, petition) == SIGNINGS
    assert totals["pending_online"] == 0
    assert totals["timeline"][-1]["total"] == SIGNINGS


def test_50_concurrent_confirmations_of_one_token_count_once(server, session, outbox):
    port, petition = server
    assert _post(port, f"/api/v1/petitions/{petition}/signatures", SIGNER)[0] == 202
    [token] = tokens_sent(outbox)
    start = threading.Barrier(50)

    def confirm(_):
        start.wait()
        return _post(port, f"/api/v1/petitions/{petition}/confirm", {"token": token})

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(confirm, range(50)))
    outcomes = sorted(body["outcome"] for _, body in results)
    assert outcomes == ["already_confirmed"] * 49 + ["confirmed"]
    assert _counted_by_sql(session, petition) == 1
    assert _get(port, f"/api/v1/petitions/{petition}/totals")["total"] == 1


def test_20_concurrent_signings_with_one_email_make_one_signature(server, session):
    port, petition = server
    start = threading.Barrier(20)

    def sign(number: int):
        start.wait()
        address = f"Ada.Lovelace+{number}@gmail.com"  # one Gmail mailbox, twenty spellings
        return _post(port, f"/api/v1/petitions/{petition}/signatures", {**SIGNER, "email": address})

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(sign, range(20)))
    assert {status for status, _ in results} == {202}
    session.expire_all()
    assert session.scalar(select(func.count(Signature.id)).where(Signature.petition_id == petition)) == 1


def test_concurrent_confirmations_of_one_person_under_two_emails_count_once(server, session, outbox):
    port, petition = server
    for address in ("ada@example.org", "ada@elsewhere.example"):
        assert _post(port, f"/api/v1/petitions/{petition}/signatures", {**SIGNER, "email": address})[0] == 202
    tokens = tokens_sent(outbox)
    start = threading.Barrier(2)

    def confirm(token):
        start.wait()
        return _post(port, f"/api/v1/petitions/{petition}/confirm", {"token": token})

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(confirm, tokens))
    assert sorted(body["counted"] for _, body in results) == [False, True]
    totals = _get(port, f"/api/v1/petitions/{petition}/totals")
    assert (totals["total"], totals["flagged"]) == (1, 1)
