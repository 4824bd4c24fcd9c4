"""The public verification page: anyone holding a submission's PDF, or its SHA-256, can check that it was filed,
by which organisation (never a person), when in London time and for which consultation. No sign-in.

The form POSTs with Flask-WTF's CSRF token and the same per-address budget as the API's verification; the upload
is bounded and hashed as it is read, never stored. A GET (and so a HEAD) only shows the form.
"""

from flask import Blueprint, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db, limiter
from consultation.submissions import verification
from consultation.web import errors
from consultation.web.helpers import private_page
from consultation.web.presenters import london_text

bp = Blueprint("verify_page", __name__, url_prefix="/verify")

verify_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], scope="public-verify", methods=["POST"]
)
FIELD_IDS = {"document": "document", "sha256": "sha256"}
FORM_OVERHEAD_BYTES = 64 * 1024  # the CSRF token, the pasted hash and the multipart boundaries around the file


@bp.context_processor
def page_helpers() -> dict:
    return {"london_text": london_text}


@bp.route("", methods=["GET", "POST"])
@verify_limit
def verify():
    """The form; its POST answers "filed" (with who, when and what) or "not filed"."""
    if request.method != "POST":
        return private_page(render_template("web/verify.html", result=None, field_errors={}, summary=[]))
    sha256 = request.form.get("sha256", "").strip()
    try:
        if (request.content_length or 0) > verification.VERIFY_MAX_BYTES + FORM_OVERHEAD_BYTES:
            raise verification.DocumentTooLarge()
        upload = request.files.get("document")
        stream = upload.stream if upload is not None and upload.filename else None
        result = verification.verify_document(db.session, stream=stream, sha256=sha256 or None)
    except (ValidationFailed, verification.DocumentTooLarge) as error:
        problems = error.errors if isinstance(error, ValidationFailed) else {"document": [error.message]}
        field_errors = {FIELD_IDS.get(key, "document"): messages[0] for key, messages in problems.items()}
        summary = [{"message": message, "href": f"#{key}"} for key, message in field_errors.items()]
        page = render_template(
            "web/verify.html", result=None, field_errors=field_errors, summary=summary, sha256=sha256
        )
        return private_page(page, error.status)
    return private_page(render_template("web/verify.html", result=result, field_errors={}, summary=[]))


# Errors: the resident pages' HTML error pages, in this page's words where the words differ.
OWN_ERRORS = {
    413: ("The file is too large", verification.DocumentTooLarge().message),
    429: ("Too many checks at once", "You have checked too many documents at once. Wait a minute, then try again."),
}


def csrf_error_page(error: CSRFError):
    return errors.error_page(400, "This form has expired or did not come from this site. Reload it and try again.")


def http_error_page(error: HTTPException):
    if error.code in OWN_ERRORS:
        title, message = OWN_ERRORS[error.code]
        return render_template("web/error.html", title=title, message=message), error.code
    return errors.http_error_page(error)


for handled, handler in (
    (CSRFError, csrf_error_page),
    (HTTPException, http_error_page),
    (ApiError, errors.api_error_page),
    (Exception, errors.unexpected_error_page),
):
    bp.register_error_handler(handled, handler)
