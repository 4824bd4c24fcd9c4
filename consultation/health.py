"""Liveness, readiness and metrics endpoints, for load balancers, orchestrators and Prometheus.

`/healthz` says the process answers (no outside calls: a database outage must not get every worker restarted).
`/readyz` says this process can serve traffic: the database answers, the schema is at the newest migration,
and, when background work goes to a broker, the broker answers. When not, it is a 503 in the one error shape,
with one entry per failing check under `errors`, so a deploy can wait on it.
"""

import logging
from pathlib import Path

import marshmallow as ma
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from consultation.errors import ApiError
from consultation.extensions import Blueprint, db
from consultation.metrics import metrics_view

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
BROKER_TIMEOUT_SECONDS = 2

blp = Blueprint("operations", __name__, url_prefix="", description="Liveness, readiness and metrics for operators")


class AliveSchema(ma.Schema):
    alive = ma.fields.Boolean(required=True)


class ReadySchema(ma.Schema):
    ready = ma.fields.Boolean(required=True)
    checks = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), metadata={"description": "Check name to 'ok' or 'skipped'"}
    )


class NotReady(ApiError):
    def __init__(self, failures: dict[str, list[str]]):
        super().__init__(503, "not_ready", f"Not ready: {', '.join(failures)} failing.", errors=failures)


def _head_revisions() -> set[str]:
    heads = current_app.extensions.get("consultation.migration_heads")
    if heads is None:
        heads = set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())
        current_app.extensions["consultation.migration_heads"] = heads
    return heads


def _check_database_and_migrations() -> dict[str, str | list[str]]:
    results: dict[str, str | list[str]] = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:
        log.warning("Readiness: database unreachable: %s", error)
        return {"database": [f"Unreachable: {type(error).__name__}."], "migrations": ["Not checked."]}
    results["database"] = "ok"
    heads = _head_revisions()
    if current == heads:
        results["migrations"] = "ok"
    else:
        results["migrations"] = [
            f"Database at {', '.join(sorted(current)) or 'no revision'}; code expects {', '.join(sorted(heads))}. "
            "Run `flask db upgrade`."
        ]
    return results


def _check_broker() -> str | list[str]:
    celery = current_app.extensions["celery"]
    if celery.conf.task_always_eager:
        return "skipped"
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as error:
        log.warning("Readiness: broker unreachable: %s", error)
        return [f"Unreachable: {type(error).__name__}."]
    return "ok"


@blp.route("/healthz")
@blp.response(200, AliveSchema)
def healthz():
    """The process is alive and answering (no database or broker call)"""
    return {"alive": True}


@blp.route("/readyz")
@blp.response(200, ReadySchema)
@blp.alt_response(503, response="DEFAULT_ERROR", description="not_ready: errors names each failing check")
def readyz():
    """Ready to serve: database reachable, migrations at head, broker reachable (when one is used)"""
    results = _check_database_and_migrations()
    results["broker"] = _check_broker()
    failures = {name: outcome for name, outcome in results.items() if isinstance(outcome, list)}
    if failures:
        raise NotReady(failures)
    return {"ready": True, "checks": results}


@blp.route("/metrics")
@blp.doc(
    responses={
        "200": {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
    security=[{"metricsToken": []}],
)
@blp.alt_response(401, response="DEFAULT_ERROR", description="METRICS_TOKEN is set and was not sent")
@blp.alt_response(404, response="DEFAULT_ERROR", description="Metrics are switched off (METRICS_ENABLED)")
def metrics():
    """Prometheus metrics: requests by route and status, latency, responses accepted, queue depth"""
    return metrics_view()
