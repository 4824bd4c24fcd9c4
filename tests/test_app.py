import pytest

from consultation import create_app


def test_factory_honours_overrides():
    app = create_app("testing", {"MAX_CONTENT_LENGTH": 123})
    assert app.config["TESTING"] is True
    assert app.config["MAX_CONTENT_LENGTH"] == 123


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_to_start_without_its_public_address():
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(
            "production", {"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_BASE_URL": None}
        )


def test_development_links_point_at_the_address_make_run_serves():
    assert create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["PUBLIC_BASE_URL"] == (
        "http://127.0.0.1:5000"
    )


def test_production_starts_with_a_real_secret():
    app = create_app(
        "production",
        {
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_BASE_URL": "https://consult.example.org",
        },
    )
    assert app.config["SECRET_KEY"] == "x" * 40


def test_production_cookies_are_secure():
    app = create_app(
        "production",
        {
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_BASE_URL": "https://consult.example.org",
        },
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app("staging")
