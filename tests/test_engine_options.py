"""The engine's options follow the database URL the app is actually given, however it is given."""

import os

import sqlalchemy as sa

from consultation import create_app
from consultation.extensions import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/never-connected")


def test_an_app_given_a_postgresql_url_through_config_gets_postgresql_options_not_sqlites(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": POSTGRES_URL})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "timeout" not in options.get("connect_args", {})  # psycopg refuses it: invalid connection option
    assert options["pool_pre_ping"] is True  # a connection cut while pooled is replaced, not handed out
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    with app.app_context():
        assert db.engine.dialect.name == "postgresql" and db.engine.pool._pre_ping
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
