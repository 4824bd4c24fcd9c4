"""Intake benchmark: our submit endpoint beside the stack's floor (bench/floor_app.py), same PostgreSQL, same run.

    .venv/bin/python bench/bench_intake.py [--database-url postgresql://postgres@127.0.0.1:5432/prod_bench]

Both apps run under gunicorn with 2 workers. Ours uses the production config: background work sent to Celery on
Redis (no worker is started, so the queue only fills; it is purged afterwards), the rate limiter on, in Redis,
with a budget too large to trip. wrk (Debian's `wrk` package) drives 16 connections in alternating rounds of
10 seconds, floor first. Prints requests/s, p50 and p99 of each round, the medians, and the ratio ours/floor.
The database's schema is DROPPED and rebuilt from the migrations. `--profile N` also profiles N submissions
in process (cProfile, top functions by own time) and counts the statements each one sends.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import datagen, loadguard  # noqa: E402

SLUG = "public-access-demo"
BODY = {
    "station": "dagenham",
    "answers": {
        "connection": "live_nearby",
        "agreement": "strongly_disagree",
        "reporting": ["front_counter", "phone"],
        "impact": "My mother is 84 and cannot manage two buses to Barking to report a crime. Keep it open.",
    },
    "respondent": {"respondent_type": "resident", "postcode": "RM10 8XX"},
    "consent_to_publish": True,
}
WRK_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
# bench/floor_app.py's one table, made here so its two workers don't race to create it.
FLOOR_TABLE = (
    "CREATE TABLE floor_responses (id serial PRIMARY KEY, body json NOT NULL, received_at timestamptz NOT NULL)"
)


def _wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is serving
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up in {timeout} s")


def _gunicorn(target: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "bench/gunicorn_bench.py"), target],
        cwd=ROOT,
        env={**os.environ, **env, "BENCH_BIND": f"127.0.0.1:{port}", "BENCH_WORKERS": str(workers)},
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wrk(url: str, script: Path, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = {int(p): float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(WRK_LINE.search(output).group(1)),
        "p50": latency[50],
        "p99": latency[99],
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def _prepare(url: str) -> None:
    from flask_migrate import upgrade

    from consultation.catalog.demo import seed_demo
    from consultation.extensions import db

    datagen.ensure_database(url)
    app = datagen.make_app(url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        seed_demo(db.session)
        db.session.commit()
        with db.engine.begin() as connection:
            connection.execute(sa.text(FLOOR_TABLE))
        db.engine.dispose()


def _profile(url: str, count: int, redis_url: str) -> None:
    from consultation import create_app
    from consultation.extensions import db

    app = create_app(
        "production",
        {
            "SECRET_KEY": "bench-secret-" + "x" * 40,
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            **datagen.database_settings(datagen.sqlalchemy_url(url)),
            "CELERY_BROKER_URL": redis_url,
            "RATELIMIT_ENABLED": False,
        },
    )
    client = app.test_client()
    statements = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for _ in range(20):  # warm the caches and the pool, as a running server would be
        client.post(f"/api/v1/consultations/{SLUG}/responses", json=BODY)
    statements.clear()
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for _ in range(count):
        client.post(f"/api/v1/consultations/{SLUG}/responses", json=BODY)
    cpu, wall = time.process_time() - cpu_started, time.perf_counter() - wall_started
    print(
        f"\nin process, no profiler: {wall / count * 1000:.2f} ms each, of which {cpu / count * 1000:.2f} ms CPU here"
    )
    statements.clear()
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(count):
        reply = client.post(f"/api/v1/consultations/{SLUG}/responses", json=BODY)
        assert reply.status_code == 201, reply.get_json()
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"in process: {count} submissions, {elapsed / count * 1000:.2f} ms each (under the profiler)")
    print(f"statements per submission: {len(statements) / count:.1f}")
    for statement in sorted(set(statements))[:10]:
        print("  ", " ".join(statement.split())[:150])
    pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/prod_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="Celery broker (purged after)")
    parser.add_argument("--limiter-url", default="redis://127.0.0.1:6379/7", help="rate-limit storage")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5510, help="floor on this port, ours on the next")
    parser.add_argument("--profile", type=int, default=0, help="also profile this many submissions in process")
    parser.add_argument("--profile-only", action="store_true", help="skip the load test")
    loadguard.add_arguments(parser)
    arguments = parser.parse_args(argv)
    guard = loadguard.start(arguments)
    if not arguments.profile_only and shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")

    _prepare(arguments.database_url)
    if arguments.profile_only:
        _profile(arguments.database_url, arguments.profile or 300, arguments.redis_url)
        guard.finish()
        return
    env = {
        "APP_ENV": "production",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "SECRET_KEY": "bench-secret-" + "x" * 40,
        "DATABASE_URL": arguments.database_url,
        "CELERY_BROKER_URL": arguments.redis_url,
        "BACKGROUND_JOBS": "celery",
        "RATELIMIT_STORAGE_URI": arguments.limiter_url,
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_PUBLIC_WRITE": "100000000 per minute",
    }
    floor_port, ours_port = arguments.port, arguments.port + 1
    servers = [
        _gunicorn("bench.floor_app:app", floor_port, env, arguments.workers),
        _gunicorn("app:app", ours_port, env, arguments.workers),
    ]
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    script = work / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(BODY))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    urls = {
        "floor": f"http://127.0.0.1:{floor_port}/floor/responses",
        "ours": f"http://127.0.0.1:{ours_port}/api/v1/consultations/{SLUG}/responses",
    }
    results: dict[str, list[dict]] = {"floor": [], "ours": []}
    try:
        _wait_until_up(f"http://127.0.0.1:{floor_port}/")
        _wait_until_up(f"http://127.0.0.1:{ours_port}/api/v1/consultations")
        for url in urls.values():  # warm-up: connections, caches, first imports
            _wrk(url, script, 2, arguments.connections)
        for _ in range(arguments.rounds):
            for name, url in urls.items():
                results[name].append(_wrk(url, script, arguments.seconds, arguments.connections))
    finally:
        for server in servers:
            _stop(server)
        import redis

        redis.Redis.from_url(arguments.redis_url).flushdb()
        redis.Redis.from_url(arguments.limiter_url).flushdb()

    print(f"machine: {datagen.machine()}")
    print(
        f"gunicorn {arguments.workers} sync workers each; wrk -t2 -c{arguments.connections} "
        f"{arguments.rounds} x {arguments.seconds} s rounds, alternating; PostgreSQL at {arguments.database_url}"
    )
    print(f"{'endpoint':<8} {'round':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, rounds in results.items():
        for number, result in enumerate(rounds, start=1):
            print(
                f"{name:<8} {number:>5} {result['rps']:>9.0f} {result['p50']:>8.2f} {result['p99']:>8.2f} "
                f"{result['non_2xx']:>8} {result['socket_errors']}"
            )
    median = {
        name: {k: statistics.median(r[k] for r in rounds) for k in ("rps", "p50", "p99")}
        for name, rounds in results.items()
    }
    for name, figures in median.items():
        print(f"median {name}: {figures['rps']:.0f} req/s, p50 {figures['p50']:.2f} ms, p99 {figures['p99']:.2f} ms")
    print(f"ratio ours/floor (throughput): {guard.ratio(median['ours']['rps'] / median['floor']['rps'])}")

    if arguments.profile:
        _profile(arguments.database_url, arguments.profile, arguments.redis_url)
    guard.finish()


if __name__ == "__main__":
    main()
