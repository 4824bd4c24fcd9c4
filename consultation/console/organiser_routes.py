"""The organiser's pages of the staff console, under /staff: the blueprint, its sign-in check and its URL map.

Every page wears the console's `staff_page` (signed in, or sent to the sign-in page); what each may see or
change is decided by the services. Every POST carries Flask-WTF's CSRF token (this blueprint is not exempted).
Errors are the console's HTML error pages. The views live
in `organiser` (home), `petitions`, `petition_packs`, `petition_signers`, `submissions` and `submission_filing`.
"""

from flask import Blueprint

from consultation.console import (
    organiser,
    petition_packs,
    petition_signers,
    petitions,
    submission_filing,
    submissions,
)
from consultation.console.access import end_idle_sessions, staff_page
from consultation.console.helpers import page_helpers
from consultation.console.organiser_base import london_text
from consultation.console.routes import PAGES as CONSOLE_PAGES

bp = Blueprint(
    "organiser",
    __name__,
    url_prefix="/staff",
    static_folder="../static/console",
    static_url_path="/organiser-assets",
)
bp.before_request(end_idle_sessions)
bp.context_processor(page_helpers)
bp.context_processor(lambda: {"london_text": london_text})

PAGES = [
    ("/organiser", organiser.home, ["GET"]),
    ("/petitions", petitions.petitions, ["GET"]),
    ("/petitions/new", petitions.new_petition, ["GET", "POST"]),
    ("/petitions/<int:petition_id>", petitions.petition, ["GET"]),
    ("/petitions/<int:petition_id>/timeline.svg", petitions.timeline_svg, ["GET"]),
    ("/petitions/<int:petition_id>/edit", petitions.edit_petition, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/packs", petition_packs.packs_page, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/packs/<code>/tally", petition_packs.tally, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/packs/<code>/signatures", petition_packs.key_in, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/signers", petition_signers.signers_page, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/signers.csv", petition_signers.signers_csv, ["GET"]),
    ("/petitions/<int:petition_id>/duplicates", petition_signers.duplicates_page, ["GET", "POST"]),
    ("/petitions/<int:petition_id>/history", petition_signers.history, ["GET"]),
    ("/submissions", submissions.submissions, ["GET"]),
    ("/submissions/new", submissions.new_submission, ["GET", "POST"]),
    ("/submissions/<int:submission_id>", submissions.submission, ["GET", "POST"]),
    ("/submissions/<int:submission_id>/preview", submissions.preview, ["POST"]),
    ("/submissions/<int:submission_id>/renders/<job_id>/pages/<int:number>.png", submission_filing.page_image, ["GET"]),
    ("/submissions/<int:submission_id>/pdf", submission_filing.pdf, ["GET"]),
    ("/submissions/<int:submission_id>/letterhead", submission_filing.letterhead, ["POST"]),
    ("/submissions/<int:submission_id>/file", submission_filing.file, ["GET", "POST"]),
    ("/submissions/<int:submission_id>/receipt", submission_filing.receipt, ["GET"]),
]
ENDPOINTS = {
    "packs_page": "packs",
    "signers_page": "signers",
    "duplicates_page": "duplicates",
    "history": "petition_history",
}
for rule, view, methods in PAGES:
    # Signed in (or sent to the sign-in page) first; which objects each may see is the services' to say.
    endpoint = ENDPOINTS.get(view.__name__, view.__name__)
    bp.add_url_rule(rule, endpoint=endpoint, view_func=staff_page()(view), methods=methods)

# The console's own error pages, in its layout and words.
CONSOLE_PAGES.register(bp)
