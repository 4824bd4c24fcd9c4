"""Prometheus metrics at /metrics, with prometheus-client (the exporter library Prometheus itself maintains).

- `consultation_http_requests_total{method,route,status}` and `consultation_http_request_duration_seconds`:
  labelled by the URL rule (`/api/v1/consultations/<slug>/responses`), never the raw path, so a scan of random
  URLs cannot blow up the number of series;
- `consultation_responses_accepted_total{channel}`: responses stored (online, paper, email), counted by intake
  after its commit;
- `consultation_queue_depth{queue}`: jobs waiting in the Celery broker, read at scrape time.

Under gunicorn each worker is its own process with its own counters. When PROMETHEUS_MULTIPROC_DIR is set
(gunicorn.conf.py sets it before any worker starts) prometheus-client keeps the values in files there and
a scrape of any worker adds up every worker's; without it a scrape would show one random worker's share.

Access: off unless METRICS_ENABLED; when METRICS_TOKEN is set, a scrape must send `Authorization: Bearer <token>`.
Production turns /metrics on only when a token is configured.
"""

import hmac
import logging
import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from consultation.errors import NotFound, Unauthorized

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "consultation_http_requests_total", "HTTP requests handled, by route and status", ["method", "route", "status"]
)
LATENCY = Histogram(
    "consultation_http_request_duration_seconds",
    "Time from arrival to response, by route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESPONSES_ACCEPTED = Counter(
    "consultation_responses_accepted_total", "Responses stored, by channel (online, paper, email)", ["channel"]
)
METRICS_PATH = "/metrics"


def count_accepted_responses(channel: str, number: int = 1) -> None:
    """Intake calls this after its commit, so a rolled-back response is never counted."""
    if number:
        RESPONSES_ACCEPTED.labels(channel=channel).inc(number)


class QueueDepthCollector:
    """Jobs waiting in the broker's default queue; none when background work runs in-process."""

    def collect(self):
        family = GaugeMetricFamily(
            "consultation_queue_depth", "Jobs waiting in the Celery broker (-1: broker unreachable)", labels=["queue"]
        )
        celery = current_app.extensions.get("celery")
        if celery is not None and not celery.conf.task_always_eager:
            queue = celery.conf.task_default_queue
            family.add_metric([queue], _queue_depth(celery, queue))
        yield family


def _queue_depth(celery, queue: str) -> float:
    try:
        with celery.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception as error:  # a scrape must answer even with the broker down; -1 is the alert
        log.warning("Queue depth unavailable: %s", error)
        return -1


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is None or request.path == METRICS_PATH:
        return response
    route = request.url_rule.rule if request.url_rule else "unmatched"
    REQUESTS.labels(method=request.method, route=route, status=str(response.status_code)).inc()
    LATENCY.labels(method=request.method, route=route).observe(time.perf_counter() - started)
    return response


def _check_access() -> None:
    config = current_app.config
    if not config["METRICS_ENABLED"]:
        raise NotFound("page", METRICS_PATH)
    token = config["METRICS_TOKEN"]
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise Unauthorized("/metrics needs the METRICS_TOKEN as a bearer token.")


def metrics_view():
    """The metrics in Prometheus' text format, summed over every worker process in multi-process mode."""
    _check_access()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    queue_registry = CollectorRegistry()
    queue_registry.register(QueueDepthCollector())
    body += generate_latest(queue_registry)
    return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Cache-Control": "no-store"})


def register_metrics(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_observe)
