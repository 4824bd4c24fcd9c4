"""Import benchmark: generate a CSV of paper/email responses and import it through the intake service.

    .venv/bin/python bench/bench_import.py                       # 100,000 rows into a temporary SQLite file
    .venv/bin/python bench/bench_import.py --database postgresql://postgres@127.0.0.1:5432/bench

Prints rows per second for the checking and storing phases and, on PostgreSQL, the time a plain COPY of the
same stored rows takes in the same run (the floor), with the ratio. The database's schema is DROPPED and rebuilt
from the migrations, so never point it at data you want to keep. Without --database it uses
TEST_DATABASE_URL or DATABASE_URL when set, else a temporary SQLite file. Not a test: nothing here asserts.
"""

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench import loadguard  # noqa: E402
from config import _database_url, engine_options  # noqa: E402
from consultation import create_app  # noqa: E402
from consultation.catalog.demo import HISTORICAL_SLUG, seed_demo  # noqa: E402
from consultation.catalog.service import get_consultation  # noqa: E402
from consultation.clock import LONDON  # noqa: E402
from consultation.extensions import db  # noqa: E402
from consultation.intake.imports import import_responses  # noqa: E402


def generate_csv(consultation, rows: int, seed: int = 7) -> bytes:
    """Rows across the consultation's window and two weeks past it (so some are late), answers for every question."""
    rng = random.Random(seed)
    questions = consultation.questionnaire.questions
    stations = [station.slug for station in consultation.stations]
    start = consultation.opens_at
    span = (consultation.closes_at - consultation.opens_at) + timedelta(days=14)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["channel", "received_at", "station", *[q.code for q in questions], "name", "email", "postcode"])
    for number in range(rows):
        received = (start + timedelta(seconds=rng.randrange(int(span.total_seconds())))).astimezone(LONDON)
        answers = []
        for question in questions:
            values = question.option_values
            if question.kind == "multiple_choice":
                answers.append(";".join(rng.sample(values, rng.randint(1, 3))))
            elif question.kind == "free_text":
                answers.append("RM10" if question.max_length and question.max_length < 10 else f"Comment {number}")
            else:
                answers.append(rng.choice(values))
        person = ["A Resident", f"resident{number}@example.org", "RM10 8AB"] if number % 4 == 0 else ["", "", ""]
        writer.writerow(
            [
                rng.choice(["paper", "email"]),
                received.strftime("%Y-%m-%d %H:%M:%S"),
                rng.choice(stations),
                *answers,
                *person,
            ]
        )
    return buffer.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default=os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL"))
    parser.add_argument(
        "--without-foreign-keys",
        action="store_true",
        help="diagnosis only (PostgreSQL): drop the stored tables' foreign keys first, to show what their checks cost",
    )
    loadguard.add_arguments(parser)
    arguments = parser.parse_args()
    guard = loadguard.start(arguments)
    directory = tempfile.mkdtemp(prefix="bench-import-")
    url = _database_url(arguments.database) if arguments.database else f"sqlite:///{directory}/bench.db"
    # Analysis runs in the background in every real deployment, never inside the import: its notices go to a broker
    # here (in memory, with no worker), so the time is the import's own, as the person importing waits for it.
    settings = {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)}
    app = create_app("testing", settings | {"BACKGROUND_JOBS": "celery", "CELERY_BROKER_URL": "memory://"})
    with app.app_context():
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        seed_demo(db.session)
        if arguments.without_foreign_keys and db.engine.dialect.name == "postgresql":
            _drop_foreign_keys()
        consultation = get_consultation(db.session, HISTORICAL_SLUG)
        content = generate_csv(consultation, arguments.rows)
        print(f"{db.engine.dialect.name}: {arguments.rows:,} rows, {len(content) / 1e6:.1f} MB of CSV")

        marks: dict[str, float] = {}

        def progress(phase: str, done: int, total: int) -> None:
            marks.setdefault(phase, time.perf_counter())
            marks[phase + "_end"] = time.perf_counter()

        started = time.perf_counter()
        report = import_responses(
            db.session, None, slug=HISTORICAL_SLUG, filename="bench.csv", content=content, progress=progress
        )
        elapsed = time.perf_counter() - started
        stored_at = marks.get("storing_end", started + elapsed)
        checking = marks.get("checking_end", started) - started
        storing = stored_at - marks.get("checking_end", started)
        print(
            f"imported {report.imported:,} ({report.late:,} late) in {elapsed:.1f} s: "
            f"{report.imported / elapsed:,.0f} rows/s"
        )
        print(
            f"  checking {checking:.1f} s, storing and committing {elapsed - checking:.1f} s (inserts {storing:.1f} s)"
        )
        if db.engine.dialect.name == "postgresql":
            copy_seconds, copied = copy_baseline(consultation.id)
            print(
                f"baseline: PostgreSQL COPY of the same {copied:,} stored rows (responses, answers, respondents, "
                f"revisions) into empty copies of the tables with their indexes: {copy_seconds:.1f} s"
            )
            print(f"import time / COPY time: {guard.ratio(elapsed / copy_seconds, '.1f', 'x')}")
    guard.finish()


COPIED_TABLES = ("respondents", "responses", "answers", "response_revisions")


def _drop_foreign_keys() -> None:
    """Diagnosis only: the app never runs like this. Drops the foreign keys of the tables an import stores into."""
    rows = db.session.execute(
        sa.text(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables)"
        ),
        {"tables": list(COPIED_TABLES)},
    ).all()
    for table, name in rows:
        db.session.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    db.session.commit()
    print(f"DIAGNOSIS: {len(rows)} foreign keys dropped from {', '.join(COPIED_TABLES)} (not how the app runs)")


def copy_baseline(consultation_id: int) -> tuple[float, int]:
    """COPY the rows the import stored into empty clones of their tables (same columns, defaults, indexes).

    The floor for loading these rows: no parsing, no checking, no foreign keys. The rows are read out first
    (COPY TO, untimed), then loaded in one transaction (COPY FROM, timed) and the clones dropped."""
    scopes = {
        "responses": f"consultation_id = {consultation_id}",
        "respondents": f"id IN (SELECT respondent_id FROM responses WHERE consultation_id = {consultation_id})",
        "answers": f"response_id IN (SELECT id FROM responses WHERE consultation_id = {consultation_id})",
        "response_revisions": f"response_id IN (SELECT id FROM responses WHERE consultation_id = {consultation_id})",
    }
    raw = db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        dumps: dict[str, bytes] = {}
        rows = 0
        for table in COPIED_TABLES:
            with cursor.copy(f"COPY (SELECT * FROM {table} WHERE {scopes[table]}) TO STDOUT") as copy:
                dumps[table] = b"".join(bytes(block) for block in copy)
            rows += dumps[table].count(b"\n")
            cursor.execute(f"CREATE TABLE copy_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)")
        raw.driver_connection.commit()
        started = time.perf_counter()
        for table in COPIED_TABLES:
            with cursor.copy(f"COPY copy_{table} FROM STDIN") as copy:
                copy.write(dumps[table])
        raw.driver_connection.commit()
        elapsed = time.perf_counter() - started
        for table in COPIED_TABLES:
            cursor.execute(f"DROP TABLE copy_{table}")
        raw.driver_connection.commit()
        return elapsed, rows
    finally:
        raw.close()


if __name__ == "__main__":
    main()
