"""Bulk generator for the aggregates and export benchmarks: N responses with answers, analyses, theme assignments
and campaigns, loaded into PostgreSQL with COPY (psycopg) after building the schema with the real migrations.

    .venv/bin/python bench/datagen.py [--n 1000000] [--database-url postgresql://postgres@127.0.0.1:5432/bench_agg]

The data goes into the demo's 2017 consultation (73 stations in 32 boroughs). Roughly: 3% late (paper/email),
1% withdrawn, 5% in one of 400 campaigns, 1.5 theme assignments per response, 8% uncoded, 2% flagged.
Rerunning with the same N reuses the data; --reset rebuilds it.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_agg"
SLUG = "public-access-2017"
THEMES = [
    ("response_times", "Police response times"),
    ("safety", "Feeling safe"),
    ("access", "Getting to a counter"),
    ("vulnerable", "Vulnerable and elderly people"),
    ("reporting", "Reporting a crime"),
    ("savings", "Savings and budgets"),
    ("visibility", "Police visibility"),
    ("online_reporting", "Reporting online"),
]
OPENINGS = [
    "I have lived near this station for twenty years.",
    "As a shop owner on the high street,",
    "My mother is 84 and cannot use the internet.",
    "I understand the budget is tight, but",
    "Honestly, I rarely go to the front counter.",
    "The station is the only place open at night.",
]
BODIES = [
    "closing the counter would leave the area without any visible police presence",
    "the nearest 24-hour counter is two buses away and that is too far for many people",
    "reporting online works well for me and saves everyone time",
    "the money saved should go to officers on the street instead of buildings",
    "people in crisis need somewhere to walk in and talk to someone face to face",
    "I worry that crime will go up once the building is sold",
]
ENDINGS = ["Please keep it open.", "I support the change.", "Think again.", "Thank you for listening.", ""]
STANCE_FOR_AGREEMENT = {
    "strongly_agree": "support",
    "agree": "support",
    "neither": "neutral",
    "disagree": "oppose",
    "strongly_disagree": "oppose",
}


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise SystemExit("The benchmarks need a PostgreSQL URL.")


def database_settings(url: str) -> dict:
    """The app's settings for a database URL; the engine options follow the URL (SQLite's must not reach psycopg)."""
    from config import engine_options

    return {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)}


def add_arguments(parser) -> None:
    """The options of the benchmarks that read datagen's data: its size, its database, a rebuild, the repeats."""
    parser.add_argument("--size", "--n", type=int, default=1_000_000, help="responses (--size 2000: a quick check)")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reset", action="store_true", help="rebuild the data even when it is there")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after one warm-up; the median is shown")


def start(parser, argv):
    """Parse the common options (and the caller's own), start the load guard, and build or reuse the data: the
    parsed arguments, the guard and the app."""
    from bench import loadguard

    add_arguments(parser)
    loadguard.add_arguments(parser)
    args = parser.parse_args(argv)
    guard = loadguard.start(args)
    print(machine())
    return args, guard, prepare(args.database_url, args.size, reset=args.reset)


def median_seconds(function, repeat: int) -> tuple[float, object]:
    """The median time of `repeat` runs after a warm-up run (plans, buffers, statement caches); and its result."""
    result = function()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it is missing (connecting to the server's `postgres` database to do it)."""
    target = sa.engine.make_url(sqlalchemy_url(url))
    admin = libpq_url(target.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{target.database}"')


def make_app(url: str):
    from consultation import create_app

    return create_app("development", database_settings(sqlalchemy_url(url)) | {"RATELIMIT_ENABLED": False})


def machine() -> str:
    import os
    import platform

    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            memory = f", {int(meminfo.readline().split()[1]) // 1024} MiB RAM"
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores{memory}, Python {platform.python_version()}"


def _text(rng: random.Random) -> str:
    return " ".join(filter(None, (rng.choice(OPENINGS), rng.choice(BODIES) + ".", rng.choice(ENDINGS))))


def generate(app, n: int, seed: int = 2017) -> None:
    """Load n responses and everything hanging off them into the migrated, empty database."""
    from consultation.analysis.models import Codebook, Theme
    from consultation.catalog.demo import seed_demo
    from consultation.catalog.models import Consultation
    from consultation.extensions import db

    rng = random.Random(seed)
    with app.app_context():
        seed_demo(db.session)
        consultation = db.session.scalar(sa.select(Consultation).where(Consultation.slug == SLUG))
        codebook = Codebook(consultation_id=consultation.id, description="Benchmark codebook", stances={})
        codebook.themes = [Theme(key=key, label=label) for key, label in THEMES]
        db.session.add(codebook)
        db.session.commit()
        theme_ids = [theme.id for theme in codebook.themes]
        station_ids = [station.id for station in consultation.stations]
        questions = {question.code: question.id for question in consultation.questionnaire.questions}
        consultation_id = consultation.id
        opens_at, closes_at = consultation.opens_at, consultation.closes_at
        url = libpq_url(db.engine.url.render_as_string(hide_password=False))

    campaign_count = 400
    campaign_texts = [_text(rng) + f" (campaign letter {index})" for index in range(campaign_count)]
    window = (closes_at - opens_at).total_seconds()
    started = time.perf_counter()
    with psycopg.connect(url) as connection:
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY campaigns (id, consultation_id, key, size, sample_text, detected_at) FROM STDIN"
            ) as copy:
                for index, text in enumerate(campaign_texts, start=1):
                    copy.write_row((index, consultation_id, f"campaign-{index:04d}", 0, text, closes_at))
            responses = cursor.copy(
                "COPY responses (id, consultation_id, station_id, reference, respondent_type, channel, received_at,"
                " late, status, consent_to_publish, version, created_at, updated_at) FROM STDIN"
            )
            with responses as copy_responses:
                rows_answers: list[tuple] = []
                rows_analyses: list[tuple] = []
                rows_assignments: list[tuple] = []
                for response_id in range(1, n + 1):
                    late = rng.random() < 0.03
                    channel = rng.choice(("paper", "email")) if late else rng.choices(CHANNELS, (85, 10, 5))[0]
                    if late:
                        received_at = closes_at + timedelta(hours=rng.randint(1, 240))
                    else:
                        received_at = opens_at + timedelta(seconds=rng.random() * window)
                    status = "withdrawn" if rng.random() < 0.01 else "active"
                    copy_responses.write_row(
                        (
                            response_id,
                            consultation_id,
                            rng.choice(station_ids),
                            f"MOPAC-{response_id:08d}",
                            rng.choices(TYPES, (85, 6, 4, 1, 4))[0],
                            channel,
                            received_at,
                            late,
                            status,
                            rng.random() < 0.6,
                            1,
                            received_at,
                            received_at,
                        )
                    )
                    campaign_id = rng.randint(1, campaign_count) if rng.random() < 0.05 else None
                    text = campaign_texts[campaign_id - 1] if campaign_id else _text(rng)
                    agreement = rng.choices(list(STANCE_FOR_AGREEMENT), (5, 10, 10, 25, 50))[0]
                    reporting = rng.sample(("front_counter", "phone", "online", "officer"), rng.randint(1, 2))
                    rows_answers.append((response_id, questions["connection"], json.dumps("live_nearby"), None))
                    rows_answers.append((response_id, questions["agreement"], json.dumps(agreement), None))
                    rows_answers.append((response_id, questions["reporting"], json.dumps(reporting), None))
                    rows_answers.append((response_id, questions["impact"], json.dumps(text), text))
                    stance = None if rng.random() < 0.08 else STANCE_FOR_AGREEMENT[agreement]
                    flagged = rng.random() < 0.02
                    rows_analyses.append(
                        (
                            response_id,
                            consultation_id,
                            stance,
                            "agreement" if stance else None,
                            0.9 if stance else None,
                            campaign_id,
                            flagged,
                            False,
                            text,
                            received_at,
                        )
                    )
                    for theme_id in rng.sample(theme_ids, rng.choice((1, 1, 2, 2))):
                        rows_assignments.append((response_id, theme_id, round(rng.uniform(0.3, 0.99), 3), "machine"))
        print(f"  responses: {n:,} rows in {time.perf_counter() - started:.1f}s", flush=True)
        _copy_rows(
            connection,
            "COPY answers (response_id, question_id, value, text) FROM STDIN",
            rows_answers,
            "answers",
        )
        del rows_answers
        _copy_rows(
            connection,
            "COPY response_analyses (response_id, consultation_id, stance, stance_source, stance_confidence,"
            " campaign_id, flag_pii, flag_abusive, redacted_text, analysed_at) FROM STDIN",
            rows_analyses,
            "response_analyses",
        )
        del rows_analyses
        now = datetime.now(UTC)
        _copy_rows(
            connection,
            "COPY theme_assignments (response_id, theme_id, confidence, source, assigned_at) FROM STDIN",
            [row + (now,) for row in rows_assignments],
            "theme_assignments",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE campaigns SET size = counts.size FROM (SELECT campaign_id, count(*) AS size"
                " FROM response_analyses WHERE campaign_id IS NOT NULL GROUP BY campaign_id) counts"
                " WHERE counts.campaign_id = campaigns.id"
            )
            for table in ("campaigns", "responses"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
    print(f"  loaded in {time.perf_counter() - started:.1f}s", flush=True)


CHANNELS = ("online", "paper", "email")
TYPES = ("resident", "business", "organisation", "elected_representative", None)


def _copy_rows(connection, statement: str, rows: list[tuple], name: str) -> None:
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    print(f"  {name}: {len(rows):,} rows in {time.perf_counter() - started:.1f}s", flush=True)


def response_count(app) -> int:
    from consultation.extensions import db

    with app.app_context():
        inspector = sa.inspect(db.engine)
        if "responses" not in inspector.get_table_names():
            return -1
        return db.session.scalar(sa.text("SELECT count(*) FROM responses"))


def prepare(url: str, n: int, reset: bool = False):
    """A migrated database holding exactly n generated responses, analysed and ready; returns the Flask app."""
    ensure_database(url)
    app = make_app(url)
    if not reset and response_count(app) == n:
        print(f"Reusing {n:,} responses in {sa.engine.make_url(sqlalchemy_url(url)).database}", flush=True)
        from consultation.extensions import db

        with app.app_context():
            upgrade()  # newer revisions (indexes) apply to the data already there
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("ANALYZE"))
        return app
    from consultation.extensions import db

    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    print(f"Generating {n:,} responses ...", flush=True)
    generate(app, n)
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        started = time.perf_counter()
        connection.execute(sa.text("VACUUM ANALYZE"))
        print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.1f}s", flush=True)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args(argv)
    print(machine())
    prepare(args.database_url, args.n, reset=args.reset)


if __name__ == "__main__":
    main()
