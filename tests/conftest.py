"""Fixtures: the app (schema built by the real migrations), a clean database per test, a client,
the demo data, a token per role and a frozen clock.

Runs on in-memory SQLite by default; set TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)
to run the same suite on PostgreSQL.
"""

import os
from datetime import datetime
from pathlib import Path


def _own_services_per_worker() -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its own PostgreSQL database (the one
    TEST_DATABASE_URL names, suffixed with the worker's id, created when missing) and its own Redis database
    numbers, so two workers never empty each other's tables or queues. Set before anything reads them."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    index = int(worker[2:])
    if index:  # the first worker keeps the numbers the tests default to
        os.environ["TEST_REDIS_URL"] = f"redis://127.0.0.1:6379/{8 + 2 * index}"
        os.environ["SUBMISSIONS_TEST_REDIS_URL"] = f"redis://127.0.0.1:6379/{9 + 2 * index}"
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    import psycopg

    base, _, name = url.rpartition("/")
    own = f"{name}_{worker}"
    with psycopg.connect(url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own,)).fetchone():
            connection.execute(f'CREATE DATABASE "{own}"')
    os.environ["TEST_DATABASE_URL"] = f"{base}/{own}"


_own_services_per_worker()

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade
from sqlalchemy import event

from consultation import create_app
from consultation.accounts.service import create_user_with_token
from consultation.analysis.tasks import init_background
from consultation.catalog.demo import seed_boroughs, seed_demo
from consultation.extensions import db, init_celery, limiter
from consultation.intake.structure import forget_structures

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file from ../shared, or a clear skip when the checkout has no shared/ beside it."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is missing: these checks need the shared/ folder beside the project")
    return path


def _drop_everything(engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            metadata = sa.MetaData()
            metadata.reflect(bind=connection)
            metadata.drop_all(bind=connection)


@pytest.fixture(scope="session")
def app():
    app = create_app("testing")
    with app.app_context():
        _drop_everything(db.engine)
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            _drop_everything(db.engine)


# Emptied last: on SQLite, deleting responses and their analyses runs the summary triggers, which write here.
SUMMARY_TABLES = ("response_counts", "theme_counts", "campaign_theme_counts", "campaign_leads", "campaign_lead_themes")


def _table_names() -> list[str]:
    names = [table.name for table in reversed(db.metadata.sorted_tables) if table.name not in SUMMARY_TABLES]
    return names + list(SUMMARY_TABLES)


@pytest.fixture(autouse=True)
def clean_database(app):
    """Each test starts from an empty (but migrated) database."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        forget_structures()  # TRUNCATE bypasses the ORM events that empty intake's cache
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                connection.execute(sa.text(f"TRUNCATE {', '.join(_table_names())} RESTART IDENTITY CASCADE"))
            else:
                for name in _table_names():
                    connection.execute(sa.text(f'DELETE FROM "{name}"'))


class DemoSnapshot:
    """The whole demo (what `flask seed-demo` loads: consultations, codebooks, the petition, about 3,700 generated
    responses imported and analysed, the draft submission) seeded once per session and kept as a copy, which
    `full_demo` restores into the emptied database of each test that asks for it: seconds instead of a minute.

    SQLite (in memory, one connection) copies the whole database with its backup API. PostgreSQL keeps each table's
    rows as COPY data and loads them back in dependency order (the summary triggers rebuild the summary tables as
    the rows arrive), then moves each id sequence past its table's largest id."""

    def __init__(self, output: str):
        self.output = output  # what the first `seed-demo` printed
        self.tables = [name for name in _table_names()[::-1] if name not in SUMMARY_TABLES]
        tables = db.metadata.sorted_tables
        self.numbered = [table.name for table in tables if "id" in table.c and isinstance(table.c.id.type, sa.Integer)]
        self.rows: dict[str, bytes] = {}
        self.copy = None
        raw = db.engine.raw_connection()
        try:
            if db.engine.dialect.name == "postgresql":
                with raw.driver_connection.cursor() as cursor:
                    for name in self.tables:
                        with cursor.copy(f'COPY "{name}" TO STDOUT') as copy:
                            self.rows[name] = b"".join(bytes(block) for block in copy)
            else:
                import sqlite3

                self.copy = sqlite3.connect(":memory:", check_same_thread=False)
                raw.driver_connection.backup(self.copy)
        finally:
            raw.close()

    def restore_into_empty_database(self) -> None:
        """Restore the copy unless the database already holds it (the test that seeded it is still running)."""
        if db.session.scalar(sa.text("SELECT count(*) FROM consultations")) == 0:
            self.restore()

    def restore(self) -> None:
        db.session.remove()
        forget_structures()
        raw = db.engine.raw_connection()
        try:
            if self.copy is not None:
                self.copy.backup(raw.driver_connection)
                return
            with raw.driver_connection.cursor() as cursor:
                for name in self.tables:
                    with cursor.copy(f'COPY "{name}" FROM STDIN') as copy:
                        copy.write(self.rows[name])
                for name in self.numbered:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM \"{name}\" "
                        "HAVING max(id) IS NOT NULL"
                    )
            raw.driver_connection.commit()
        finally:
            raw.close()


@pytest.fixture(scope="session")
def demo_snapshot(app):
    """Seeds the whole demo once per session (in the database of the test that first asks) and keeps a copy."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        return DemoSnapshot(result.output)


@pytest.fixture
def full_demo(app, demo_snapshot):
    """The database as `flask seed-demo` leaves it, restored from the session's copy; `.output` is what it printed."""
    demo_snapshot.restore_into_empty_database()
    return demo_snapshot


def _follow_the_session_app(app) -> None:
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    init_celery(app)
    init_background(app)


@pytest.fixture(autouse=True)
def shared_extensions_follow_the_session_app(app):
    """Flask-Limiter and Celery are single objects shared by every app, configured by the last app created;
    tests that build their own app (production config, rate limits) must not leak that into other tests."""
    _follow_the_session_app(app)
    yield
    _follow_the_session_app(app)


@pytest.fixture
def embedded_jobs(app, monkeypatch):
    """The embedded default's background mode for this test: Celery's worker on a thread of this process (its
    `wait_until_idle(timeout)` waits for every task sent); back to inline tasks afterwards."""
    from consultation.jobs import embedded

    monkeypatch.setitem(app.config, "BACKGROUND_JOBS", "thread")
    init_celery(app)
    yield embedded
    assert embedded.wait_until_idle(timeout=60), "background tasks still running at the end of the test"
    monkeypatch.undo()
    init_celery(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def boroughs(app):
    result = seed_boroughs(db.session)
    db.session.commit()
    return result


@pytest.fixture
def demo(app):
    """The demo consultations, seeded at the real current time."""
    seed_demo(db.session)
    return db.session


@pytest.fixture
def tokens(boroughs):
    """One bearer token per role; the organiser is scoped to Barking and Dagenham (E09000002)."""
    result = {}
    for role, codes in (("admin", []), ("reviewer", []), ("organiser", ["E09000002"])):
        _, token = create_user_with_token(db.session, name=f"Test {role}", role=role, borough_codes=codes)
        result[role] = token
    _, result["other_organiser"] = create_user_with_token(
        db.session, name="Redbridge organiser", role="organiser", borough_codes=["E09000026"]
    )
    db.session.commit()
    return result


@pytest.fixture
def auth(tokens):
    """auth('reviewer') -> the Authorization header for that role's token."""

    def header(role: str) -> dict:
        return {"Authorization": f"Bearer {tokens[role]}"}

    return header


@pytest.fixture
def freeze():
    """freeze(datetime) -> a time_machine traveller with the clock stopped at that instant."""
    travellers = []

    def travel(moment: datetime):
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)
        return traveller

    yield travel
    for traveller in reversed(travellers):
        traveller.stop()


class QueryCounter:
    """Counts the SQL statements sent while a function runs; `statements` keeps the last run's, for messages."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def __call__(self, function) -> int:
        statements: list[str] = []

        def record(connection, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(self.engine, "before_cursor_execute", record)
        try:
            function()
        finally:
            event.remove(self.engine, "before_cursor_execute", record)
        self.statements = statements
        return len(statements)


@pytest.fixture
def count_queries(app):
    """count_queries(function) -> how many SQL statements it sent. Run it over little data and over more: a count
    that grows with the rows is an N+1 loop."""
    return QueryCounter(db.engine)


def pytest_report_header(config):
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database: {url or 'in-memory SQLite'}"
