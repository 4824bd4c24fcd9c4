"""Admins manage consultations: every consultation with its status, a form that creates one, and a form that edits
one while no response refers to its questions and stations.

The forms build the API's own request body and load it through the API's schemas (ConsultationCreateSchema,
ConsultationUpdateSchema), then call the same catalog services as POST and PATCH /api/v1/consultations, so the
console and the API accept and refuse exactly the same consultations. Dates are entered in London time; the
questionnaire, stations and wording are the API's JSON. Nothing is stored when any field is wrong: each error is
shown beside its field and in the error summary.
"""

import json
from datetime import datetime

import marshmallow as ma
from flask import redirect, render_template, request, url_for

from consultation.accounts import permissions
from consultation.catalog import service as catalog
from consultation.catalog.schemas import ConsultationCreateSchema, ConsultationUpdateSchema, QuestionnaireSchema
from consultation.clock import LONDON, now, to_london
from consultation.console.access import signed_in, staff_page
from consultation.errors import ApiError, Conflict
from consultation.extensions import db
from consultation.reporting import service as reporting

TEXT_FIELDS = ("slug", "title", "summary", "consulting_body")
TIME_FIELDS = ("opens_at", "closes_at")
JSON_FIELDS = ("questionnaire", "stations", "wording")
FIELDS = TEXT_FIELDS + TIME_FIELDS + JSON_FIELDS
REQUIRED = {
    "slug": "Enter a slug: the consultation's name in web addresses, such as library-hours.",
    "title": "Enter the consultation's title.",
    "consulting_body": "Enter who is consulting.",
    "opens_at": "Enter the date and time the consultation opens.",
    "closes_at": "Enter the date and time the consultation closes.",
    "questionnaire": "Enter the questionnaire.",
}
FORM_ERROR = "consultation-form"  # an error that belongs to no one field: the summary links to the form
TIME_FORMAT = "%Y-%m-%dT%H:%M"
EXAMPLE_QUESTIONNAIRE = {
    "title": "Your views",
    "introduction": "",
    "questions": [
        {
            "code": "agreement",
            "kind": "agreement_scale",
            "prompt": "How far do you agree with the proposal?",
            "required": True,
            "options": [
                {"value": "agree", "label": "Agree"},
                {"value": "neutral", "label": "Neither agree nor disagree"},
                {"value": "disagree", "label": "Disagree"},
            ],
            "stance_mapping": {"agree": "support", "neutral": "neutral", "disagree": "oppose"},
        },
        {"code": "why", "kind": "free_text", "prompt": "Tell us why"},
    ],
}


@staff_page(permissions.ADMINS)
def manage_consultations():
    """Every consultation: status, window (London time), responses, and whether it may still be edited."""
    at = now()
    summaries = reporting.consultation_summaries(db.session, signed_in())
    items = []
    for consultation in catalog.list_consultations(db.session):
        figures = summaries.get(consultation.id, {})
        items.append(
            {
                "consultation": consultation,
                "status": catalog.consultation_status(consultation, at),
                "responses": sum(figures.get(key, 0) for key in ("on_time", "late", "withdrawn")),
                "locked": catalog.structure_lock_reason(db.session, consultation),
            }
        )
    done = request.args.get("done")
    return render_template("console/consultations.html", items=items, done=done, done_slug=request.args.get("slug", ""))


@staff_page(permissions.ADMINS)
def new_consultation():
    """Create a consultation through the API's schema and service; a 422 (or 409 for a slug taken) naming each
    field that is wrong, with nothing stored."""
    if request.method == "POST":
        form = _form_values(request.form)
        created, errors, status = _submit(ConsultationCreateSchema(), form, FIELDS, _create)
        if created is None:
            return _form_page(form, errors), status
        return redirect(url_for("console.manage_consultations", done="created", slug=created.slug), code=303)
    form = {name: "" for name in FIELDS}
    form.update(questionnaire=_json_text(EXAMPLE_QUESTIONNAIRE), stations="[]", wording="{}")
    return _form_page(form, {})


@staff_page(permissions.ADMINS)
def edit_consultation(slug: str):
    """Edit a consultation while no response refers to its questions and stations (the catalog's rule; a 409
    page saying why otherwise). Questionnaire, stations and wording are replaced only when changed here."""
    consultation = catalog.get_consultation(db.session, slug)
    try:
        catalog.ensure_structure_editable(db.session, consultation)
    except Conflict as refusal:
        raise Conflict(
            f"{consultation.title} can no longer be edited here: {refusal.message} Its dates, title and wording "
            f"can still be changed through the API (PATCH /api/v1/consultations/{slug}).",
            code=refusal.code,
        ) from None
    current = _current_values(consultation)
    if request.method == "POST":
        form = {**_form_values(request.form), "slug": slug}
        changed = tuple(name for name in JSON_FIELDS if not _same_json(form[name], current[name]))
        fields = TEXT_FIELDS[1:] + TIME_FIELDS + changed
        updated, errors, status = _submit(ConsultationUpdateSchema(), form, fields, _updater(slug))
        if updated is None:
            return _form_page(form, errors, editing=consultation), status
        return redirect(url_for("console.manage_consultations", done="updated", slug=slug), code=303)
    return _form_page(current, {}, editing=consultation)


def _create(data: dict):
    return catalog.create_consultation(db.session, signed_in(), data)


def _updater(slug: str):
    return lambda data: catalog.update_consultation(db.session, signed_in(), slug, data)


def _submit(schema: ma.Schema, form: dict, fields: tuple, call) -> tuple:
    """The form's fields as the API's request body, loaded through the API's schema, then the service called:
    (the consultation, {}, 200), or (None, a message per form field, the status to answer) with nothing stored."""
    document, errors = _document(form, fields)
    try:
        data = schema.load(document)
    except ma.ValidationError as error:
        for field, message in _by_field(_flatten(error.messages)).items():
            errors.setdefault(field, message)
    if errors:
        return None, errors, 422
    try:
        return call(data), {}, 200
    except ApiError as error:
        db.session.rollback()
        return None, _by_field(error.errors or {FORM_ERROR: [error.message]}), error.status


def _form_values(form) -> dict:
    return {name: form.get(name, "") for name in FIELDS}


def _form_page(form: dict, errors: dict, *, editing=None):
    heading = f"Edit {editing.title}" if editing is not None else "Create a consultation"
    return render_template(
        "console/consultation_form.html", form=form, errors=errors, creating=editing is None, heading=heading
    )


def _document(form: dict, fields: tuple) -> tuple[dict, dict]:
    """The API's request body from the form's fields: text as typed, London times with their offset, JSON parsed."""
    document, errors = {}, {}
    for name in fields:
        value = form[name].strip() if name != "summary" else form[name]
        if name in REQUIRED and not value:
            errors[name] = REQUIRED[name]
            continue
        if name in TIME_FIELDS:
            value = _london_instant(value, errors, name)
        elif name in JSON_FIELDS:
            value = _parsed_json(value, errors, name)
        if value is not None:
            document[name] = value
    return document, errors


def _london_instant(text: str, errors: dict, name: str) -> str | None:
    """'2030-01-31T17:30' (as a date-and-time field sends it) read as London time, as ISO-8601 with its offset."""
    text = text.strip().replace(" ", "T")
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date and time in London time, for example 2030-01-31 17:30."
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=LONDON)).isoformat()


def _parsed_json(text: str, errors: dict, name: str):
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        errors[name] = f"This is not valid JSON: {error}."
        return None


def _same_json(text: str, current: str) -> bool:
    try:
        return json.loads(text) == json.loads(current)
    except ValueError:
        return False


def _flatten(messages, path: tuple = ()) -> dict[str, list[str]]:
    """Marshmallow's nested messages as {"questionnaire.questions.0.code": [...]}, the service's own error keys."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(_flatten(value, (*path, str(key))))
        return flat
    texts = [str(item) for item in messages] if isinstance(messages, list) else [str(messages)]
    return {".".join(path) or FORM_ERROR: texts}


def _by_field(messages: dict) -> dict[str, str]:
    """Errors keyed by the form field they belong to (a nested key names the JSON field, then where inside it)."""
    errors: dict[str, list[str]] = {}
    for key, texts in messages.items():
        field, _, inside = key.partition(".")
        field = field if field in FIELDS else FORM_ERROR
        where = _where(inside) if inside else ""
        errors.setdefault(field, []).extend(f"{where}{text}" for text in texts)
    return {field: " ".join(texts) for field, texts in errors.items()}


def _where(inside: str) -> str:
    """'questions.0.code' -> 'questions, item 1, code: ' (items counted from 1, as people count)."""
    parts = [f"item {int(part) + 1}" if part.isdigit() else part for part in inside.split(".") if part != "_schema"]
    return ", ".join(parts) + ": " if parts else ""


def _json_text(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _current_values(consultation) -> dict:
    """The form as the consultation stands: London times, and the API's JSON for its questionnaire and stations."""
    questionnaire = QuestionnaireSchema().dump(consultation.questionnaire) if consultation.questionnaire else {}
    stations = [
        {
            "slug": station.slug,
            "name": station.name,
            "address": station.address,
            "borough": station.borough.gss_code,
            "proposal": station.proposal,
            "proposal_detail": station.proposal_detail,
            "crimes_reported_per_day": station.crimes_reported_per_day,
            "visitors_per_day": station.visitors_per_day,
        }
        for station in consultation.stations
    ]
    wording = {
        key: getattr(consultation, column)
        for key, column in catalog.WORDING_COLUMNS.items()
        if getattr(consultation, column) is not None
    }
    return {
        **{name: getattr(consultation, name) for name in TEXT_FIELDS},
        **{name: f"{to_london(getattr(consultation, name)):{TIME_FORMAT}}" for name in TIME_FIELDS},
        "questionnaire": _json_text(questionnaire),
        "stations": _json_text(stations),
        "wording": _json_text(wording),
    }
