"""Petition signing benchmark: online signatures per minute beside the 2,000-a-minute mark (the UK Parliament
petitions site's 2019 peak) and beside the bare-insert floor (bench/floor_app.py) in the same run.

    .venv/bin/python bench/bench_signatures.py [--database-url postgresql://postgres@127.0.0.1:5432/prod_bench]

Same set-up as bench_intake.py: gunicorn, 2 sync workers each, the production config (rate limiter on in Redis
with a budget too large to trip), wrk with 16 connections in alternating rounds. Each signature has its own
email address (so each is a new pending signature, not a resend) and a real postcode; the confirmation email is
written to a temporary outbox folder (one .eml file each), as the embedded mail setting does. The database's
schema is DROPPED and rebuilt from the migrations.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench import bench_intake, datagen, loadguard  # noqa: E402

PARLIAMENT_PEAK_PER_MINUTE = 2000
SIGN_SCRIPT = """
-- Every request a new address: wrk's threads each get their own number, and each run (round) its own seed, so no
-- two requests of the whole benchmark share an address (a shared one would be a resend, not a new signature).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
function init(args)
  counter = 0
  math.randomseed(os.time() * 1000 + thread_id)
  run = math.random(1, 1000000000)
end
request = function()
  counter = counter + 1
  local body = string.format(
    '{"name": "Signer %d", "email": "signer-%d-%d-%d@example.org", "postcode": "RM10 7TU", "consent": true}',
    counter, run, thread_id, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""


def _seed_petition(url: str) -> int:
    from consultation.catalog.demo import DEMO_SLUG
    from consultation.extensions import db
    from consultation.petitions.demo import seed_demo_petition

    app = datagen.make_app(url)
    with app.app_context():
        petition = seed_demo_petition(db.session, DEMO_SLUG)
        db.session.commit()
        petition_id = petition.id
        db.engine.dispose()
    return petition_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/prod_bench")
    parser.add_argument("--limiter-url", default="redis://127.0.0.1:6379/7", help="rate-limit storage")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5512, help="floor on this port, ours on the next")
    loadguard.add_arguments(parser)
    arguments = parser.parse_args(argv)
    guard = loadguard.start(arguments)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")

    bench_intake._prepare(arguments.database_url)
    petition_id = _seed_petition(arguments.database_url)
    work = Path(tempfile.mkdtemp(prefix="bench-signatures-"))
    env = {
        "APP_ENV": "production",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "SECRET_KEY": "bench-secret-" + "x" * 40,
        "DATABASE_URL": arguments.database_url,
        "BACKGROUND_JOBS": "thread",
        "MAIL_OUTBOX": str(work / "outbox"),
        "RATELIMIT_STORAGE_URI": arguments.limiter_url,
        "RATELIMIT_ENABLED": "true",
        "PETITION_SIGNING_RATE_LIMIT": "100000000 per minute",
    }
    floor_port, ours_port = arguments.port, arguments.port + 1
    servers = [
        bench_intake._gunicorn("bench.floor_app:app", floor_port, env, arguments.workers),
        bench_intake._gunicorn("app:app", ours_port, env, arguments.workers),
    ]
    floor_script, sign_script = work / "floor.lua", work / "sign.lua"
    floor_script.write_text(
        'wrk.method = "POST"\nwrk.body = \'{"name": "Signer", "consent": true}\'\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    sign_script.write_text(SIGN_SCRIPT)
    runs = {
        "floor": (f"http://127.0.0.1:{floor_port}/floor/responses", floor_script),
        "signing": (f"http://127.0.0.1:{ours_port}/api/v1/petitions/{petition_id}/signatures", sign_script),
    }
    results: dict[str, list[dict]] = {"floor": [], "signing": []}
    try:
        bench_intake._wait_until_up(f"http://127.0.0.1:{floor_port}/")
        bench_intake._wait_until_up(f"http://127.0.0.1:{ours_port}/api/v1/consultations")
        for url, script in runs.values():
            bench_intake._wrk(url, script, 2, arguments.connections)
        for _ in range(arguments.rounds):
            for name, (url, script) in runs.items():
                results[name].append(bench_intake._wrk(url, script, arguments.seconds, arguments.connections))
    finally:
        for server in servers:
            bench_intake._stop(server)
        import redis

        redis.Redis.from_url(arguments.limiter_url).flushdb()
    app = datagen.make_app(arguments.database_url)
    with app.app_context():
        from consultation.extensions import db

        pending = db.session.scalar(
            sa.text("SELECT count(*) FROM petition_signatures WHERE petition_id = :id AND channel = 'online'"),
            {"id": petition_id},
        )
        db.engine.dispose()
    shutil.rmtree(work, ignore_errors=True)

    print(f"machine: {datagen.machine()}")
    print(
        f"gunicorn {arguments.workers} sync workers each; wrk -t2 -c{arguments.connections} "
        f"{arguments.rounds} x {arguments.seconds} s rounds, alternating; PostgreSQL at {arguments.database_url}"
    )
    print(f"{'endpoint':<8} {'round':>5} {'req/s':>9} {'per min':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, rounds in results.items():
        for number, result in enumerate(rounds, start=1):
            print(
                f"{name:<8} {number:>5} {result['rps']:>9.0f} {result['rps'] * 60:>9.0f} {result['p50']:>8.2f} "
                f"{result['p99']:>8.2f} {result['non_2xx']:>8}"
            )
    signing = statistics.median(result["rps"] for result in results["signing"]) * 60
    floor = statistics.median(result["rps"] for result in results["floor"]) * 60
    print(f"online signatures stored (all rounds, warm-up included): {pending:,}")
    print(
        f"median: {signing:,.0f} signatures/minute; {signing / PARLIAMENT_PEAK_PER_MINUTE:.1f}x the 2,000-a-minute "
        f"mark; {guard.ratio(signing / floor, unit='x')} the floor ({floor:,.0f} inserts/minute)"
    )
    guard.finish()


if __name__ == "__main__":
    main()
