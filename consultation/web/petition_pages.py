"""The resident petition pages: the petition with its live total and signing form, "check your email", the
confirmation page with its button, and the thank-you page.

The emailed link opens a page with a button that POSTs: mail scanners follow links, and must not confirm
anything. Every POST carries Flask-WTF's CSRF token. The confirmation token sits in the link's path, so these
pages send no Referer and are not cached.
"""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consultation.clock import arrival_time
from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db, limiter
from consultation.petitions import service
from consultation.web import errors
from consultation.web.presenters import london_text

SIGNED_KEY = "petition_signed"  # {"petition": id, "email": address}: for the check-your-email page only
CONFIRMED_KEY = "petition_confirmed"
FIELDS = ("name", "email", "postcode")
FIELD_IDS = {"name": "signer-name", "email": "signer-email", "postcode": "signer-postcode", "consent": "consent"}

bp = Blueprint("petition_pages", __name__, url_prefix="/petitions")

signing_limit = limiter.shared_limit(
    lambda: current_app.config["PETITION_SIGNING_RATE_LIMIT"], scope="petition-signing", methods=["POST"]
)
confirm_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], scope="web-petition-confirm", methods=["POST"]
)


@bp.context_processor
def page_helpers() -> dict:
    return {"london_text": london_text, "field_ids": FIELD_IDS}


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
def petitions():
    """Every petition, open ones first, with its total."""
    items = service.petition_listing(db.session, arrival_time())
    return render_template("web/petitions/index.html", items=items)


@bp.route("/<int:petition_id>", methods=["GET", "POST"])
@signing_limit
def petition(petition_id: int):
    """The petition's text, its live total and, while it is open, the signing form."""
    received_at = arrival_time()
    found = service.get_petition(db.session, petition_id)
    if request.method != "POST":
        return _petition_page(found, received_at)
    values = {name: request.form.get(FIELD_IDS[name], "").strip() for name in FIELDS}
    consent = request.form.get(FIELD_IDS["consent"]) == "yes"
    try:
        service.sign_petition(
            db.session,
            petition_id=found.id,
            consent=consent,
            base_url=current_app.config.get("PUBLIC_BASE_URL") or request.url_root,
            at=received_at,
            **values,
        )
    except ValidationFailed as error:
        db.session.rollback()
        field_errors = {FIELD_IDS[key]: messages[0] for key, messages in error.errors.items() if key in FIELD_IDS}
        summary = [
            {"message": field_errors[FIELD_IDS[key]], "href": "#" + FIELD_IDS[key]}
            for key in (*FIELDS, "consent")
            if FIELD_IDS[key] in field_errors
        ]
        return _petition_page(
            found, received_at, values=values, consent=consent, summary=summary, field_errors=field_errors
        )
    except service.PetitionClosed as error:
        db.session.rollback()
        return _petition_page(found, received_at, closed_message=error.message, http_status=409)
    session[SIGNED_KEY] = {"petition": found.id, "email": values["email"]}
    return redirect(url_for("petition_pages.check_email", petition_id=found.id), code=303)


@bp.get("/<int:petition_id>/check-your-email")
def check_email(petition_id: int):
    """Tells the signer to open the link we emailed; anyone who did not just sign is sent to the petition."""
    signed = session.get(SIGNED_KEY)
    if not signed or signed.get("petition") != petition_id:
        return redirect(url_for("petition_pages.petition", petition_id=petition_id))
    found = service.get_petition(db.session, petition_id)
    return render_template("web/petitions/check_email.html", petition=found, email=signed["email"])


@bp.route("/<int:petition_id>/confirm/<token>", methods=["GET", "POST"])
@confirm_limit
def confirm(petition_id: int, token: str):
    """GET shows a button and changes nothing; the button's POST confirms the signature."""
    at = arrival_time()
    if request.method != "POST":
        result = service.find_confirmation(db.session, petition_id, token, at)
    else:
        result = service.confirm_signature(db.session, petition_id, token, at)
        if result.outcome in ("confirmed", "already_confirmed"):
            session[CONFIRMED_KEY] = {"petition": petition_id, "outcome": result.outcome, "counted": result.counted}
            return redirect(url_for("petition_pages.thank_you", petition_id=petition_id), code=303)
    statuses = {"pending": 200, "already_confirmed": 200, "expired": 410, "unknown": 404}
    return (
        render_template("web/petitions/confirm.html", petition=result.petition, outcome=result.outcome, now_utc=at),
        statuses[result.outcome],
    )


@bp.get("/<int:petition_id>/thank-you")
def thank_you(petition_id: int):
    """After confirming: the signature counts (or was already counted), with the petition's total now."""
    confirmed = session.get(CONFIRMED_KEY)
    if not confirmed or confirmed.get("petition") != petition_id:
        return redirect(url_for("petition_pages.petition", petition_id=petition_id))
    found = service.get_petition(db.session, petition_id)
    return render_template(
        "web/petitions/thank_you.html",
        petition=found,
        outcome=confirmed["outcome"],
        counted=confirmed["counted"],
        totals=service.petition_totals(db.session, petition_id),
    )


def _petition_page(
    found,
    at,
    *,
    values: dict | None = None,
    consent: bool = False,
    summary: list | None = None,
    field_errors: dict | None = None,
    closed_message: str | None = None,
    http_status: int | None = None,
):
    body = render_template(
        "web/petitions/petition.html",
        petition=found,
        status=service.petition_status(found, at),
        totals=service.petition_totals(db.session, found.id),
        values=values or {},
        consent=consent,
        summary=summary or [],
        field_errors=field_errors or {},
        closed_message=closed_message,
    )
    return body, http_status or (422 if summary else 200)


# Errors: the resident pages' own HTML error pages, in the petition's words where the words differ.


@bp.errorhandler(CSRFError)
def csrf_error_page(error: CSRFError):
    return errors.error_page(
        400, "This form has expired or did not come from this site, so you have not signed. Reload and try again."
    )


@bp.errorhandler(HTTPException)
def http_error_page(error: HTTPException):
    if error.code == 429:
        message = "You have tried to sign too often from this address. Wait a minute, then try again."
        return render_template("web/error.html", title="Too many signatures at once", message=message), 429
    return errors.http_error_page(error)


bp.register_error_handler(ApiError, errors.api_error_page)
bp.register_error_handler(Exception, errors.unexpected_error_page)
