"""One response: its answers, times, versions, flags and the machine's coding, with the reviewer's coding form
(the same service call as the API's) and, for roles allowed to, an audited "show personal details". Opened from
the coding queue, it also says why the response was chosen and shows the reviewer's figures so far."""

from flask import redirect, render_template, request, url_for

from consultation.accounts import permissions
from consultation.analysis import service as analysis
from consultation.analysis.models import STANCES
from consultation.console.access import signed_in, staff_page
from consultation.console.helpers import consultation_page
from consultation.console.queue import claim_and_open, coding_figures, queued_for
from consultation.errors import ValidationFailed
from consultation.extensions import db
from consultation.reporting import service as reporting

NOTE_LIMIT = 5000


def coding_from_form(form) -> dict:
    """The coding form as the coding service takes it; a 422 naming each field that is wrong."""
    errors = {}
    stance = form.get("stance", "")
    if stance not in STANCES:
        errors["stance"] = ["Choose whether the response opposes, supports or is neutral."]
    note = form.get("note", "").strip() or None
    if note and len(note) > NOTE_LIMIT:
        errors["note"] = [f"A note has at most {NOTE_LIMIT:,} characters."]
    if errors:
        raise ValidationFailed(errors)
    return {"stance": stance, "themes": form.getlist("themes"), "note": note}


def response_context(slug: str, response_id: int, **extra) -> dict:
    user = signed_in()
    consultation = consultation_page(slug)
    view = reporting.response_view(db.session, user, consultation, response_id)
    coding = analysis.get_coding(db.session, user, view["response"].reference)
    book = analysis.find_codebook(db.session, consultation)
    queued = queued_for(response_id)
    return {
        "consultation": consultation,
        "coding": coding,
        "themes": [theme for theme in (book.themes if book else []) if theme.is_active],
        "stances": STANCES,
        "may_code": permissions.has_role(user, permissions.STAFF),
        "queued": queued,
        "figures": coding_figures(slug) if queued else None,
        **view,
        **extra,
    }


@staff_page()
def response_page(slug: str, response_id: int):
    return render_template("console/response.html", **response_context(slug, response_id))


@staff_page(permissions.STAFF)
def code(slug: str, response_id: int):
    """Save a reviewer's coding; it wins over the machine's from now on."""
    user = signed_in()
    consultation = consultation_page(slug)
    response = reporting.get_response(db.session, user, consultation, response_id)
    try:
        analysis.code_response(db.session, user, response.reference, coding_from_form(request.form))
    except ValidationFailed as error:
        db.session.rollback()
        errors = {field: messages[0] for field, messages in error.errors.items()}
        return render_template("console/response.html", **response_context(slug, response_id, errors=errors)), 422
    analysis.release_claim(db.session, user, response_id)
    db.session.commit()
    if request.form.get("then") == "next":
        return claim_and_open(slug)
    return redirect(url_for("console.response_page", slug=slug, response_id=response_id, saved=1), code=303)


@staff_page(permissions.PERSONAL_DATA_ROLES)
def show_personal_details(slug: str, response_id: int):
    """Asked for explicitly by a button, recorded in the audit log, shown on this page only (never stored in
    the session or the URL)."""
    user = signed_in()
    consultation = consultation_page(slug)
    details = reporting.personal_details(db.session, user, consultation, response_id)
    return render_template(
        "console/response.html", **response_context(slug, response_id, personal=details, personal_shown=True)
    )
