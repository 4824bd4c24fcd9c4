"""Error pages for the resident pages: HTML in the resident pages' style, never the API's JSON."""

import logging

from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from consultation.errors import ApiError

log = logging.getLogger(__name__)


ERROR_TITLES = {
    400: "Sorry, there is a problem with your request",
    404: "Page not found",
    405: "Sorry, that is not possible here",
    413: "Your response is too long to send",
    429: "You have sent too many responses",
    500: "Sorry, there is a problem with the service",
}


def error_page(status: int, message: str, headers: dict | None = None):
    title = ERROR_TITLES.get(status, ERROR_TITLES[500 if status >= 500 else 400])
    return render_template("web/error.html", title=title, message=message, status=status), status, headers or {}


def csrf_error_page(error: CSRFError):
    return error_page(
        400,
        "This form has expired or did not come from this site, so your answers were not sent. "
        "Go back, reload the page and try again.",
    )


def api_error_page(error: ApiError):
    message = error.message
    if error.status == 404:
        message = "If you typed the web address, check it is correct. " + error.message
    return error_page(error.status, message, error.headers)


def http_error_page(error: HTTPException):
    status = error.code or 500
    if status == 429:
        return error_page(429, "Wait a minute, then try again. Your answers have not been sent.")
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_page(status, error.description or error.name, headers)


def unexpected_error_page(error: Exception):
    log.exception("Unhandled error on a resident page", exc_info=error)
    return error_page(500, InternalServerError.description)
