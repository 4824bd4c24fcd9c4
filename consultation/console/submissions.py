"""The organiser's submission pages: the list, drawing one up, and the editor with its preview beside it.

The editor is a form for everything the API takes, checked by the API's own schema and saved by the same service.
"Save and preview" saves, then queues a render job: the page shows the job's progress and refreshes itself (an
HTTP Refresh header, so no JavaScript is needed) until the job is done, then shows the pages as images with the
page count and a download link. Nothing is rendered inside a request.
"""

from flask import redirect, render_template, request, url_for

from consultation.accounts import permissions
from consultation.catalog.service import consultation_status, get_consultation, list_consultations
from consultation.clock import arrival_time
from consultation.console import submission_forms
from consultation.console.organiser_base import error_summary, listing_owner, load, staff_user, visible_stations
from consultation.errors import ApiError
from consultation.extensions import db
from consultation.petitions import service as petitions
from consultation.submissions import previews, service, tasks
from consultation.submissions.schemas import SubmissionCreateSchema, SubmissionUpdateSchema

REFRESH_SECONDS = 2
UNFINISHED = ("queued", "running")


def _choices(user, consultation) -> dict:
    return {
        "stations": visible_stations(user, consultation.stations),
        "petitions": petitions.petitions_for(
            db.session, consultation_slug=consultation.slug, owner=listing_owner(user)
        ),
    }


def submissions():
    """The submissions this staff member drew up (organisers) or may read (reviewers, admins)."""
    return render_template(
        "console/organiser/submissions.html", submissions=service.list_submissions(db.session, staff_user())
    )


def new_submission():
    """Draw up a submission: the consultation, a title, who it is from and its stations; the editor does the rest."""
    user = staff_user()
    consultations = list_consultations(db.session)
    errors, values = {}, {"stations": []}
    if request.method == "POST":
        values = {**submission_forms.read_form(request.form), "consultation": request.form.get("consultation", "")}
        try:
            consultation = get_consultation(db.session, values["consultation"])
            body = {key: values[key] for key in ("title", "organisation", "signatory", "stations")}
            data = load(
                SubmissionCreateSchema(),
                {**body, "consultation": consultation.slug, "addressed_to": consultation.consulting_body},
            )
            found = service.create_submission(db.session, user, data)
            return redirect(url_for("organiser.submission", submission_id=found.id), code=303)
        except ApiError as error:
            if error.status not in (404, 422):
                raise
            db.session.rollback()
            errors = error.errors or {"consultation": [error.message]}
    summary, field_errors = error_summary(errors, submission_forms.FIELD_IDS)
    body = render_template(
        "console/organiser/submission_new.html",
        consultations=consultations,
        stations={item.slug: _choices(user, item)["stations"] for item in consultations},
        values=values,
        summary=summary,
        field_errors=field_errors,
    )
    return body, 422 if errors else 200


def _editor(submission, *, values: dict, errors: dict | None = None, status: int = 200):
    user = staff_user()
    job = service.latest_render(db.session, user, submission.id)
    summary, field_errors = error_summary(errors or {}, submission_forms.FIELD_IDS)
    body = render_template(
        "console/organiser/submission_editor.html",
        submission=submission,
        values=values,
        sections=submission_forms.section_slots(values["sections"]),
        choices=_choices(user, submission.consultation),
        job=job,
        pages=previews.stored_pages(db.session, job.id) if job is not None and job.status == "done" else [],
        consultation_status=consultation_status(submission.consultation, arrival_time()),
        summary=summary,
        field_errors=field_errors,
    )
    response = (body, status, {"Cache-Control": "no-store"})
    if job is not None and job.status in UNFINISHED:
        # The page refreshes itself until the render is done: works in every browser, with or without JavaScript.
        response[2]["Refresh"] = str(REFRESH_SECONDS)
    return response


def submission(submission_id: int):
    """The editor: GET shows the draft and its latest preview; POST saves it (and, if asked, renders a preview)."""
    user = staff_user()
    found = service.get_submission(db.session, user, submission_id)
    if request.method != "POST" or found.status != "draft":
        return _editor(found, values=submission_forms.values_of(found))
    permissions.ensure_may_change(user, found, "submission")
    values = submission_forms.read_form(request.form)
    try:
        data = load(SubmissionUpdateSchema(), values)
        found = service.update_submission(db.session, user, submission_id, data)
    except ApiError as error:
        if error.status not in (409, 422):
            raise
        db.session.rollback()
        found = service.get_submission(db.session, user, submission_id)
        return _editor(found, values=values, errors=error.errors or {"title": [error.message]}, status=error.status)
    if request.form.get("then") == "preview":
        tasks.start_render(db.session, user, found)
    return redirect(url_for("organiser.submission", submission_id=submission_id, _anchor="preview"), code=303)


def preview(submission_id: int):
    """Render the draft as it is now (a background job); the editor then shows its progress."""
    user = staff_user()
    found = service.get_submission(db.session, user, submission_id)
    tasks.start_render(db.session, user, found)
    return redirect(url_for("organiser.submission", submission_id=submission_id, _anchor="preview"), code=303)
