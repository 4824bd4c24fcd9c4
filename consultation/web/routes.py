"""The resident-facing pages: a consultation's stations, a station's proposal and questionnaire, the receipt,
and changing or withdrawing a response with its reference and edit code.

Server-rendered and usable without JavaScript. Every POST carries Flask-WTF's CSRF token (this blueprint is
not exempted), the receipt and the edit code travel in the signed session cookie rather than in the URL, and
errors raised under /consult are shown as HTML pages while the JSON API keeps its JSON error shape.
"""

import logging
from datetime import datetime

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from consultation.catalog.models import Consultation, Station
from consultation.catalog.service import consultation_status, get_consultation, get_station, list_consultations
from consultation.clock import arrival_time, iso_utc, now
from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db, limiter
from consultation.intake import service as intake
from consultation.web import forms, presenters

log = logging.getLogger(__name__)

CLOSED_CODES = ("consultation_closed", "consultation_not_open")
RECEIPT_KEY = "web_receipt"
CHANGE_KEY = "web_change"  # the reference and edit code this browser has proved, while it changes the response
CHANGE_RESULT_KEY = "web_change_result"

bp = Blueprint(
    "web",
    __name__,
    url_prefix="/consult",
    static_folder="../static/web",
    static_url_path="/assets",
)


# The change pages share one budget per address, set by the same setting as the response form.
change_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], scope="web-change", methods=["POST"]
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
    # The deadline is judged by the moment the request arrived, noted before the CSRF check read the form.
    received_at = arrival_time()
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
        "edit_token": receipt.edit_token,
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
    # The edit code is shown once: it leaves the session as soon as this page is built, and a reload shows
    # the reference alone.
    edit_code = receipt.get("edit_token")
    if edit_code is not None:
        session[RECEIPT_KEY] = {key: value for key, value in receipt.items() if key != "edit_token"}
    return _private_page(
        render_template(
            "web/confirmation.html",
            consultation=found,
            station=site,
            reference=receipt["reference"],
            received_at=_from_iso(receipt["received_at"]),
            edit_code=edit_code,
        )
    )


@bp.route("/<slug>/change", methods=["GET", "POST"])
@change_limit
def change(slug: str):
    """Asks for the reference and the edit code; a right pair lets this browser change the response."""
    received_at = arrival_time()
    found = get_consultation(db.session, slug)
    status = consultation_status(found, received_at)
    if status != "open":
        session.pop(CHANGE_KEY, None)
        return _change_page(found, status, http_status=200 if request.method == "GET" else intake.CLOSED_STATUS)
    if request.method == "GET":
        return _change_page(found, status)

    reference, edit_code, summary, field_errors = forms.check_edit_pair(request.form)
    if summary:
        return _change_page(found, status, reference=reference, summary=summary, field_errors=field_errors)
    response = _response_for(found, reference, edit_code)
    if response is None:
        # One message whichever half is wrong (or whether the reference exists at all).
        wrong = {forms.REFERENCE_FIELD: forms.WRONG_PAIR, forms.EDIT_CODE_FIELD: forms.WRONG_PAIR}
        summary = [forms.ErrorItem(forms.WRONG_PAIR, "#" + forms.REFERENCE_FIELD)]
        return _change_page(found, status, reference=reference, summary=summary, field_errors=wrong)
    if response.status == "withdrawn":
        withdrawn = forms.ErrorItem(intake.ResponseWithdrawn(response.reference).message, None)
        return _change_page(found, status, reference=reference, summary=[withdrawn], http_status=409)
    session[CHANGE_KEY] = {"consultation": slug, "reference": response.reference, "edit_token": edit_code}
    return redirect(url_for("web.change_response", slug=slug), code=303)


@bp.route("/<slug>/change/response", methods=["GET", "POST"])
@change_limit
def change_response(slug: str):
    """The questionnaire pre-filled with the current answers; sending it amends the response."""
    received_at = arrival_time()
    found = get_consultation(db.session, slug)
    held, response, page = _held_response(found, received_at)
    if page is not None:
        return page
    questions = _questions(found)
    if request.method == "GET":
        values = forms.values_from_answers(questions, response.answer_values, response.consent_to_publish)
        return _edit_page(found, response, values)

    state = forms.read_form(questions, request.form)
    try:
        intake.amend_response(
            db.session,
            reference=held["reference"],
            edit_token=held["edit_token"],
            answers=state.answers,
            consent_to_publish=state.consent_to_publish,
            at=received_at,
        )
    except ValidationFailed as error:
        db.session.rollback()
        summary, field_errors = forms.place_errors(questions, error.errors, state)
        return _edit_page(found, response, state.values, summary=summary, field_errors=field_errors, http_status=422)
    except ApiError as error:
        db.session.rollback()
        return _refused_change(found, error, received_at)
    return _changed(found, held["reference"], "amended", received_at)


@bp.post("/<slug>/change/withdraw")
@change_limit
def change_withdraw(slug: str):
    """Withdraws the response once the resident has ticked the box that confirms it."""
    received_at = arrival_time()
    found = get_consultation(db.session, slug)
    held, response, page = _held_response(found, received_at)
    if page is not None:
        return page
    if request.form.get(forms.WITHDRAW_FIELD) != "yes":
        values = forms.values_from_answers(_questions(found), response.answer_values, response.consent_to_publish)
        return _edit_page(
            found,
            response,
            values,
            summary=[forms.ErrorItem(forms.WITHDRAW_UNCONFIRMED, "#" + forms.WITHDRAW_FIELD)],
            field_errors={forms.WITHDRAW_FIELD: forms.WITHDRAW_UNCONFIRMED},
            http_status=422,
        )
    try:
        intake.withdraw_response(db.session, reference=held["reference"], edit_token=held["edit_token"], at=received_at)
    except ApiError as error:
        db.session.rollback()
        return _refused_change(found, error, received_at)
    return _changed(found, held["reference"], "withdrawn", received_at)


@bp.get("/<slug>/change/done")
def change_done(slug: str):
    """What happened to the response this browser just changed or withdrew, with its reference."""
    result = session.get(CHANGE_RESULT_KEY)
    if not result or result.get("consultation") != slug:
        return redirect(url_for("web.change", slug=slug))
    found = get_consultation(db.session, slug)
    return _private_page(
        render_template(
            "web/change_done.html",
            consultation=found,
            reference=result["reference"],
            outcome=result["outcome"],
            changed_at=_from_iso(result["at"]),
        )
    )


def _response_for(found: Consultation, reference: str, edit_code: str):
    """The response if the pair is right and it belongs to this consultation; None whatever else is wrong."""
    try:
        response = intake.get_response_for_respondent(db.session, reference=reference, edit_token=edit_code)
    except ApiError as error:
        if error.status not in (403, 404):
            raise
        return None
    return response if response.consultation_slug == found.slug else None


def _held_response(found: Consultation, received_at: datetime) -> tuple:
    """(held pair, response, None) while this browser may change its response, else (None, None, page to show)."""
    status = consultation_status(found, received_at)
    if status != "open":
        session.pop(CHANGE_KEY, None)
        http_status = 200 if request.method == "GET" else intake.CLOSED_STATUS
        return None, None, _change_page(found, status, http_status=http_status)
    held = session.get(CHANGE_KEY)
    if not held or held.get("consultation") != found.slug:
        return None, None, redirect(url_for("web.change", slug=found.slug))
    response = _response_for(found, held["reference"], held["edit_token"])
    if response is None or response.status == "withdrawn":
        session.pop(CHANGE_KEY, None)
        return None, None, redirect(url_for("web.change", slug=found.slug))
    return held, response, None


def _refused_change(found: Consultation, error: ApiError, received_at: datetime):
    """The service refused an amendment or withdrawal: closed now, or the response changed meanwhile."""
    session.pop(CHANGE_KEY, None)
    if error.code in CLOSED_CODES:
        return _change_page(
            found, consultation_status(found, received_at), closed_message=error.message, http_status=error.status
        )
    if error.code == "response_withdrawn" or error.status in (403, 404):
        return redirect(url_for("web.change", slug=found.slug), code=303)
    raise error


def _changed(found: Consultation, reference: str, outcome: str, at: datetime):
    session.pop(CHANGE_KEY, None)
    session[CHANGE_RESULT_KEY] = {
        "consultation": found.slug,
        "reference": reference,
        "outcome": outcome,
        "at": iso_utc(at),
    }
    return redirect(url_for("web.change_done", slug=found.slug), code=303)


def _change_page(
    found: Consultation,
    status: str,
    *,
    reference: str = "",
    summary: list | None = None,
    field_errors: dict | None = None,
    closed_message: str | None = None,
    http_status: int | None = None,
):
    if http_status is None:
        http_status = 422 if summary else 200
    body = render_template(
        "web/change.html",
        consultation=found,
        status=status,
        deadline=presenters.deadline_sentence(found, status),
        values={forms.REFERENCE_FIELD: reference},
        summary=summary or [],
        field_errors=field_errors or {},
        closed_message=closed_message,
    )
    return _private_page(body, http_status)


def _edit_page(
    found: Consultation,
    response,
    values: dict,
    *,
    summary: list | None = None,
    field_errors: dict | None = None,
    http_status: int = 200,
):
    body = render_template(
        "web/change_response.html",
        consultation=found,
        station=response.station,
        reference=response.reference,
        questionnaire=found.questionnaire,
        questions=_questions(found),
        values=values,
        summary=summary or [],
        field_errors=field_errors or {},
        withdraw_field=forms.WITHDRAW_FIELD,
    )
    return _private_page(body, http_status)


def _private_page(body: str, http_status: int = 200):
    response = current_app.make_response((body, http_status))
    # For this browser only: not for shared caches, nor for the back button of the next person.
    response.headers["Cache-Control"] = "no-store"
    return response


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


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
