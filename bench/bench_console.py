"""Benchmark the staff console's pages: server time and query count per page, on generated data.

    .venv/bin/python bench/bench_console.py [--n 100000] [--database-url URL] [--reset] [--repeat 5]

Builds the data with bench/datagen.py (PostgreSQL; reused when already there), signs a reviewer and an organiser
in through a one-time link, then requests each page through Flask's test client: the median of --repeat runs
after one warm-up, and the number of SQL statements the page sent. The targets: every page under 300 ms on the
demo, and the overview and the explorer under 500 ms with 100,000 responses.
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
import loadguard  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_console"
TARGET_MS = {"overview": 500, "explorer": 500, "explorer, borough and a word": 500}


def _signed_in_client(app, email: str, role: str, boroughs: tuple[str, ...] = ()):
    from sqlalchemy import select

    from consultation.accounts.models import User
    from consultation.accounts.service import create_user
    from consultation.accounts.sign_in import issue_link
    from consultation.clock import now
    from consultation.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(db.session, None, name=email, role=role, borough_codes=boroughs, email=email)
        token = issue_link(db.session, user, now())
        db.session.commit()
    client = app.test_client()
    assert client.post(f"/staff/sign-in/{token}").status_code == 303
    return client


def _pages(app) -> dict[str, str]:
    from sqlalchemy import select

    from consultation.extensions import db
    from consultation.intake.models import Response

    with app.app_context():
        response_id = db.session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1))
    base = f"/staff/consultations/{datagen.SLUG}"
    return {
        "home": "/staff/",
        "overview": base,
        "explorer": f"{base}/responses",
        "explorer, borough and a word": f"{base}/responses?borough=E09000002&words=counter",
        "response": f"{base}/responses/{response_id}",
        "tokens": "/staff/tokens",
    }


def _measure(app, client, url: str, repeat: int) -> tuple[float, int]:
    import sqlalchemy as sa

    from consultation.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    client.get(url)  # warm-up
    times = []
    for _ in range(repeat):
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        reply = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        sa.event.remove(engine, "before_cursor_execute", listener)
        assert reply.status_code == 200, (url, reply.status_code)
    return statistics.median(times), len(statements)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    loadguard.add_arguments(parser)
    args = parser.parse_args(argv)
    guard = loadguard.start(args)
    print(datagen.machine())
    app = datagen.prepare(args.database_url, args.n, reset=args.reset)
    app.config["WTF_CSRF_ENABLED"] = False  # the sign-in button is posted directly; the pages read are all GETs
    callers = {
        "reviewer": _signed_in_client(app, "bench-reviewer@example.org", "reviewer"),
        "organiser": _signed_in_client(app, "bench-organiser@example.org", "organiser", ("E09000002",)),
    }
    failed = False
    for who, client in callers.items():
        for name, url in _pages(app).items():
            if who == "organiser" and name == "response":
                continue  # the newest response may lie outside the organiser's borough
            median, queries = _measure(app, client, url, args.repeat)
            target = TARGET_MS.get(name, 300)
            verdict = "ok" if median <= target else "SLOW"
            failed |= verdict != "ok"
            if not guard.quiet:
                verdict = "not judged (loaded machine)"
            print(f"{who:9} {name:30} {median:8.1f} ms  {queries:3d} queries  (target {target} ms) {verdict}")
    guard.finish()
    sys.exit(1 if failed and guard.quiet else 0)


if __name__ == "__main__":
    main()
