"""The resident-facing pages' blueprint: a consultation's stations, a station's proposal and questionnaire, the
receipt, and changing or withdrawing a response with its reference and edit code.

Server-rendered and usable without JavaScript. Every POST carries Flask-WTF's CSRF token (this blueprint is
not exempted), the receipt and the edit code travel in the signed session cookie rather than in the URL, and
errors raised under /consult are shown as HTML pages while the JSON API keeps its JSON error shape.
The views live in `pages` (reading and answering), `change` (changing or withdrawing) and `errors`; they are
registered here, one line each, so the whole URL map reads in one place.
"""

from flask import Blueprint
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consultation.errors import ApiError
from consultation.web import change, errors, pages

bp = Blueprint(
    "web",
    __name__,
    url_prefix="/consult",
    static_folder="../static/web",
    static_url_path="/assets",
)

bp.context_processor(pages.page_helpers)

bp.add_url_rule("/", view_func=pages.consultations, methods=["GET"])
bp.add_url_rule("/<slug>", view_func=pages.consultation, methods=["GET"])
bp.add_url_rule("/<slug>/stations/<station_slug>", view_func=pages.station, methods=["GET", "POST"])
bp.add_url_rule("/<slug>/stations/<station_slug>/response-received", view_func=pages.confirmation, methods=["GET"])
bp.add_url_rule("/<slug>/change", view_func=change.change, methods=["GET", "POST"])
bp.add_url_rule("/<slug>/change/response", view_func=change.change_response, methods=["GET", "POST"])
bp.add_url_rule("/<slug>/change/withdraw", view_func=change.change_withdraw, methods=["POST"])
bp.add_url_rule("/<slug>/change/done", view_func=change.change_done, methods=["GET"])

bp.register_error_handler(CSRFError, errors.csrf_error_page)
bp.register_error_handler(ApiError, errors.api_error_page)
bp.register_error_handler(HTTPException, errors.http_error_page)
bp.register_error_handler(Exception, errors.unexpected_error_page)
