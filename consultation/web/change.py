"""Changing or withdrawing a response: the reference and edit code first, then the pre-filled questionnaire.

The pair this browser has proved travels in the signed session cookie, never in the URL.
"""

from datetime import datetime

from flask import current_app, redirect, render_template, request, session, url_for

from consultation.catalog.models import Consultation
from consultation.catalog.service import consultation_status, get_consultation
from consultation.clock import arrival_time, iso_utc
from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db, limiter
from consultation.intake import service as intake
from consultation.web import forms, presenters
from consultation.web.helpers import (
    CHANGE_KEY,
    CHANGE_RESULT_KEY,
    CLOSED_CODES,
    from_iso,
    private_page,
    questions_of,
)

# The change pages share one budget per address, set by the same setting as the response form.
change_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], scope="web-change", methods=["POST"]
)


@change_limit
def change(slug: str):
    """Asks for the reference and the edit code; a right pair lets this browser change the response."""
    received_at = arrival_time()
    found = get_consultation(db.session, slug)
    status = consultation_status(found, received_at)
    if status != "open":
        session.pop(CHANGE_KEY, None)
        return _change_page(found, status, http_status=intake.CLOSED_STATUS if request.method == "POST" else 200)
    if request.method != "POST":
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


@change_limit
def change_response(slug: str):
    """The questionnaire pre-filled with the current answers; sending it amends the response."""
    received_at = arrival_time()
    found = get_consultation(db.session, slug)
    held, response, page = _held_response(found, received_at)
    if page is not None:
        return page
    questions = questions_of(found)
    if request.method != "POST":
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


@change_limit
def change_withdraw(slug: str):
    """Withdraws the response once the resident has ticked the box that confirms it."""
    received_at = arrival_time()
    found = get_consultation(db.session, slug)
    held, response, page = _held_response(found, received_at)
    if page is not None:
        return page
    if request.form.get(forms.WITHDRAW_FIELD) != "yes":
        values = forms.values_from_answers(questions_of(found), response.answer_values, response.consent_to_publish)
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


def change_done(slug: str):
    """What happened to the response this browser just changed or withdrew, with its reference."""
    result = session.get(CHANGE_RESULT_KEY)
    if not result or result.get("consultation") != slug:
        return redirect(url_for("web.change", slug=slug))
    found = get_consultation(db.session, slug)
    return private_page(
        render_template(
            "web/change_done.html",
            consultation=found,
            reference=result["reference"],
            outcome=result["outcome"],
            changed_at=from_iso(result["at"]),
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
        http_status = intake.CLOSED_STATUS if request.method == "POST" else 200
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
    return private_page(body, http_status)


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
        questions=questions_of(found),
        values=values,
        summary=summary or [],
        field_errors=field_errors or {},
        withdraw_field=forms.WITHDRAW_FIELD,
    )
    return private_page(body, http_status)
