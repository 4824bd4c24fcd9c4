"""Benchmark: the cost of coding one new response, at 1,000 and at 100,000 responses already in the consultation.

For each size, a fresh database gets the demo consultation and that many responses (bench_recode's generator),
a full analysis codes them all, then new responses arrive one at a time and each is coded by the run the
background worker makes for it (`analyse(..., response_ids=[id])`). Printed per size: the median and 90th
percentile time of that run (and the median CPU time this process spent on it, which other work on the machine
does not inflate), the SQL statements it made, and, as the baseline in the same process, what the
run used to do for each new response in a consultation of this size: read every response's text again and
regroup the campaigns over them.

    .venv/bin/python bench/bench_new_response_cost.py                      # SQLite files under instance/bench/
    .venv/bin/python bench/bench_new_response_cost.py --sizes 1000,100000 --arrivals 50
    .venv/bin/python bench/bench_new_response_cost.py --database-url postgresql://postgres@127.0.0.1:5432/bench --reset

With --database-url the same PostgreSQL database is reset for each size (never point it at a database you need).
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from bench_recode import generate  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench import datagen, loadguard  # noqa: E402


def database_url(url: str | None, size: int) -> str:
    if url is None:
        folder = Path(__file__).resolve().parents[1] / "instance" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"bench_new_response_{size}.db"
        if target.exists():
            target.unlink()
        return f"sqlite:///{target}"
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def measure(size: int, arrivals: int, url: str | None, reset: bool, workers: int) -> dict:
    from flask_migrate import upgrade

    from consultation import create_app
    from consultation.analysis.demo import seed_demo_codebooks
    from consultation.analysis.service import analyse, forget_models, load_inputs, question_plan
    from consultation.analysis.service.campaigns import group_campaigns
    from consultation.analysis.service.writing import active_ids
    from consultation.catalog.demo import DEMO_SLUG, seed_demo
    from consultation.catalog.models import Consultation
    from consultation.extensions import db
    from consultation.intake.models import Response

    app = create_app("development", datagen.database_settings(database_url(url, size)))
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and reset:
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        session = db.session
        forget_models()
        seed_demo(session)
        seed_demo_codebooks(session)
        consultation = session.scalar(sa.select(Consultation).where(Consultation.slug == DEMO_SLUG))
        started = time.perf_counter()
        generate(session, consultation, size, seed=11)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        analyse(session, consultation, workers=workers)
        first_run = time.perf_counter() - started

        statements = [0]

        def count(*_args):
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        run_seconds, run_cpu_seconds, run_statements = [], [], []
        for number in range(arrivals):
            generate(session, consultation, 1, seed=1000 + number)
            new_id = session.scalar(sa.select(sa.func.max(Response.id)))
            statements[0] = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = analyse(session, consultation, response_ids=[new_id])
            run_seconds.append(time.perf_counter() - started)
            run_cpu_seconds.append(time.process_time() - cpu_started)
            run_statements.append(statements[0])
            assert summary.analysed == 1, summary.as_dict()
        event.remove(db.engine, "before_cursor_execute", count)

        # Baseline: what a run for one new response used to add, in a consultation of this size.
        baseline_seconds = []
        for _ in range(3):
            started = time.perf_counter()
            plan = question_plan(session, consultation)
            ids = active_ids(session, consultation, None)
            texts = [(rid, item.text) for rid, item in load_inputs(session, plan, ids).items() if item.text]
            group_campaigns(texts)
            baseline_seconds.append(time.perf_counter() - started)
        dialect = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    ordered = sorted(run_seconds)
    return {
        "size": size,
        "database": dialect,
        "seeded_s": seeded,
        "first_run_s": first_run,
        "median_ms": statistics.median(run_seconds) * 1000,
        "p90_ms": ordered[int(0.9 * (len(ordered) - 1))] * 1000,
        "cpu_ms": statistics.median(run_cpu_seconds) * 1000,
        "statements": statistics.median(run_statements),
        "baseline_ms": statistics.median(baseline_seconds) * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000", help="existing responses, comma-separated")
    parser.add_argument("--arrivals", type=int, default=50, help="new responses coded one by one per size")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: fresh SQLite files)")
    parser.add_argument("--reset", action="store_true", help="empty the PostgreSQL database's public schema first")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="for the first full run")
    loadguard.add_arguments(parser)
    args = parser.parse_args()
    guard = loadguard.start(args)
    if args.database_url and not args.reset:
        parser.error("--database-url needs --reset: each size starts from an empty database")
    random.seed(0)
    sizes = [int(part) for part in args.sizes.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    results = []
    for size in sizes:
        result = measure(size, args.arrivals, args.database_url, args.reset, args.workers)
        results.append(result)
        print(
            f"{size:>8,} existing ({result['database']}): seeded in {result['seeded_s']:.1f} s, "
            f"first full run {result['first_run_s']:.1f} s; one new response coded in "
            f"{result['median_ms']:.1f} ms median, {result['p90_ms']:.1f} ms p90 "
            f"({result['cpu_ms']:.1f} ms of this process's CPU), "
            f"{result['statements']:.0f} SQL statements; baseline (re-read every text, regroup) "
            f"{result['baseline_ms']:.0f} ms",
            flush=True,
        )
    if len(results) >= 2:
        small, large = results[0], results[-1]
        print(
            f"cost of one new response, {large['size']:,} vs {small['size']:,} existing: "
            f"{guard.ratio(large['median_ms'] / small['median_ms'], unit='x')} by the clock, "
            f"{guard.ratio(large['cpu_ms'] / small['cpu_ms'], unit='x')} in "
            f"CPU time (statements {large['statements']:.0f} vs "
            f"{small['statements']:.0f}); the baseline grew "
            f"{guard.ratio(large['baseline_ms'] / small['baseline_ms'], '.0f', 'x')}"
        )
    guard.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
