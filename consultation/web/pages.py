"""The resident pages: the consultations, a consultation's stations, a station's proposal and questionnaire,
and the receipt for a response just sent."""

from flask import current_app, redirect, render_template, request, session, url_for

from consultation.catalog.models import Consultation, Station
from consultation.catalog.service import consultation_status, get_consultation, get_station, list_consultations
from consultation.catalog.wording import wording_for
from consultation.clock import arrival_time, iso_utc, now
from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db, limiter
from consultation.intake import service as intake
from consultation.petitions import service as petitions
from consultation.web import forms, presenters
from consultation.web.helpers import CLOSED_CODES, RECEIPT_KEY, from_iso, private_page, questions_of


def page_helpers() -> dict:
    return {
        "wording_for": wording_for,
        "figure": presenters.figure,
        "london_text": presenters.london_text,
        "answer_field": forms.answer_field,
        "respondent_field": forms.respondent_field,
        "option_id": forms.option_id,
        "respondent_type_labels": forms.RESPONDENT_TYPE_LABELS,
        "consent_field": forms.CONSENT_FIELD,
    }


def home():
    """The site's root, the address `make run` prints: the residents' list of consultations."""
    return redirect(url_for("web.consultations"))


def consultations():
    """Every consultation, open ones first, with its deadline."""
    moment = now()
    items = [
        (consultation, consultation_status(consultation, moment)) for consultation in list_consultations(db.session)
    ]
    items.sort(key=lambda item: item[1] != "open")
    return render_template("web/consultations.html", items=items)


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


@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC_WRITE"], methods=["POST"])
def station(slug: str, station_slug: str):
    """A station's proposal, figures and deadline, and the questionnaire while the consultation is open."""
    # The deadline is judged by the moment the request arrived, noted before the CSRF check read the form.
    received_at = arrival_time()
    found = get_consultation(db.session, slug)
    site = get_station(db.session, found, station_slug)
    if request.method != "POST":
        return _station_page(found, site, consultation_status(found, received_at))

    try:
        intake.check_open(found, received_at)
    except ApiError as error:
        if error.code not in CLOSED_CODES:
            raise
        return _station_page(
            found, site, consultation_status(found, received_at), closed_message=error.message, http_status=error.status
        )

    questions = questions_of(found)
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
    return private_page(
        render_template(
            "web/confirmation.html",
            consultation=found,
            station=site,
            reference=receipt["reference"],
            received_at=from_iso(receipt["received_at"]),
            edit_code=edit_code,
        )
    )


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
        questions=questions_of(found),
        values=(state.values if state else {}),
        summary=summary or [],
        field_errors=field_errors or {},
        closed_message=closed_message,
        petitions=petitions.petition_listing(
            db.session, now(), consultation_slug=found.slug, station_slugs=[site.slug]
        ),
    )
    return body, http_status
