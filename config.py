"""Configuration classes, chosen by the APP_ENV environment variable (development, testing, production)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSECURE_DEFAULT_SECRET = "dev-only-secret-change-me"


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants the driver spelled out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{BASE_DIR / 'instance' / 'consultation.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024))
    JSON_SORT_KEYS = False

    API_TITLE = "Consultation response management API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Swagger UI's files come from the swagger-ui-bundle package and are served by this app: no CDN.
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs-assets/"

    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "cache+memory://")
    CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "true").lower() == "true"

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "true").lower() == "true"
    RATELIMIT_PUBLIC_WRITE = os.environ.get("RATELIMIT_PUBLIC_WRITE", "30 per minute;500 per hour")
    RATELIMIT_HEADERS_ENABLED = True
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 16 * 1024 * 1024))
    # A submission PDF that takes longer than this to lay out is stopped with a clear error.
    SUBMISSION_RENDER_TIME_LIMIT = float(os.environ.get("SUBMISSION_RENDER_TIME_LIMIT", 120))

    # Petitions: signing limits per client address (the UK Parliament petitions site's defaults), and mail.
    PETITION_SIGNING_RATE_LIMIT = os.environ.get("PETITION_SIGNING_RATE_LIMIT", "1 per minute;5 per 5 minutes")
    MAIL_OUTBOX = os.environ.get("MAIL_OUTBOX")  # default: instance/outbox/, one .eml file per message
    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # set to send by SMTP instead
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "true").lower() == "true"
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Have your say <no-reply@localhost>")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")  # for links in emails; set it in production

    WTF_CSRF_ENABLED = True


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_BROKER_URL = "memory://"
    WTF_CSRF_ENABLED = False
    MAIL_SERVER = None  # tests never send real mail; they point MAIL_OUTBOX at a temporary folder


class ProductionConfig(Config):
    # The resident form's confirmation page rides on the session cookie: HTTPS only, not readable by scripts.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/1")
    CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "false").lower() == "true"
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    name = name or os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"Unknown APP_ENV {name!r}; choose one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
