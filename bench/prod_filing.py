"""Filing an all-borough submission in the production set-up: gunicorn (its 30 s worker timeout), PostgreSQL,
Redis and a separate Celery worker. A check, not a race: it shows that no request waits on the render.

    .venv/bin/python bench/prod_filing.py                       # 32 boroughs, 70 responses a station
    .venv/bin/python bench/prod_filing.py --per-station 2       # quick check

Builds the demo consultation with generated responses in its own PostgreSQL database (schema dropped and
rebuilt), drafts a submission over one station of every borough (as bench_submission.py does), then starts
gunicorn with the deployment's own `gunicorn.conf.py` and a Celery worker over Redis, and through the API:
`POST .../file` (timed: it must answer at once with 202), polls the job every second (each poll timed), and once it
is done downloads the filed PDF and checks its SHA-256 against the receipt. Prints the slowest request, the
filing's wall time, the pages and the load average before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import datagen  # noqa: E402
from bench_submission import build  # noqa: E402

from bench import loadguard  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/prod_filing"


def prepare(url: str, per_station: int) -> tuple[int, str]:
    """A fresh database with the demo, generated responses and the submission; its id and an owner's API token."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from consultation.accounts.service import create_token
    from consultation.extensions import db
    from consultation.submissions.models import Submission

    datagen.ensure_database(url)
    app = datagen.make_app(url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    submission_id, stations, boroughs = build(app, per_station)
    with app.app_context():
        owner = db.session.get(Submission, submission_id).owner
        token = create_token(db.session, owner)
        db.session.commit()
        db.engine.dispose()
    print(f"submission {submission_id}: {boroughs} boroughs, {stations} stations", flush=True)
    return submission_id, token


def reuse(url: str) -> tuple[int, str]:
    """The newest draft submission of an earlier run's database, and a new token for its owner."""
    from sqlalchemy import select

    from consultation.accounts.service import create_token
    from consultation.extensions import db
    from consultation.submissions.models import Submission

    app = datagen.make_app(url)
    with app.app_context():
        submission = db.session.scalar(
            select(Submission).where(Submission.status == "draft").order_by(Submission.id.desc()).limit(1)
        )
        if submission is None:
            raise SystemExit("No draft submission to reuse: run without --reuse")
        token = create_token(db.session, submission.owner)
        db.session.commit()
        submission_id = submission.id
        db.engine.dispose()
    return submission_id, token


def start_services(url: str, port: int, redis_url: str) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": "filing-check-" + "x" * 40,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "BACKGROUND_JOBS": "celery",
        "CELERY_BROKER_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "warning",
    }
    web = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "app:app"], cwd=ROOT, env=env)
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "consultation.worker", "worker", "--loglevel=WARNING", "-c", "1"],
        cwd=ROOT,
        env=env,
    )
    return [web, worker]


def wait_until_up(base: str) -> None:
    for _ in range(120):
        try:
            requests.get(f"{base}/api/v1/consultations", timeout=30)
            return
        except requests.RequestException:  # not listening yet, or a worker still starting on a busy machine
            time.sleep(0.5)
    raise SystemExit("gunicorn did not start")


def file_and_follow(base: str, submission_id: int, token: str, limit_seconds: float) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    timings: list[float] = []

    def timed(method: str, path: str) -> requests.Response:
        started = time.perf_counter()
        reply = requests.request(method, base + path, headers=headers, timeout=60)
        timings.append(time.perf_counter() - started)
        return reply

    started = time.perf_counter()
    reply = timed("POST", f"/api/v1/submissions/{submission_id}/file")
    if reply.status_code != 202:
        raise SystemExit(f"file: {reply.status_code} {reply.text[:500]}")
    job = reply.json()
    print(f"POST .../file: {reply.status_code} in {timings[-1] * 1000:.0f} ms, job {job['id']}", flush=True)
    while job["status"] in ("queued", "running") and time.perf_counter() - started < limit_seconds:
        time.sleep(1)
        job = timed("GET", job["poll_url"]).json()
    elapsed = time.perf_counter() - started
    print(f"job {job['status']} after {elapsed:.1f} s: {job.get('pages')} pages, error {job.get('error')!r}")
    if job["status"] != "done":
        raise SystemExit("the filing did not finish")
    pdf = timed("GET", f"/api/v1/submissions/{submission_id}/pdf")
    digest = hashlib.sha256(pdf.content).hexdigest()
    receipt = job["filing"] or {}
    print(f"filed PDF: {len(pdf.content) / 1e6:.2f} MB, SHA-256 {digest[:16]}..., receipt says {job['sha256'][:16]}...")
    print(f"receipt reference {receipt.get('reference')}, filed at {receipt.get('filed_at')}")
    print(f"requests: {len(timings)}, slowest {max(timings) * 1000:.0f} ms (gunicorn's worker timeout: 30 s)")
    if digest != job["sha256"]:
        raise SystemExit("the downloaded PDF does not match the receipt's hash")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-station", type=int, default=70, help="generated responses per station")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="broker and limiter (flushed after)")
    parser.add_argument("--port", type=int, default=5530)
    parser.add_argument("--limit", type=float, default=900, help="seconds to wait for the filing")
    parser.add_argument("--reuse", action="store_true", help="file the newest draft of an earlier run's database")
    loadguard.add_arguments(parser)
    arguments = parser.parse_args(argv)
    guard = loadguard.start(arguments)
    print(datagen.machine(), flush=True)
    url = datagen.sqlalchemy_url(arguments.database_url).replace("postgresql+psycopg://", "postgresql://")
    if arguments.reuse:
        submission_id, token = reuse(arguments.database_url)
    else:
        submission_id, token = prepare(arguments.database_url, arguments.per_station)
    services = start_services(url, arguments.port, arguments.redis_url)
    base = f"http://127.0.0.1:{arguments.port}"
    try:
        wait_until_up(base)
        file_and_follow(base, submission_id, token, arguments.limit)
    finally:
        for process in services:
            process.terminate()
            process.wait(timeout=60)
        import redis

        redis.Redis.from_url(arguments.redis_url).flushdb()
    guard.finish()


if __name__ == "__main__":
    main()
