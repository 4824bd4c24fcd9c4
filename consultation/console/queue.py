"""The coding queue: "Code the next response" claims the most useful uncoded response that no other reviewer
has open (for ten minutes, or until saved) and opens it with the reason it was chosen; "Save and code next"
saves and claims the one after."""

from flask import redirect, render_template, session, url_for

from consultation.accounts import permissions
from consultation.analysis import service as analysis
from consultation.clock import now
from consultation.console.access import signed_in, staff_page
from consultation.console.helpers import consultation_page
from consultation.extensions import db

QUEUE_KEY = "console_queue"


def claim_and_open(slug: str):
    """Claim the next response and open it; the reason it was chosen rides in the session to its page."""
    claimed = analysis.claim_next(db.session, signed_in(), slug, now())
    if claimed is None:
        session.pop(QUEUE_KEY, None)
        return redirect(url_for("console.queue_done", slug=slug), code=303)
    session[QUEUE_KEY] = {"response_id": claimed["response_id"], "why": claimed["why"], "pool": claimed["pool"]}
    return redirect(url_for("console.response_page", slug=slug, response_id=claimed["response_id"]), code=303)


def queued_for(response_id: int) -> dict | None:
    held = session.get(QUEUE_KEY)
    return held if held and held.get("response_id") == response_id else None


@staff_page(permissions.STAFF)
def queue(slug: str):
    consultation_page(slug)
    return claim_and_open(slug)


@staff_page(permissions.STAFF)
def queue_done(slug: str):
    consultation = consultation_page(slug)
    status = analysis.analysis_status(db.session, slug)
    return render_template("console/queue_done.html", consultation=consultation, status=status)
