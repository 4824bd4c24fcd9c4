"""The organiser's pages of the staff console, under /staff: the blueprint, its sign-in check and its URL map.

Every page needs a signed-in staff member; what each may see or change is decided by the services. Every POST
carries Flask-WTF's CSRF token (this blueprint is not exempted). Errors are shown as HTML pages. The views live
in `organiser` (home), `petitions`, `petition_packs`, `petition_signers`, `submissions` and `submission_filing`.
"""

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consultation.console import (
    organiser,
    petition_packs,
    petition_signers,
    petitions,
    submission_filing,
    submissions,
)
from consultation.console.organiser_base import london_text
from consultation.errors import ApiError

bp = Blueprint(
    "organiser",
    __name__,
    url_prefix="/staff",
    static_folder="../static/console",
    static_url_path="/organiser-assets",
)

PAGES = [
    ("/organiser", organiser.home, ["GET"]),
    ("/petitions", petitions.petitions, ["GET"]),
    ("/petitions/new", petitions.new_petition, ["GET", "POST"]),
    ("/petitions/<int:petition_id>", petitions.petition, ["GET"]),
    ("/petitions/<int:petition_id>/timeline.svg", petitions.timeline_svg, ["GET"]),
    ("/petitions/<int:petition_id>/edit", petitions.edit_petition, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/packs", petition_packs.packs_page, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/packs/<code>/tally", petition_packs.tally, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/packs/<code>/signatures", petition_packs.key_in, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/signers", petition_signers.signers_page, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/signers.csv", petition_signers.signers_csv, ["GET"]),
    ("/petitions/<int:petition_id>/history", petition_signers.history, ["GET"]),
    ("/submissions", submissions.submissions, ["GET"]),
    ("/submissions/new", submissions.new_submission, ["GET", "POST"]),
    ("/submissions/<int:submission_id>", submissions.submission, ["GET", "POST"]),
    ("/submissions/<int:submission_id>/preview", submissions.preview, ["POST"]),
    ("/submissions/<int:submission_id>/renders/<job_id>/pages/<int:number>.png", submission_filing.page_image, ["GET"]),
    ("/submissions/<int:submission_id>/pdf", submission_filing.pdf, ["GET"]),
    ("/submissions/<int:submission_id>/letterhead", submission_filing.letterhead, ["POST"]),
    ("/submissions/<int:submission_id>/file", submission_filing.file, ["GET", "POST"]),
    ("/submissions/<int:submission_id>/receipt", submission_filing.receipt, ["GET"]),
]
ENDPOINTS = {
    "packs_page": "packs",
    "signers_page": "signers",
    "history": "petition_history",
}
for rule, view, methods in PAGES:
    bp.add_url_rule(rule, endpoint=ENDPOINTS.get(view.__name__, view.__name__), view_func=view, methods=methods)


@bp.before_request
def _signed_in():
    if request.endpoint != "organiser.static" and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


@bp.context_processor
def _helpers() -> dict:
    return {"london_text": london_text}


ERROR_TITLES = {
    400: "There is a problem with the request",
    403: "You cannot open this page",
    404: "Page not found",
    409: "That cannot be done now",
    413: "The file is too large",
    422: "There is a problem with what was sent",
}


def _error_page(status: int, message: str):
    title = ERROR_TITLES.get(status, "Sorry, there is a problem with the service")
    return render_template("console/organiser/error.html", title=title, message=message, status=status), status


def _api_error(error: ApiError):
    return _error_page(error.status, error.message)


def _http_error(error: HTTPException):
    return _error_page(error.code or 500, error.description or error.name)


def _csrf_error(error: CSRFError):
    return _error_page(400, "This form has expired or did not come from this site. Reload the page and try again.")


for handled, handler in ((CSRFError, _csrf_error), (ApiError, _api_error), (HTTPException, _http_error)):
    bp.register_error_handler(handled, handler)
