"""The coding queue: "Code the next response" claims the next response to code that no other reviewer has open
(for ten minutes, or until saved) and opens it with the reason it was chosen; "Save and code next" saves and
claims the one after. The claim reads a ranking worked out in the background, or the quick order while none is
ready (the page says which), so the request itself ranks nothing. The queue's pages show the reviewer's codings
so far and how far the machine agrees with the reviewers."""

from datetime import datetime

from flask import redirect, render_template, session, url_for

from consultation.accounts import permissions
from consultation.analysis import service as analysis
from consultation.clock import iso_utc, now
from consultation.console.access import signed_in, staff_page
from consultation.console.helpers import consultation_page
from consultation.extensions import db

QUEUE_KEY = "console_queue"


def claim_and_open(slug: str):
    """Claim the next response and open it; why it was chosen, and from which order, ride in the session."""
    claimed = analysis.claim_next(db.session, signed_in(), slug, now())
    if claimed is None:
        session.pop(QUEUE_KEY, None)
        return redirect(url_for("console.queue_done", slug=slug), code=303)
    ranked_at = claimed["ranked_at"]
    session[QUEUE_KEY] = {
        "response_id": claimed["response_id"],
        "why": claimed["why"],
        "order": claimed["order"],
        "ranked_at": iso_utc(ranked_at) if ranked_at else None,
    }
    return redirect(url_for("console.response_page", slug=slug, response_id=claimed["response_id"]), code=303)


def queued_for(response_id: int) -> dict | None:
    held = session.get(QUEUE_KEY)
    if not held or held.get("response_id") != response_id:
        return None
    ranked_at = held.get("ranked_at")
    return {**held, "ranked_at": datetime.fromisoformat(ranked_at) if ranked_at else None}


def coding_figures(slug: str) -> dict:
    """This reviewer's codings today and in all, and the machine's stance agreement with the reviewers."""
    return {
        "progress": analysis.coding_progress(db.session, signed_in(), slug, now()),
        "agreement": analysis.stance_agreement_figure(db.session, slug),
    }


@staff_page(permissions.STAFF)
def queue(slug: str):
    consultation_page(slug)
    return claim_and_open(slug)


@staff_page(permissions.STAFF)
def queue_done(slug: str):
    consultation = consultation_page(slug)
    status = analysis.analysis_status(db.session, slug)
    return render_template(
        "console/queue_done.html", consultation=consultation, status=status, figures=coding_figures(slug)
    )
