"""The organiser's petition pages: the list, create and edit (the API's schemas and rules), and the petition's
page with its totals by channel, borough and station and its timeline chart (an SVG, with the numbers beside it).

Only the petition's owner, reviewers and admins open a petition's pages; the services decide (another
organiser gets 403 on every one of them).
"""

from flask import Response, redirect, render_template, request, url_for

from consultation.accounts import permissions
from consultation.catalog.service import list_consultations
from consultation.clock import arrival_time, to_london
from consultation.console.organiser_base import (
    error_summary,
    form_list,
    listing_owner,
    load,
    london_field,
    staff_user,
    visible_stations,
)
from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db
from consultation.petitions import service
from consultation.petitions.schemas import PetitionCreateSchema, PetitionUpdateSchema
from consultation.submissions.charts import timeline_chart

FIELD_IDS = {
    "title": "title",
    "text": "text",
    "consultation": "consultation",
    "stations": "stations",
    "closes_at": "closes",
    "closes": "closes",
    "reason": "reason",
}
CLOSING_TIME = "23:59"  # a closing date given without a time closes at the end of that day
# An SVG shown through <img> runs no script; its own styles need this much and nothing more.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def readable_petition(petition_id: int):
    """The petition, if this staff member may open its pages (owner, reviewers, admins); 403 otherwise."""
    petition = service.get_petition(db.session, petition_id)
    permissions.ensure_may_read(staff_user(), petition, "petition")
    return petition


def _station_choices(user, consultations) -> dict[str, list]:
    return {consultation.slug: visible_stations(user, consultation.stations) for consultation in consultations}


def _form_page(template: str, *, petition=None, values: dict, errors: dict | None = None, status: int = 200):
    summary, field_errors = error_summary(errors or {}, FIELD_IDS)
    consultations = [petition.consultation] if petition else list_consultations(db.session)
    body = render_template(
        template,
        petition=petition,
        signed=petition is not None and service.has_signatures(db.session, petition),
        values=values,
        consultations=consultations,
        stations=_station_choices(staff_user(), consultations),
        summary=summary,
        field_errors=field_errors,
    )
    return body, status


def _values_from_form() -> dict:
    return {
        "title": request.form.get("title", "").strip(),
        "text": request.form.get("text", "").strip(),
        "consultation": request.form.get("consultation", ""),
        "stations": form_list("stations"),
        "closes-date": request.form.get("closes-date", "").strip(),
        "closes-time": request.form.get("closes-time", "").strip(),
        "reason": request.form.get("reason", "").strip(),
    }


def petitions():
    """The petitions this staff member runs (organisers) or may review (reviewers, admins)."""
    user, at = staff_user(), arrival_time()
    owner = listing_owner(user)
    items = [
        (petition, service.petition_status(petition, at), service.headline_total(db.session, petition))
        for petition in service.petitions_for(db.session, owner=owner)
    ]
    return render_template("console/organiser/petitions.html", items=items)


def new_petition():
    """Create a petition: title, text, stations in your boroughs, closing time (no later than the consultation)."""
    if request.method != "POST":
        return _form_page("console/organiser/petition_form.html", values={"closes-time": "17:00"})
    values = _values_from_form()
    try:
        data = load(
            PetitionCreateSchema(),
            {
                "title": values["title"],
                "text": values["text"],
                "consultation": values["consultation"],
                "stations": values["stations"],
            },
            moments={"closes_at": ("closes", CLOSING_TIME)},
        )
        petition = service.create_petition(db.session, staff_user(), at=arrival_time(), **data)
    except ValidationFailed as error:
        db.session.rollback()
        return _form_page("console/organiser/petition_form.html", values=values, errors=error.errors, status=422)
    return redirect(url_for("organiser.petition", petition_id=petition.id), code=303)


def _current_values(petition) -> dict:
    closes = to_london(petition.closes_at)
    return {
        "title": petition.title,
        "text": petition.text,
        "consultation": petition.consultation.slug,
        "stations": [station.slug for station in petition.stations],
        "closes-date": closes.strftime("%Y-%m-%d"),
        "closes-time": closes.strftime("%H:%M"),
    }


def edit_petition(petition_id: int):
    """Change a petition; once anyone has signed, only its title and text, and a new title needs a reason (the
    service says so, as the API does; the form then shows the reason field)."""
    petition = service.get_petition(db.session, petition_id)
    permissions.ensure_may_change(staff_user(), petition, "petition")
    current = _current_values(petition)
    if request.method != "POST":
        return _form_page("console/organiser/petition_form.html", petition=petition, values=current)
    values = {**_values_from_form(), "consultation": current["consultation"]}
    changed = {name: values[name] for name in ("title", "text", "stations") if values[name] != current[name]}
    try:
        if (values["closes-date"], values["closes-time"]) != (current["closes-date"], current["closes-time"]):
            changed["closes_at"] = london_field("closes", CLOSING_TIME).isoformat()
        if not changed:
            raise ValidationFailed({"title": ["Nothing has changed."]})
        if values["reason"]:
            changed["reason"] = values["reason"]
        data = load(PetitionUpdateSchema(), changed)
        service.update_petition(db.session, staff_user(), petition_id, data, at=arrival_time())
    except ApiError as error:
        if error.status not in (409, 422):
            raise
        db.session.rollback()
        errors = error.errors if error.status == 422 else {"_conflict": [error.message], **(error.errors or {})}
        return _form_page(
            "console/organiser/petition_form.html", petition=petition, values=values, errors=errors, status=error.status
        )
    return redirect(url_for("organiser.petition", petition_id=petition_id), code=303)


def petition(petition_id: int):
    """The petition's totals by channel, borough and station, its timeline, and a link to its public page."""
    found = readable_petition(petition_id)
    totals = service.petition_totals(db.session, found.id)
    chart = timeline_chart("timeline", found.title, totals["timeline"])
    return render_template(
        "console/organiser/petition.html",
        petition=found,
        status=service.petition_status(found, arrival_time()),
        totals=totals,
        chart=chart,
        may_change=permissions.may_change_owned(staff_user(), found),
    )


def timeline_svg(petition_id: int):
    """The timeline chart alone, for the petition page's <img>."""
    found = readable_petition(petition_id)
    totals = service.petition_totals(db.session, found.id)
    response = Response(timeline_chart("timeline", found.title, totals["timeline"]).svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response
