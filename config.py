"""Configuration classes, chosen by the APP_ENV environment variable (development, testing, production)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSECURE_DEFAULT_SECRET = "dev-only-secret-change-me"


def _database_url(default: str) -> str:
    return database_url(os.environ.get("DATABASE_URL", default))


def database_url(url: str) -> str:
    """The URL as SQLAlchemy wants it: Heroku-style URLs name the dialect "postgres", and psycopg is spelled out."""
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def engine_options(url: str) -> dict:
    """Engine options for the URL the app is actually configured with (create_app calls this, not the import of
    this module, so an app given its URL through config or a command-line flag gets its own database's options)."""
    if url.startswith("sqlite"):
        # SQLite takes one writer at a time. The background worker thread and a command (seed-demo, import) may
        # both write, so a writer waits for the other instead of failing after sqlite3's default 5 seconds.
        return {"connect_args": {"timeout": 30}}
    # PostgreSQL: a connection the server or a proxy cut while it sat in the pool is noticed and replaced before
    # it is used: create_app pings one that sat idle (consultation/connections.py).
    return {}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{BASE_DIR / 'instance' / 'consultation.db'}")
    # Extra engine options; create_app adds the ones the configured URL needs (engine_options).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled PostgreSQL connection idle this long is pinged before use (consultation/connections.py).
    POOL_PING_AFTER_IDLE_SECONDS = float(os.environ.get("POOL_PING_AFTER_IDLE_SECONDS", 1.0))
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

    # Where Celery tasks run, never in a request (consultation/jobs.py): "thread" (Celery's worker on a thread of
    # this process, the embedded default), "celery" (a separate worker over CELERY_BROKER_URL), "eager" (tests).
    BACKGROUND_JOBS = os.environ.get("BACKGROUND_JOBS", "thread")
    # A consultation's analysis lock (on SQLite, a row) whose holder stopped refreshing it for this long is taken
    # over; one whose holder process is gone from this host is taken over at once.
    ANALYSIS_LOCK_STALE_SECONDS = float(os.environ.get("ANALYSIS_LOCK_STALE_SECONDS", "120"))
    # How often Celery beat sweeps for responses whose analysis never ran or is out of date.
    ANALYSIS_SWEEP_SECONDS = float(os.environ.get("ANALYSIS_SWEEP_SECONDS", "60"))
    # With a separate worker (BACKGROUND_JOBS=celery), a web process sends at most one analysis notice per this many
    # seconds; the responses in between are coded by that notice's task, which waits out the window (one broker
    # message per burst, not one per response). The embedded worker's queue is in memory: there every response
    # sends its own notice.
    ANALYSIS_NOTICE_SECONDS = float(os.environ.get("ANALYSIS_NOTICE_SECONDS", "0.5"))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # flask-limiter's strategy: fixed-window (its default), moving-window or sliding-window-counter.
    RATELIMIT_STRATEGY = os.environ.get("RATELIMIT_STRATEGY", "fixed-window")
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "true").lower() == "true"
    RATELIMIT_PUBLIC_WRITE = os.environ.get("RATELIMIT_PUBLIC_WRITE", "30 per minute;500 per hour")
    RATELIMIT_HEADERS_ENABLED = True
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 16 * 1024 * 1024))
    # A submission PDF that takes longer than this to lay out is stopped with a clear error.
    SUBMISSION_RENDER_TIME_LIMIT = float(os.environ.get("SUBMISSION_RENDER_TIME_LIMIT", 300))

    # Petitions: signing limits per client address (the UK Parliament petitions site's defaults), and mail.
    PETITION_SIGNING_RATE_LIMIT = os.environ.get("PETITION_SIGNING_RATE_LIMIT", "1 per minute;5 per 5 minutes")
    # A paper pack's tally may not exceed its sheets times this (our petition packs have 20 lines a sheet).
    # How often mail that failed (or never reached the queue) is tried again, by the background beat.
    MAIL_SWEEP_SECONDS = float(os.environ.get("MAIL_SWEEP_SECONDS", "120"))
    PETITION_SIGNATURES_PER_SHEET = int(os.environ.get("PETITION_SIGNATURES_PER_SHEET", 20))
    MAIL_OUTBOX = os.environ.get("MAIL_OUTBOX")  # default: instance/outbox/, one .eml file per message
    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # set to send by SMTP instead
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "true").lower() == "true"
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Have your say <no-reply@localhost>")
    # Links in emails (sign-in, petition confirmation) are built from this, never from the request's Host header.
    # The default is the address `make run` serves; production refuses to start without it set.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # The staff console's session: a signed cookie, HttpOnly, SameSite=Lax (Secure in production), ended after
    # this long without a request; sign-in links asked for, per client address and per email address.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", 120))
    STAFF_SIGN_IN_RATE_LIMIT = os.environ.get("STAFF_SIGN_IN_RATE_LIMIT", "5 per 15 minutes;20 per day")

    WTF_CSRF_ENABLED = True

    # Operations (see README "Running in production").
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON object per line, with the request id
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 0))
    # The resident pages load only their own stylesheet, and post only to themselves.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    # How many reverse proxies sit in front of gunicorn: their X-Forwarded-* headers are then believed, so the rate
    # limits count the client's address rather than the proxy's. 0 (the default) believes none.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    METRICS_ENABLED = os.environ.get("METRICS_ENABLED", "true").lower() == "true"


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    CELERY_BROKER_URL = "memory://"
    # Tasks run inline, in the caller, so a test sees their effect at once; tests of the other modes switch.
    BACKGROUND_JOBS = "eager"
    WTF_CSRF_ENABLED = False
    MAIL_SERVER = None  # tests never send real mail; they point MAIL_OUTBOX at a temporary folder
    PUBLIC_BASE_URL = "http://localhost"  # the test client's own address


class ProductionConfig(Config):
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")  # no default: links must name the real site
    # The resident form's confirmation page rides on the session cookie: HTTPS only, not readable by scripts.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/1")
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 365 * 24 * 3600))
    # Metrics reveal traffic: in production they are served only to a scraper holding METRICS_TOKEN.
    METRICS_ENABLED = bool(os.environ.get("METRICS_TOKEN")) and (
        os.environ.get("METRICS_ENABLED", "true").lower() == "true"
    )
    BACKGROUND_JOBS = os.environ.get("BACKGROUND_JOBS", "celery")


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
