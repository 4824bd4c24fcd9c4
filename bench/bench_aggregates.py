"""Benchmark the aggregates on PostgreSQL: 1,000,000 responses by default, target under 2 seconds.

    .venv/bin/python bench/bench_aggregates.py [--n 1000000] [--database-url URL] [--reset] [--repeat 5]

Builds the data with bench/datagen.py (migrations, COPY, VACUUM ANALYZE; reused when already there), then times
the aggregates service and the HTTP endpoint (Flask test client, reviewer token) for group_by=borough and station,
campaigns=each and once. "cold" is the first call on a fresh connection pool (the server's buffer cache may still
be warm from loading); "warm" is the median of the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import datagen  # noqa: E402


def _load() -> str:
    try:
        with open("/proc/loadavg") as loadavg:
            return " ".join(loadavg.read().split()[:3])
    except OSError:
        return "unknown"


def _timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=datagen.DEFAULT_URL)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    print(datagen.machine())
    app = datagen.prepare(args.database_url, args.n, reset=args.reset)

    from consultation.accounts.service import create_user_with_token
    from consultation.catalog.service import get_consultation
    from consultation.extensions import db
    from consultation.reporting.service import compute_aggregates

    with app.app_context():
        version = db.session.scalar(db.text("SELECT version()")).split(",")[0]
        counted = db.session.scalar(db.text("SELECT count(*) FROM responses"))
        assignments = db.session.scalar(db.text("SELECT count(*) FROM theme_assignments"))
        _, token = create_user_with_token(db.session, name="Benchmark reviewer", role="reviewer")
        db.session.commit()
    print(f"{version}; {counted:,} responses, {assignments:,} theme assignments")
    print(f"load average before: {_load()} (other work on the machine inflates every figure)")
    print(f"{'what':<44} {'cold s':>8} {'warm s (median)':>16} {'groups':>7} {'total':>9}")

    worst = 0.0
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for group_by in ("borough", "station"):
        for campaigns in ("each", "once"):
            with app.app_context():
                db.engine.dispose()

                def service(group_by=group_by, campaigns=campaigns):
                    consultation = get_consultation(db.session, datagen.SLUG)
                    return compute_aggregates(db.session, consultation, group_by=group_by, campaigns=campaigns)

                cold, document = _timed(service)
                warm = statistics.median(_timed(service)[0] for _ in range(args.repeat))
                db.session.remove()
            label = f"service group_by={group_by} campaigns={campaigns}"
            print(
                f"{label:<44} {cold:>8.3f} {warm:>16.3f} {len(document['groups']):>7} "
                f"{document['overall']['total']:>9,}"
            )
            worst = max(worst, cold, warm)

            url = f"/api/v1/consultations/{datagen.SLUG}/aggregates?group_by={group_by}&campaigns={campaigns}"

            def http(url=url):
                response = client.get(url, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                return response.get_json()

            cold, body = _timed(http)
            warm = statistics.median(_timed(http)[0] for _ in range(args.repeat))
            label = f"GET aggregates group_by={group_by} campaigns={campaigns}"
            print(f"{label:<44} {cold:>8.3f} {warm:>16.3f} {len(body['groups']):>7} {body['overall']['total']:>9,}")
            worst = max(worst, cold, warm)

    print(f"load average after: {_load()}")
    verdict = "PASS" if worst < 2.0 else "FAIL"
    print(f"slowest: {worst:.3f}s -> {verdict} (target: under 2 seconds for {args.n:,} responses)")


if __name__ == "__main__":
    main()
