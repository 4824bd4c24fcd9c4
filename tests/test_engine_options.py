"""The engine's options follow the database URL the app is actually given, however it is given."""

import os

import pytest
import sqlalchemy as sa

from config import database_url
from consultation import create_app
from consultation.connections import ping_after_idle
from consultation.extensions import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/never-connected")


def test_an_app_given_a_postgresql_url_through_config_gets_postgresql_options_not_sqlites(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": POSTGRES_URL})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "timeout" not in options.get("connect_args", {})  # psycopg refuses it: invalid connection option
    assert "pool_pre_ping" not in options  # a ping on every checkout costs each request a round trip
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert _listener(db.engine.pool, "checkout").__name__ == "_ping_if_idle"  # idle connections are checked
        if "TEST_DATABASE_URL" in os.environ:
            with db.engine.connect() as connection:
                assert connection.scalar(sa.text("SELECT 1")) == 1
        db.engine.dispose()


def test_an_app_given_a_sqlite_url_waits_for_the_writer_and_keeps_its_own_options(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)  # the environment names another database: config wins
    app = create_app(
        "development",
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}", "SQLALCHEMY_ENGINE_OPTIONS": {"echo": False}},
    )
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"connect_args": {"timeout": 30}, "echo": False}


def _listener(pool, name):
    listeners = list(getattr(pool.dispatch, name))
    assert listeners, f"no {name} listener"
    return listeners[-1]


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _counting_pings(engine, monkeypatch):
    pings = []
    original = engine.dialect.do_ping

    def do_ping(dbapi_connection):
        pings.append(dbapi_connection)
        return original(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", do_ping)
    return pings


def test_a_pooled_connection_is_pinged_only_after_it_sat_idle(tmp_path, monkeypatch):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'pool.db'}", poolclass=sa.pool.QueuePool)
    clock = _Clock()
    ping_after_idle(engine, 1.0, clock=clock)
    pings = _counting_pings(engine, monkeypatch)
    with engine.connect() as connection:  # a new connection: just opened, not pinged
        connection.scalar(sa.text("SELECT 1"))
    clock.now += 0.2
    with engine.connect() as connection:  # back in the pool a moment ago: handed out as it is
        connection.scalar(sa.text("SELECT 1"))
    assert pings == []
    clock.now += 1.5
    with engine.connect() as connection:  # idle for longer than the limit: checked first
        assert connection.scalar(sa.text("SELECT 1")) == 1
    assert len(pings) == 1
    engine.dispose()


def test_a_connection_that_fails_its_ping_is_replaced_before_the_caller_sees_it(tmp_path, monkeypatch):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'pool.db'}", poolclass=sa.pool.QueuePool)
    clock = _Clock()
    ping_after_idle(engine, 1.0, clock=clock)
    with engine.connect() as connection:
        first = connection.connection.dbapi_connection
    clock.now += 5
    failed = []

    def do_ping(dbapi_connection):
        if not failed:
            failed.append(dbapi_connection)
            raise engine.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")
        return True

    monkeypatch.setattr(engine.dialect, "do_ping", do_ping)
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT 1")) == 1
        assert connection.connection.dbapi_connection is not first
    assert failed == [first]
    engine.dispose()


@pytest.mark.skipif("TEST_DATABASE_URL" not in os.environ, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_postgresql_connection_the_server_cut_while_idle_is_replaced(monkeypatch):
    url = database_url(os.environ["TEST_DATABASE_URL"])
    engine = sa.create_engine(url, pool_size=1)
    clock = _Clock()
    ping_after_idle(engine, 1.0, clock=clock)
    with engine.connect() as connection:
        pid = connection.scalar(sa.text("SELECT pg_backend_pid()"))
    with sa.create_engine(url).connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.commit()
    clock.now += 5
    with engine.connect() as connection:  # without the ping this would fail: the server closed the connection
        assert connection.scalar(sa.text("SELECT pg_backend_pid()")) != pid
    engine.dispose()
