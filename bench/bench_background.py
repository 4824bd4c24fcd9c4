"""Background analysis in the embedded default: time to the first coded result after a submission, and
responses coded per second by the embedded worker thread, each beside the same work done directly in this process.

    .venv/bin/python bench/bench_background.py [--existing 1000] [--burst 2000] [--probes 15]
    .venv/bin/python bench/bench_background.py --database-url postgresql://postgres@127.0.0.1:5432/prod_bench

Embedded default: a SQLite file (or the PostgreSQL database given, whose schema is DROPPED and rebuilt), the
Celery worker on its thread (BACKGROUND_JOBS=thread). The demo consultation gets `--existing` analysed responses
first (bench_recode's generator), then:

1. `--probes` submissions through the API, one at a time: the time from the 201 until the response's analysis
   row exists, beside what one response's analysis costs when run directly (what the request used to pay).
2. `--burst` new responses announced at once: responses coded per second by the thread, beside a direct
   `analyse()` of another burst of the same size.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_recode  # noqa: E402
import datagen  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench import loadguard  # noqa: E402
from consultation import create_app  # noqa: E402
from consultation.analysis.demo import seed_demo_codebooks  # noqa: E402
from consultation.analysis.models import ResponseAnalysis  # noqa: E402
from consultation.analysis.service import analyse  # noqa: E402
from consultation.catalog.demo import DEMO_SLUG, seed_demo  # noqa: E402
from consultation.catalog.models import Consultation  # noqa: E402
from consultation.extensions import db  # noqa: E402
from consultation.intake.events import responses_changed  # noqa: E402
from consultation.intake.models import Response  # noqa: E402
from consultation.jobs import embedded  # noqa: E402

BODY = {
    "station": "dagenham",
    "answers": {
        "connection": "live_nearby",
        "agreement": "disagree",
        "impact": "My mother is 84 and cannot manage two buses to Barking to report a crime. Keep it open.",
    },
}


def _consultation():
    return db.session.scalar(sa.select(Consultation).where(Consultation.slug == DEMO_SLUG))


def _new_ids(count: int, seed: int) -> list[int]:
    before = db.session.scalar(sa.select(sa.func.max(Response.id))) or 0
    bench_recode.generate(db.session, _consultation(), count, seed)
    return list(db.session.scalars(sa.select(Response.id).where(Response.id > before).order_by(Response.id)))


def _coded(response_id: int) -> bool:
    with db.engine.connect() as connection:
        return (
            connection.scalar(
                sa.select(ResponseAnalysis.response_id).where(ResponseAnalysis.response_id == response_id)
            )
            is not None
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--existing", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--probes", type=int, default=15)
    loadguard.add_arguments(parser)
    arguments = parser.parse_args(argv)
    guard = loadguard.start(arguments)

    if arguments.database_url:
        datagen.ensure_database(arguments.database_url)
        url = datagen.sqlalchemy_url(arguments.database_url)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-background-')}/embedded.db"
    app = create_app(
        "development", datagen.database_settings(url) | {"RATELIMIT_ENABLED": False, "BACKGROUND_JOBS": "thread"}
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        seed_demo(db.session)
        seed_demo_codebooks(db.session)
        db.session.commit()
        _new_ids(arguments.existing, seed=1)
        started = time.perf_counter()
        analyse(db.session, _consultation())
        print(f"machine: {datagen.machine()}")
        print(
            f"database: {db.engine.dialect.name}; {arguments.existing:,} existing responses coded first "
            f"in {time.perf_counter() - started:.1f} s"
        )

        # 1. Time to the first coded result after a submission.
        client = app.test_client()
        waits, direct = [], []
        for _ in range(arguments.probes):
            reply = client.post(f"/api/v1/consultations/{DEMO_SLUG}/responses", json=BODY)
            answered = time.perf_counter()
            assert reply.status_code == 201, reply.get_json()
            response_id = db.session.scalar(
                sa.select(Response.id).where(Response.reference == reply.get_json()["reference"])
            )
            db.session.remove()
            while not _coded(response_id):
                time.sleep(0.002)
            waits.append(time.perf_counter() - answered)
            assert embedded.wait_until_idle(timeout=60)
        for number in range(arguments.probes):  # the baseline: one response analysed directly, in the foreground
            (response_id,) = _new_ids(1, seed=100 + number)
            started = time.perf_counter()
            analyse(db.session, _consultation(), response_ids=[response_id])
            direct.append(time.perf_counter() - started)
        print(
            f"time to first coded result after the 201: median {statistics.median(waits) * 1000:.0f} ms, "
            f"max {max(waits) * 1000:.0f} ms ({arguments.probes} submissions)"
        )
        print(
            f"  beside: one response analysed directly, median {statistics.median(direct) * 1000:.0f} ms "
            "(what each resident's request paid when analysis ran inside it)"
        )

        # 2. Throughput: a burst announced at once, coded by the thread; the same size coded directly.
        ids = _new_ids(arguments.burst, seed=7)
        db.session.remove()
        started = time.perf_counter()
        responses_changed(ids)
        assert embedded.wait_until_idle(timeout=3600)
        background_rate = len(ids) / (time.perf_counter() - started)
        ids = _new_ids(arguments.burst, seed=8)
        started = time.perf_counter()
        analyse(db.session, _consultation(), response_ids=ids, workers=1)
        direct_rate = len(ids) / (time.perf_counter() - started)
        print(
            f"throughput: background thread {background_rate:,.0f} responses coded/s; "
            f"direct analyse() of the same burst size {direct_rate:,.0f}/s; "
            f"ratio {guard.ratio(background_rate / direct_rate)}"
        )
        db.session.remove()
        db.engine.dispose()
    guard.finish()


if __name__ == "__main__":
    main()
