"""Consultation response management backend: the application factory."""

import os
from pathlib import Path

import swagger_ui_bundle
from flask import Flask, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix

from config import INSECURE_DEFAULT_SECRET, config_for, database_url, engine_options
from consultation.clock import note_arrival
from consultation.common import counted
from consultation.connections import ping_after_idle
from consultation.errors import drop_retry_after_unless_refused, register_error_handlers, register_page_errors
from consultation.extensions import api, celery, csrf, db, init_celery, limiter, migrate
from consultation.input_guards import register_input_guards
from consultation.metrics import register_metrics
from consultation.observability import register_observability

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_object(config_for(config_name))
    if overrides:
        app.config.update(overrides)
    _configure_engine(app)
    _refuse_insecure_production(app, config_name or os.environ.get("APP_ENV", "development"))
    os.makedirs(app.instance_path, exist_ok=True)
    # Counts in words for every template, the resident pages and the PDF alike: {{ n | counted("response") }}.
    app.add_template_filter(counted)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    # First of all the request hooks: the arrival time, before rate limits, CSRF or anything reads the body.
    app.before_request(note_arrival)
    register_observability(app)
    register_metrics(app)

    db.init_app(app)
    _check_pooled_connections(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    # Before the limiter: after-request hooks run last-registered first, so this one sees the limiter's headers.
    app.after_request(drop_retry_after_unless_refused)
    limiter.init_app(app)
    # After the rate limits (a client over its budget is refused before its body is parsed), before CSRF.
    register_input_guards(app)
    csrf.init_app(app)
    init_celery(app)
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme(
        "metricsToken", {"type": "http", "scheme": "bearer", "description": "The METRICS_TOKEN setting"}
    )

    from consultation import models  # noqa: F401  (every table registered before anything queries)

    register_rooms()
    register_blueprints(app)
    register_error_handlers(app)
    from consultation.analysis.tasks import init_background

    init_background(app)
    # Mail that failed or was never handed to the queue is retried by the same beat as the analysis sweep.
    from consultation.outbox import DUE_TASK

    celery.conf.beat_schedule["deliver-due-mail"] = {"task": DUE_TASK, "schedule": app.config["MAIL_SWEEP_SECONDS"]}
    _register_docs_assets(app)

    from consultation.cli import register_commands

    register_commands(app)
    return app


def register_rooms() -> None:
    """Connections between rooms, made here rather than as import side effects: a lower room sends a blinker
    signal, a higher one's receiver is connected to it (the lower room never imports the higher). Connecting a
    receiver twice is harmless."""
    from consultation.analysis.service import ranking_wanted
    from consultation.analysis.tasks import queue_analysis, send_ranking
    from consultation.catalog.signals import deadline_moved, structure_change_requested
    from consultation.intake.events import responses_committed
    from consultation.intake.lateness import recompute_lateness
    from consultation.intake.service import responses_lock
    from consultation.intake.structure import register_cache_invalidation

    structure_change_requested.connect(responses_lock)
    deadline_moved.connect(recompute_lateness)
    responses_committed.connect(queue_analysis)
    ranking_wanted.connect(send_ranking)
    register_cache_invalidation()


def register_blueprints(app: Flask) -> None:
    from consultation.analysis.routes import blp as analysis_blp
    from consultation.catalog.routes import blp as catalog_blp
    from consultation.health import blp as operations_blp
    from consultation.intake.routes import blp as intake_blp
    from consultation.reporting.routes import blp as reporting_blp
    from consultation.submissions.routes import blp as submissions_blp

    for blueprint in (catalog_blp, intake_blp, analysis_blp, reporting_blp, submissions_blp, operations_blp):
        api.register_blueprint(blueprint)
        # The JSON API authenticates with bearer tokens, not cookies, so CSRF does not apply to it.
        csrf.exempt(blueprint)

    # The resident pages use cookie sessions and HTML forms: a plain Blueprint, CSRF-protected, not exempted.
    from consultation.web.errors import http_error_page
    from consultation.web.routes import bp as web_bp

    app.register_blueprint(web_bp)
    register_page_errors(app, web_bp.url_prefix, http_error_page)
    from consultation.web.pages import home

    app.add_url_rule("/", endpoint="home", view_func=home, methods=["GET"])
    from consultation.web.verify_page import bp as verify_bp

    app.register_blueprint(verify_bp)
    register_page_errors(app, verify_bp.url_prefix, http_error_page)
    register_petitions(app)
    # The staff console: cookie sessions and HTML forms too, so CSRF-protected like the resident pages.
    from consultation.console import register_console

    register_console(app)
    # The organiser's pages of the console, on its sign-in and layout: CSRF-protected too.
    from consultation.console.organiser_routes import bp as organiser_bp

    app.register_blueprint(organiser_bp)


def register_petitions(app: Flask) -> None:
    """The petitions API (bearer tokens, so no CSRF) and the resident petition pages (CSRF-protected)."""
    from consultation.petitions.routes import blp as petitions_blp
    from consultation.web.petition_pages import bp as petition_pages_bp

    api.register_blueprint(petitions_blp)
    csrf.exempt(petitions_blp)
    app.register_blueprint(petition_pages_bp)
    # Unknown URLs under /petitions are resident pages too: HTML errors, not JSON.
    from consultation.web.errors import http_error_page

    register_page_errors(app, petition_pages_bp.url_prefix, http_error_page)


def _configure_engine(app: Flask) -> None:
    """The database URL as configured (environment, config class or overrides) decides the engine's options."""
    url = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**engine_options(url), **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}


def _check_pooled_connections(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            ping_after_idle(db.engine, app.config["POOL_PING_AFTER_IDLE_SECONDS"])


def _register_docs_assets(app: Flask) -> None:
    assets = swagger_ui_bundle.swagger_ui_path

    @app.route("/api/v1/docs-assets/<path:filename>")
    def docs_assets(filename):
        return send_from_directory(assets, filename)


def _refuse_insecure_production(app: Flask, config_name: str) -> None:
    if config_name == "production" and app.config["SECRET_KEY"] in (None, "", INSECURE_DEFAULT_SECRET):
        raise RuntimeError("SECRET_KEY must be set to a long random value in production.")
    if config_name == "production" and not app.config.get("PUBLIC_BASE_URL"):
        raise RuntimeError("PUBLIC_BASE_URL must be set in production: links in emails are built from it.")
