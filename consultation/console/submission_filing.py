"""The submission's documents and filing: preview page images, the PDF download, the letterhead upload, the
filing confirmation page and the receipt.

Filing freezes the submission, records its SHA-256 and counts it as a response of the `submission` channel for
each of its stations; the deadline is the consultation's, judged by when the request arrived (server clock,
London time). The request only locks the draft and queues the filing job; the confirmation page follows the job
(refreshing itself) and moves on to the receipt when it is done. After the deadline the confirmation page says
the consultation has closed instead of offering the button, and a late POST is refused the same way.
"""

from flask import Response, redirect, render_template, request, url_for

from consultation.accounts import permissions
from consultation.catalog.service import consultation_status
from consultation.clock import arrival_time
from consultation.console.organiser_base import staff_user
from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db
from consultation.submissions import service, tasks
from consultation.submissions.letterhead import LETTERHEAD_MAX_BYTES

CLOSED_CODES = ("consultation_closed", "consultation_not_open")
REFRESH_SECONDS = 2


def page_image(submission_id: int, job_id: str, number: int):
    """One page of a render's preview, as PNG."""
    page = service.get_page_image(db.session, staff_user(), submission_id, job_id, number)
    return Response(page.png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})


def pdf(submission_id: int):
    """The filed PDF once filed; before that, the newest finished preview."""
    document = service.latest_pdf(db.session, staff_user(), submission_id)
    response = Response(document.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response.headers["X-Content-SHA256"] = document.sha256
    response.headers["Cache-Control"] = "no-store"
    return response


def letterhead(submission_id: int):
    """Upload a letterhead (PNG or JPEG, checked by its content) or remove it; back to the editor."""
    user = staff_user()
    permissions.ensure_may_change(user, service.get_submission(db.session, user, submission_id), "submission")
    if request.form.get("remove") == "yes":
        service.set_letterhead(db.session, user, submission_id, None)
    else:
        upload = request.files.get("letterhead")
        if upload is None or not upload.filename:
            raise ValidationFailed({"letterhead": ["Choose a PNG or JPEG image."]})
        content = upload.stream.read(LETTERHEAD_MAX_BYTES + 1)
        service.set_letterhead(db.session, user, submission_id, content)
    return redirect(url_for("organiser.submission", submission_id=submission_id), code=303)


def _confirmation(found, *, closed_message: str | None = None, status: int = 200):
    user = staff_user()
    filing_job = service.latest_render(db.session, user, found.id, purpose="filing")
    body = render_template(
        "console/organiser/file_confirm.html",
        submission=found,
        job=service.latest_render(db.session, user, found.id),
        filing_job=filing_job,
        open=consultation_status(found.consultation, arrival_time()) == "open" and closed_message is None,
        closed_message=closed_message,
    )
    headers = {"Cache-Control": "no-store"}
    if found.status == "filing":
        # The page refreshes itself until the filing job ends: then the receipt, or the reason it failed.
        headers["Refresh"] = str(REFRESH_SECONDS)
    return body, status, headers


def file(submission_id: int):
    """GET: what filing does and the deadline (or the filing's progress); POST: file it. The request's arrival
    time decides lateness; the filing job renders and files the locked draft, never the request."""
    user = staff_user()
    found = service.get_submission(db.session, user, submission_id)
    permissions.ensure_may_change(user, found, "submission")
    if found.status == "filed":
        return redirect(url_for("organiser.receipt", submission_id=submission_id), code=303)
    if request.method != "POST" or found.status == "filing":
        return _confirmation(found)
    try:
        tasks.start_filing(db.session, user, submission_id, received_at=arrival_time())
    except ApiError as error:
        if error.code not in CLOSED_CODES:
            raise
        db.session.rollback()
        found = service.get_submission(db.session, user, submission_id)
        return _confirmation(found, closed_message=error.message, status=error.status)
    return redirect(url_for("organiser.file", submission_id=submission_id), code=303)


def receipt(submission_id: int):
    """The filing's receipt: reference, SHA-256, London time, and the filed PDF to download."""
    found = service.get_submission(db.session, staff_user(), submission_id)
    if found.filing is None:
        return redirect(url_for("organiser.file", submission_id=submission_id), code=303)
    return render_template("console/organiser/receipt.html", submission=found, filing=found.filing)
