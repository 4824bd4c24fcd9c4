"""Benchmark petition signing and confirming through a real threaded server, beside response submission.

    .venv/bin/python bench/bench_petitions.py --database-url postgresql://postgres@127.0.0.1:5432/DB [--n 1000]
        [--threads 40] [--port 0]

In one process, against one werkzeug threaded server and one database (its schema is rebuilt by the migrations;
use a database you can wipe): --n concurrent online signings of one petition, then their --n confirmations, then
--n concurrent response submissions to the same consultation (the baseline: intake's own write path through the
same server). Prints each phase's wall time and requests per second, the machine's load average, and checks that
the petition's `total` equals the confirmed rows counted by SQL. Then times `petition_totals` beside a raw SQL
count of the counted signatures (median of 5).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench import datagen, loadguard  # noqa: E402

SIGNER = {"postcode": "RM10 7TU", "consent": True}
ANSWERS = {"connection": "live_nearby", "agreement": "disagree", "reporting": ["phone"], "why": "Too far."}
COUNTED_SQL = (
    "SELECT count(*) FROM petition_signatures WHERE petition_id = :id AND confirmed_at IS NOT NULL "
    "AND NOT flagged AND invalidated_at IS NULL"
)


def _post(port: int, path: str, body: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def _phase(name: str, threads: int, count: int, call) -> None:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(call, range(count)))
    elapsed = time.perf_counter() - started
    bad = [status for status in statuses if status >= 300]
    print(f"{name:<32} {count:>6} requests  {elapsed:7.2f} s  {count / elapsed:8.1f} req/s  failures: {len(bad)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=40)
    parser.add_argument("--port", type=int, default=0)
    loadguard.add_arguments(parser)
    options = parser.parse_args()
    guard = loadguard.start(options)

    from flask_migrate import upgrade

    from consultation import create_app
    from consultation.accounts.service import create_user_with_token
    from consultation.extensions import db
    from consultation.petitions.service import create_petition, petition_totals
    from tests.conftest import _drop_everything
    from tests.intake.conftest import make_consultation
    from tests.petitions.conftest import tokens_sent

    outbox = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    app = create_app("testing", datagen.database_settings(options.database_url) | {"MAIL_OUTBOX": str(outbox)})
    with app.app_context():
        _drop_everything(db.engine)
        upgrade()
        make_consultation(
            "bench", opens_at=datetime(2020, 1, 1, tzinfo=UTC), closes_at=datetime(2999, 1, 1, tzinfo=UTC)
        )
        owner, _ = create_user_with_token(db.session, name="Bench", role="organiser", borough_codes=["E09000002"])
        petition = create_petition(
            db.session,
            owner,
            title="Bench",
            text="Bench.",
            consultation="bench",
            stations=["dagenham"],
            closes_at=datetime(2998, 1, 1, tzinfo=UTC),
        ).id
        dialect = db.engine.dialect.name
        db.session.remove()

    server = make_server("127.0.0.1", options.port, app.wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port
    print(f"database: {dialect}; threads: {options.threads}")
    try:
        _phase(
            "petition signings (202)",
            options.threads,
            options.n,
            lambda i: _post(
                port,
                f"/api/v1/petitions/{petition}/signatures",
                {**SIGNER, "name": f"Signer {i}", "email": f"s{i}@example.org"},
            ),
        )
        tokens = tokens_sent(outbox)
        _phase(
            "petition confirmations (200)",
            options.threads,
            len(tokens),
            lambda i: _post(port, f"/api/v1/petitions/{petition}/confirm", {"token": tokens[i]}),
        )
        _phase(
            "baseline: response submissions",
            options.threads,
            options.n,
            lambda i: _post(port, "/api/v1/consultations/bench/responses", {"station": "dagenham", "answers": ANSWERS}),
        )
    finally:
        server.shutdown()
        thread.join()
        server.server_close()

    with app.app_context():
        totals = petition_totals(db.session, petition)
        counted = db.session.scalar(text(COUNTED_SQL), {"id": petition})
        verdict = "equal" if totals["total"] == counted else "DIFFER"
        print(f"total {totals['total']}, confirmed rows counted by SQL {counted}: {verdict}")
        service_times, sql_times = [], []
        for _ in range(5):
            started = time.perf_counter()
            petition_totals(db.session, petition)
            service_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            db.session.scalar(text(COUNTED_SQL), {"id": petition})
            sql_times.append(time.perf_counter() - started)
        print(
            f"petition_totals median {statistics.median(service_times) * 1000:.1f} ms "
            f"(baseline raw SQL count {statistics.median(sql_times) * 1000:.1f} ms, ratio "
            f"{guard.ratio(statistics.median(service_times) / statistics.median(sql_times))}) over {counted} signatures"
        )
        db.session.remove()
        _drop_everything(db.engine)
    guard.finish()


if __name__ == "__main__":
    main()
