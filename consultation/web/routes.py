"""The resident-facing pages: a consultation's stations, a station's proposal and questionnaire, the receipt.

Server-rendered and usable without JavaScript. Every POST carries Flask-WTF's CSRF token (this blueprint is
not exempted), the receipt travels in the signed session cookie rather than in the URL, and errors raised
under /consult are shown as HTML pages while the JSON API keeps its JSON error shape.
"""

import logging
from datetime import datetime

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from consultation.catalog.models import Consultation, Station
from consultation.catalog.service import consultation_status, get_consultation, get_station, list_consultations
from consultation.clock import iso_utc, now
from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db, limiter
from consultation.intake import service as intake
from consultation.web import forms, presenters

log = logging.getLogger(__name__)

CLOSED_CODES = ("consultation_closed", "consultation_not_open")
RECEIPT_KEY = "web_receipt"

bp = Blueprint(
    "web",
    __name__,
    url_prefix="/consult",
    static_folder="../static/web",
    static_url_path="/assets",
)


@bp.context_processor
def page_helpers() -> dict:
    return {
        "proposal_words": presenters.proposal_words,
        "figure": presenters.figure,
        "london_text": presenters.london_text,
        "answer_field": forms.answer_field,
        "respondent_field": forms.respondent_field,
        "option_id": forms.option_id,
        "respondent_type_labels": forms.RESPONDENT_TYPE_LABELS,
        "consent_field": forms.CONSENT_FIELD,
    }


@bp.get("/")
def consultations():
    """Every consultation, open ones first, with its deadline."""
    moment = now()
    items = [
        (consultation, consultation_status(consultation, moment)) for consultation in list_consultations(db.session)
    ]
    items.sort(key=lambda item: item[1] != "open")
    return render_template("web/consultations.html", items=items)


@bp.get("/<slug>")
def consultation(slug: str):
    """A consultation's stations, grouped by borough, each with its proposal in plain words."""
    found = get_consultation(db.session, slug)
    status = consultation_status(found, now())
    return render_template(
        "web/consultation.html",
        consultation=found,
        status=status,
        deadline=presenters.deadline_sentence(found, status),
        boroughs=presenters.stations_by_borough(found.stations),
    )


@bp.route("/<slug>/stations/<station_slug>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], methods=["POST"])
def station(slug: str, station_slug: str):
    """A station's proposal, figures and deadline, and the questionnaire while the consultation is open."""
    # The deadline is judged by the moment the request arrived, taken once, before any database work.
    received_at = now()
    found = get_consultation(db.session, slug)
    site = get_station(db.session, found, station_slug)
    if request.method == "GET":
        return _station_page(found, site, consultation_status(found, received_at))

    try:
        intake.check_open(found, received_at)
    except ApiError as error:
        if error.code not in CLOSED_CODES:
            raise
        return _station_page(
            found, site, consultation_status(found, received_at), closed_message=error.message, http_status=error.status
        )

    questions = _questions(found)
    state = forms.read_form(questions, request.form)
    try:
        receipt = intake.submit_response(
            db.session,
            slug=slug,
            station=station_slug,
            answers=state.answers,
            respondent=state.respondent,
            consent_to_publish=state.consent_to_publish,
            received_at=received_at,
        )
    except ValidationFailed as error:
        db.session.rollback()
        summary, field_errors = forms.place_errors(questions, error.errors, state)
        return _station_page(
            found, site, "open", state=state, summary=summary, field_errors=field_errors, http_status=422
        )
    except ApiError as error:
        if error.code not in CLOSED_CODES:
            raise
        db.session.rollback()
        return _station_page(
            found, site, consultation_status(found, received_at), closed_message=error.message, http_status=error.status
        )

    session[RECEIPT_KEY] = {
        "consultation": slug,
        "station": station_slug,
        "reference": receipt.reference,
        "received_at": iso_utc(receipt.received_at),
    }
    return redirect(url_for("web.confirmation", slug=slug, station_slug=station_slug), code=303)


@bp.get("/<slug>/stations/<station_slug>/response-received")
def confirmation(slug: str, station_slug: str):
    """The receipt for the response this browser just sent; anyone else is sent to the station page."""
    receipt = session.get(RECEIPT_KEY)
    if not receipt or receipt.get("consultation") != slug or receipt.get("station") != station_slug:
        return redirect(url_for("web.station", slug=slug, station_slug=station_slug))
    found = get_consultation(db.session, slug)
    site = get_station(db.session, found, station_slug)
    response = current_app.make_response(
        render_template(
            "web/confirmation.html",
            consultation=found,
            station=site,
            reference=receipt["reference"],
            received_at=datetime.fromisoformat(receipt["received_at"].replace("Z", "+00:00")),
        )
    )
    # The receipt page is for this browser only: not for shared caches, nor for the back button of the next person.
    response.headers["Cache-Control"] = "no-store"
    return response


def _questions(found: Consultation) -> list:
    return list(found.questionnaire.questions) if found.questionnaire is not None else []


def _station_page(
    found: Consultation,
    site: Station,
    status: str,
    *,
    state: forms.FormState | None = None,
    summary: list | None = None,
    field_errors: dict | None = None,
    closed_message: str | None = None,
    http_status: int = 200,
):
    body = render_template(
        "web/station.html",
        consultation=found,
        station=site,
        status=status,
        deadline=presenters.deadline_sentence(found, status),
        questionnaire=found.questionnaire,
        questions=_questions(found),
        values=(state.values if state else {}),
        summary=summary or [],
        field_errors=field_errors or {},
        closed_message=closed_message,
    )
    return body, http_status


ERROR_TITLES = {
    400: "Sorry, there is a problem with your request",
    404: "Page not found",
    405: "Sorry, that is not possible here",
    413: "Your response is too long to send",
    429: "You have sent too many responses",
    500: "Sorry, there is a problem with the service",
}


def _error_page(status: int, message: str, headers: dict | None = None):
    title = ERROR_TITLES.get(status, ERROR_TITLES[500 if status >= 500 else 400])
    return render_template("web/error.html", title=title, message=message, status=status), status, headers or {}


@bp.errorhandler(CSRFError)
def csrf_error_page(error: CSRFError):
    return _error_page(
        400,
        "This form has expired or did not come from this site, so your answers were not sent. "
        "Go back, reload the page and try again.",
    )


@bp.errorhandler(ApiError)
def api_error_page(error: ApiError):
    message = error.message
    if error.status == 404:
        message = "If you typed the web address, check it is correct. " + error.message
    return _error_page(error.status, message, error.headers)


@bp.errorhandler(HTTPException)
def http_error_page(error: HTTPException):
    status = error.code or 500
    if status == 429:
        return _error_page(429, "Wait a minute, then try again. Your answers have not been sent.")
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return _error_page(status, error.description or error.name, headers)


@bp.errorhandler(Exception)
def unexpected_error_page(error: Exception):
    log.exception("Unhandled error on a resident page", exc_info=error)
    return _error_page(500, InternalServerError.description)
