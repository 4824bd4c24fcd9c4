"""Error pages for the server-rendered sites (the resident pages and the staff console): HTML in each site's
own layout, never the API's JSON. Each site makes one `PageErrors` with its template and its own words."""

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
    429: "You have sent too many requests",
    500: "Sorry, there is a problem with the service",
}


class PageErrors:
    """The error handlers of one site; `template` gets title, message and status."""

    def __init__(self, template: str, *, csrf_message: str, too_many_message: str, titles: dict | None = None):
        self.template = template
        self.csrf_message = csrf_message
        self.too_many_message = too_many_message
        self.titles = {**ERROR_TITLES, **(titles or {})}

    def error_page(self, status: int, message: str, headers: dict | None = None):
        title = self.titles.get(status, self.titles[500 if status >= 500 else 400])
        body = render_template(self.template, title=title, message=message, status=status)
        return body, status, headers or {}

    def csrf_error_page(self, error: CSRFError):
        return self.error_page(400, self.csrf_message)

    def api_error_page(self, error: ApiError):
        message = error.message
        if error.status == 404:
            message = "If you typed the web address, check it is correct. " + error.message
        return self.error_page(error.status, message, error.headers)

    def http_error_page(self, error: HTTPException):
        status = error.code or 500
        if status == 429:
            return self.error_page(429, self.too_many_message)
        headers = {}
        if status == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        return self.error_page(status, error.description or error.name, headers)

    def unexpected_error_page(self, error: Exception):
        log.exception("Unhandled error on a page", exc_info=error)
        return self.error_page(500, InternalServerError.description)

    def register(self, blueprint) -> None:
        blueprint.register_error_handler(CSRFError, self.csrf_error_page)
        blueprint.register_error_handler(ApiError, self.api_error_page)
        blueprint.register_error_handler(HTTPException, self.http_error_page)
        blueprint.register_error_handler(Exception, self.unexpected_error_page)
