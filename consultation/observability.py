"""Request ids, structured logs and security headers: what an operator reads and what a browser is told.

Every request gets an id: the caller's `X-Request-Id` when it is a sane token (a load balancer's, so one id
follows the request through every hop), else a new one. It is echoed in the response's `X-Request-Id` and
stamped on every log line written while the request runs. With LOG_FORMAT=json (the production default) each
line is one JSON object, and each request ends with one access line (method, route, status, duration).
"""

import logging
import re
import sys
import time
import uuid

from flask import Flask, current_app, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-Id"
INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
ACCESS_LOG = logging.getLogger("consultation.access")
_HANDLER_MARK = "consultation_log_handler"


class RequestContextFilter(logging.Filter):
    """Adds the request id (and method and path) to every record logged while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            record.method = request.method
            record.path = request.path
        return True


def json_log_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    handler.addFilter(RequestContextFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for LOG_FORMAT=json; otherwise logging is left as Python and Flask set it up."""
    if app.config["LOG_FORMAT"] != "json":
        return
    root = logging.getLogger()
    if not any(getattr(handler, _HANDLER_MARK, False) for handler in root.handlers):
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(json_log_handler())
    root.setLevel(str(app.config["LOG_LEVEL"]).upper())  # "info" as gunicorn.conf.py takes it, or "INFO"
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the readiness check reads the migration scripts


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if INCOMING_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    if started is not None and ACCESS_LOG.isEnabledFor(logging.INFO):
        ACCESS_LOG.info(
            "request",
            extra={
                "route": request.url_rule.rule if request.url_rule else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "remote_addr": request.remote_addr,
            },
        )
    return response


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    config = current_app.config
    if config["HSTS_SECONDS"]:
        headers.setdefault("Strict-Transport-Security", f"max-age={config['HSTS_SECONDS']}; includeSubDomains")
    if response.mimetype == "text/html":
        # Swagger UI's page runs its own inline script; every other page we serve is ours and needs none.
        if request.endpoint != "api-docs.openapi_swagger_ui":
            headers.setdefault("Content-Security-Policy", config["CONTENT_SECURITY_POLICY"])
    else:
        headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    return response


def register_observability(app: Flask) -> None:
    configure_logging(app)
    app.before_request(_start_request)
    app.after_request(_security_headers)
    app.after_request(_finish_request)
