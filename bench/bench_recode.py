"""Benchmark: code and re-code 100,000 responses through the analysis pipeline, database writes included.

Bulk-generates responses with free text (recombined phrase fragments, some template-letter campaigns, some
personal data) for the demo consultation, then times:

  1. the first analysis (every response coded and written: analyses, theme assignments, history, campaigns),
  2. an incremental run with nothing changed (hashes only),
  3. a full re-code (`force`), the figure the "under a minute" goal is about.

    .venv/bin/python bench/bench_recode.py                       # SQLite file under instance/bench/
    .venv/bin/python bench/bench_recode.py --database-url postgresql://postgres@127.0.0.1:5432/bench --reset

`--reset` empties the PostgreSQL database's public schema first (never point it at a database you need).
"""

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench import loadguard  # noqa: E402

OPENERS = [
    "I strongly object to this proposal.",
    "I support the plan.",
    "Not sure what to think about this.",
    "Please keep the front counter open.",
    "This makes sense to me.",
    "This is a terrible idea.",
    "Fine by me, nobody uses it.",
    "I have lived here for twenty years.",
    "As a local shop owner I am worried.",
    "Honestly, I am torn.",
]
BODIES = [
    "My mother is 84 and cannot use the internet to report anything.",
    "It takes two buses and an hour to get to the next station.",
    "Knife crime and moped gangs are getting worse on our estate.",
    "Seeing the police station there makes people feel safe.",
    "The government cuts mean money has to be saved somewhere.",
    "I report everything online or by phone on 101 anyway.",
    "I would rather have officers on the beat than a building.",
    "The building will be sold off for flats and never come back.",
    "The decision has already been made, this consultation is a sham.",
    "Only a handful of crimes are reported at the counter each day.",
    "Victims of domestic abuse need somewhere safe to walk in.",
    "Burglaries on our street have doubled this year.",
    "Where will the neighbourhood team be based after the sale?",
    "Parking near the station is impossible anyway.",
    "The counter is shut half the time already.",
    "Disabled people cannot travel across the borough easily.",
    "Antisocial behaviour outside the shops is constant.",
    "The figures show more visitors than the other station.",
]
CLOSERS = ["", "", "Thank you.", "Please listen to residents.", "Keep it open!", "It is the right call."]
STATIONS = ["Dagenham", "Barkingside", "Hornchurch", "Sidcup", "Eltham", "Orpington", "Chingford", "Acton"]
TEMPLATES = [
    "I object to the closure of the front counter. The station is a vital part of our community and must stay "
    "open for residents who need to report crime in person.",
    "As a member of the residents association I ask the Mayor to reconsider. Closing the counter will leave the "
    "most vulnerable without help and will cost more in the long run.",
]
# A personal detail per response, so texts are as varied as real ones and only the templates form campaigns.
PEOPLE = [
    "My neighbour",
    "My son",
    "My daughter",
    "My husband",
    "My wife",
    "A friend",
    "My grandmother",
    "The shopkeeper",
    "Our childminder",
    "My brother",
    "A colleague",
    "The vicar",
    "My sister",
    "My lodger",
]
EVENTS = [
    "was mugged near",
    "had a bike stolen outside",
    "was threatened at",
    "saw a fight by",
    "lost a wallet at",
    "reported a break-in at",
    "was followed home from",
    "found a knife near",
    "had a car broken into at",
]
PLACES = [
    "the bus station",
    "the high street",
    "the library",
    "the park gates",
    "the market",
    "the chip shop",
    "the school",
    "the leisure centre",
    "the church",
    "the tube",
    "the estate",
    "the allotments",
]
WHEN = [
    "last winter",
    "in March",
    "two weeks ago",
    "at Christmas",
    "last night",
    "in the summer holidays",
    "on a Sunday",
    "after the football",
    "before lockdown",
    "this morning",
    "years ago",
]
AGREEMENT = ["strongly_agree", "agree", "neither", "disagree", "strongly_disagree"]


def make_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        text = rng.choice(TEMPLATES)
        return text if rng.random() < 0.7 else text + f" Signed, resident of {rng.choice(STATIONS)}."
    parts = [rng.choice(OPENERS)]
    parts += rng.sample(BODIES, rng.randint(1, 3))
    parts.append(f"{rng.choice(PEOPLE)} {rng.choice(EVENTS)} {rng.choice(PLACES)} {rng.choice(WHEN)}.")
    parts.append(f"{rng.choice(STATIONS)} matters to me after {rng.randint(2, 60)} years here.")
    if rng.random() < 0.03:
        parts.append(f"Contact me on 07700 9{rng.randint(10000, 99999)} or r{rng.randint(1, 9999)}@example.com.")
    parts.append(rng.choice(CLOSERS))
    return " ".join(part for part in parts if part)


def database_url(url: str | None) -> str:
    if url is None:
        folder = Path(__file__).resolve().parents[1] / "instance" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "bench_recode.db"
        if target.exists():
            target.unlink()
        return f"sqlite:///{target}"
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def generate(session, consultation, count: int, seed: int) -> None:
    from consultation.catalog.models import Question
    from consultation.clock import now
    from consultation.intake.models import Answer, Response

    rng = random.Random(seed)
    questions = {
        q.code: q.id
        for q in session.scalars(sa.select(Question).where(Question.questionnaire_id == consultation.questionnaire.id))
    }
    station_ids = [station.id for station in consultation.stations]
    start = (session.scalar(sa.select(sa.func.max(Response.id))) or 0) + 1
    answer_id = (session.scalar(sa.select(sa.func.max(Answer.id))) or 0) + 1
    moment = now()
    chunk = 10_000
    for offset in range(0, count, chunk):
        responses, answers = [], []
        for number in range(offset, min(count, offset + chunk)):
            response_id = start + number
            responses.append(
                {
                    "id": response_id,
                    "consultation_id": consultation.id,
                    "station_id": rng.choice(station_ids),
                    "reference": f"B-{response_id:08d}",
                    "channel": "online",
                    "received_at": moment,
                    "late": False,
                    "status": "active",
                    "consent_to_publish": False,
                    "version": 1,
                    "created_at": moment,
                    "updated_at": moment,
                    "respondent_type": "resident",
                }
            )
            answers.append(
                {
                    "id": answer_id,
                    "response_id": response_id,
                    "question_id": questions["connection"],
                    "value": "live_nearby",
                    "text": None,
                }
            )
            answer_id += 1
            if rng.random() < 0.4:
                answers.append(
                    {
                        "id": answer_id,
                        "response_id": response_id,
                        "question_id": questions["agreement"],
                        "value": rng.choice(AGREEMENT),
                        "text": None,
                    }
                )
                answer_id += 1
            if rng.random() < 0.92:
                text = make_text(rng)
                answers.append(
                    {
                        "id": answer_id,
                        "response_id": response_id,
                        "question_id": questions["impact"],
                        "value": text,
                        "text": text,
                    }
                )
                answer_id += 1
        session.execute(sa.insert(Response.__table__), responses)
        session.execute(sa.insert(Answer.__table__), answers)
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("responses", "answers"):
            session.execute(sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
        session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--reset", action="store_true", help="empty the PostgreSQL database's public schema first")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=7)
    loadguard.add_arguments(parser)
    args = parser.parse_args()
    guard = loadguard.start(args)

    from flask_migrate import upgrade

    from config import engine_options
    from consultation import create_app
    from consultation.analysis.demo import seed_demo_codebooks
    from consultation.analysis.service import analyse
    from consultation.catalog.demo import DEMO_SLUG, seed_demo
    from consultation.catalog.models import Consultation
    from consultation.extensions import db

    url = database_url(args.database_url)
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)})
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and args.reset:
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        session = db.session
        seed_demo(session)
        seed_demo_codebooks(session)
        consultation = session.scalar(sa.select(Consultation).where(Consultation.slug == DEMO_SLUG))
        print(
            f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
            f"Python {platform.python_version()}; database: {db.engine.dialect.name}; workers: {args.workers}"
        )
        started = time.perf_counter()
        generate(session, consultation, args.responses, args.seed)
        print(f"generated {args.responses:,} responses in {time.perf_counter() - started:.1f} s (bulk inserts)")

        for label, force in (
            ("first analysis", False),
            ("incremental, nothing changed", False),
            ("full re-code (force)", True),
        ):
            started = time.perf_counter()
            summary = analyse(session, consultation, force=force, workers=args.workers)
            seconds = time.perf_counter() - started
            rate = summary.responses / seconds if seconds else 0
            print(
                f"{label}: {seconds:.1f} s, {rate:,.0f} responses/s "
                f"(analysed {summary.analysed:,}, unchanged {summary.unchanged:,}, campaigns {summary.campaigns}; "
                f"phases in s: {summary.timings})"
            )
        counts = {
            table: session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("response_analyses", "theme_assignments", "coding_events", "campaigns")
        }
        print("rows: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))
    guard.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
