"""The one JSON error shape: {"status", "code", "message", "errors"}.

Every 4xx/5xx the service sends, whether raised by our services, by webargs validation, by Flask
itself (404, 405, 413) or by Flask-Limiter (429), goes through `error_response` here.
"""

import logging
import math
import time
from collections.abc import Callable

import marshmallow as ma
from flask import Flask, current_app, has_request_context, jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """A domain error a service raises; routes never build error bodies themselves."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}
        self.headers = headers or {}

    def to_dict(self) -> dict:
        return {"status": self.status, "code": self.code, "message": self.message, "errors": self.errors}


class NotFound(ApiError):
    def __init__(self, what: str, key: str):
        super().__init__(404, "not_found", f"No {what} {key!r}.")


class Forbidden(ApiError):
    def __init__(self, message: str = "Your token does not allow this."):
        super().__init__(403, "forbidden", message)


class Unauthorized(ApiError):
    def __init__(self, message: str = "A valid bearer token is required."):
        super().__init__(401, "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="api"'})


class ValidationFailed(ApiError):
    def __init__(self, errors: dict, message: str = "The request has invalid fields."):
        super().__init__(422, "validation_error", message, errors=errors)


class Conflict(ApiError):
    def __init__(self, message: str, code: str = "conflict", errors: dict | None = None):
        super().__init__(409, code, message, errors=errors)


class ErrorSchema(ma.Schema):
    """The error body every failing request receives."""

    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable error code"})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable explanation"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        required=True,
        metadata={"description": "Field name to list of messages"},
    )


def _flatten_webargs_messages(messages) -> dict:
    """webargs nests messages by location ({"json": {...}, "query": {...}}); clients want fields."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location if location != "json" else "_body"] = fields
    return flat


def error_response(status: int, code: str, message: str, errors: dict | None = None, headers: dict | None = None):
    body = {"status": status, "code": code, "message": message, "errors": errors or {}}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


PAGE_ERRORS_KEY = "consultation.page_errors"


def register_page_errors(app: Flask, prefix: str, render: Callable[[HTTPException], object]) -> None:
    """HTML pages under `prefix` show their own error pages, even for URLs no route matches (a 404 or 405 from
    routing belongs to no blueprint, so a blueprint's own handlers never see it)."""
    app.extensions.setdefault(PAGE_ERRORS_KEY, {})[prefix.rstrip("/")] = render


def _page_error_renderer() -> Callable[[HTTPException], object] | None:
    if not has_request_context():
        return None
    for prefix, render in current_app.extensions.get(PAGE_ERRORS_KEY, {}).items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return render
    return None


def handle_http_exception(error: HTTPException):
    render = _page_error_renderer()
    if render is not None:
        return render(error)
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = {}
    code = CODE_BY_STATUS.get(status, "http_error")
    message = data.get("message") or error.description or error.name
    if "errors" in data:
        errors = data["errors"]
    elif "messages" in data:
        errors = _flatten_webargs_messages(data["messages"])
        if status == 422:
            message = "The request has invalid fields."
    if status == 400 and "Invalid JSON body." in str(data.get("messages", "")):
        code, message = "malformed_json", "The request body is not valid JSON."
    headers = dict(data.get("headers") or {})
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        message = f"Too many requests: the limit is {error.description}. Try again later."
        retry_after = _retry_after_seconds()
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
            errors = {"retry_after": [retry_after]}
    return error_response(status, code, message, errors, headers)


RETRY_AFTER_STATUSES = (429, 503)


def drop_retry_after_unless_refused(response):
    """`Retry-After` only on the answers it means something for: 429 (rate limited) and 503 (unavailable).

    Flask-Limiter adds it to every answer of a rate-limited route, a 201 included, where a client could read it
    as "this failed, try again". Registered before the limiter, so it runs after the limiter's header hook."""
    if response.status_code not in RETRY_AFTER_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def _retry_after_seconds() -> int | None:
    """Seconds until the breached rate limit resets, so clients read it in the body as well as the header."""
    from consultation.extensions import limiter  # extensions imports this module

    try:
        limit = limiter.current_limit
    except RuntimeError:  # outside a request
        return None
    if limit is None:
        return None
    return max(1, math.ceil(limit.reset_at - time.time()))


def handle_api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.errors, error.headers)


def handle_integrity_error(error: IntegrityError):
    """A unique constraint decided a race (two requests creating the same thing at once): the loser gets a 409.

    Services check before they insert, for a clear message; the constraint is what settles a race between the check
    and the insert, whichever room it happens in."""
    log.info("Integrity error answered with 409: %s", error.orig)
    # The failed transaction must not leak into whatever this session does next (a CLI loop, a test's requests).
    database = current_app.extensions.get("sqlalchemy")
    if database is not None:
        database.session.rollback()
    return error_response(
        409,
        "conflict",
        "This conflicts with a change made at the same moment (the record already exists or was changed). "
        "Reload and try again.",
    )


# Seconds a client is asked to wait when the database cannot be reached: long enough for a restart or a
# failover to finish, short enough that a resident's form is not abandoned.
DATABASE_RETRY_AFTER = 5


# What a driver says when the database itself is out of reach (SQLite's and psycopg's words), as opposed to an
# OperationalError that is our bug or will happen again on retry (no such table, too many variables, disk full).
_OUTAGE_WORDS = (
    "unable to open database file",
    "database is locked",
    "could not connect",
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "connection timeout",
    "timeout expired",
    "the database system is",
    "no connection to the server",
)
# SQLSTATE classes of a lost or refused connection: 08 (connection exception), 57P (server shut down or
# restarting), and 53300 (too many connections).
_OUTAGE_SQLSTATES = ("08", "57P", "53300")


def is_database_outage(error: OperationalError) -> bool:
    """True when the database could not be reached or dropped the connection; False for other failures."""
    if error.connection_invalidated:
        return True
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if state:
        return state.startswith(_OUTAGE_SQLSTATES)
    text = str(error.orig).lower()
    return any(words in text for words in _OUTAGE_WORDS)


def handle_database_unavailable(error: OperationalError):
    """The database is down, unreachable or dropped the connection (a failover, a restart, a locked file): a 503
    the client may retry, not a 500 that reads as our bug. Nothing was stored; the log has the details. Any other
    OperationalError is a failure of ours and goes to :func:`handle_unexpected` (500, traceback logged)."""
    if not is_database_outage(error):
        return handle_unexpected(error)
    log.error("Database unavailable, answered with 503: %s", error.orig)
    database = current_app.extensions.get("sqlalchemy")
    if database is not None:
        try:
            database.session.rollback()
        except Exception:  # the connection is gone; the pool replaces it on next use
            log.debug("Rollback after a lost connection failed", exc_info=True)
    return error_response(
        503,
        "database_unavailable",
        "The service cannot reach its database just now; nothing was saved. Try again in a few seconds.",
        {"retry_after": [DATABASE_RETRY_AFTER]},
        {"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("Unhandled error", exc_info=error)
    return handle_http_exception(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
