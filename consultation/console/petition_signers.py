"""The petition's signers (personal data: the owner, reviewers and admins; every page read is audited), the batch
review that invalidates or restores signatures with a reason, the review of possible duplicates (each flagged
signature beside the signatures it resembles, counted or not with a reason), the signers' CSV (the owner) and
the history.
"""

from flask import Response, redirect, render_template, request, url_for

from consultation.accounts.history import object_history
from consultation.console.organiser_base import error_summary, staff_user
from consultation.console.petitions import readable_petition
from consultation.errors import ValidationFailed
from consultation.extensions import db
from consultation.petitions import exports, signers

PAGE_SIZE = 50
REVIEW_ACTIONS = {"invalidate": "Don't count (invalidate)", "restore": "Count again (restore)"}
DUPLICATE_ACTIONS = {"count": "Count the ticked signatures", "dont_count": "Don't count the ticked signatures"}
DUPLICATE_FIELDS = {
    "reason": "reason",
    "signature": "duplicates",
    "signature_ids": "duplicates",
    "action": "duplicates",
}
LIKENESS_WORDS = {
    "same_mailbox": "Same mailbox",
    "same_name": "Same name and postcode",
    "close_name": "Close name, same postcode",
}
# How the history names what was done, where the audit log's own name for it reads badly.
ACTION_WORDS = {
    "count_signatures": "count possible duplicates",
    "dont_count_signatures": "don't count possible duplicates",
}


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 1_000_000))
    except ValueError:
        return 1


def _review_ticked(petition_id: int, actions: dict, reason: str) -> None:
    """The form's action on the ticked signatures, through the API's review; 422 for none ticked, or an action
    this page does not offer."""
    try:
        ids = [int(value) for value in request.form.getlist("signature")]
    except ValueError:
        ids = []
    if not ids:
        raise ValidationFailed({"signature": ["Tick at least one signature."]})
    action = request.form.get("action", "")
    if action not in actions:
        raise ValidationFailed({"action": ["Choose what to do with the ticked signatures."]})
    signers.review_signatures(db.session, staff_user(), petition_id, action=action, signature_ids=ids, reason=reason)


def _no_store(body: str, status: int) -> Response:
    response = Response(body, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _review_posted(petition_id: int, actions, endpoint: str, page: int):
    """A POST of the review form: carry out the ticked action and redirect back (the redirect, no errors), or the
    field errors and the reason typed, to show again; (None, {}, "") for a GET."""
    if request.method != "POST":
        return None, {}, ""
    reason = request.form.get("reason", "").strip()
    try:
        _review_ticked(petition_id, actions, reason)
    except ValidationFailed as error:
        db.session.rollback()
        return None, error.errors, reason
    return redirect(url_for(endpoint, petition_id=petition_id, page=page), code=303), {}, reason


def signers_page(petition_id: int):
    """One page of signers, flagged ones marked with the reason; tick some and invalidate or restore them."""
    petition = readable_petition(petition_id)
    page = _page_number()
    done, errors, reason = _review_posted(petition_id, REVIEW_ACTIONS, "organiser.signers", page)
    if done is not None:
        return done
    items, total = signers.list_signatures(db.session, staff_user(), petition_id, page=page, page_size=PAGE_SIZE)
    summary = [
        {"message": texts[0], "href": "#reason" if key == "reason" else "#signers"} for key, texts in errors.items()
    ]
    body = render_template(
        "console/organiser/signers.html",
        petition=petition,
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        actions=REVIEW_ACTIONS,
        reason=reason,
        summary=summary,
        field_errors={},
    )
    return _no_store(body, 422 if errors else 200)


def duplicates_page(petition_id: int):
    """Possible duplicates not yet decided, each beside the signatures it resembles (name, postcode, email
    domain); tick some, give a reason, and count them (they join the total) or not (invalidated)."""
    petition = readable_petition(petition_id)
    page = _page_number()
    done, errors, reason = _review_posted(petition_id, DUPLICATE_ACTIONS, "organiser.duplicates", page)
    if done is not None:
        return done
    items, total = signers.list_possible_duplicates(
        db.session, staff_user(), petition_id, page=page, page_size=PAGE_SIZE
    )
    summary, field_errors = error_summary(errors, DUPLICATE_FIELDS)
    body = render_template(
        "console/organiser/duplicates.html",
        petition=petition,
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        actions=DUPLICATE_ACTIONS,
        likeness_words=LIKENESS_WORDS,
        reason=reason,
        summary=summary,
        field_errors=field_errors,
    )
    return _no_store(body, 422 if errors else 200)


def signers_csv(petition_id: int):
    """Every signer as CSV (the owner only); audited; cells that would start a formula are neutralised."""
    filename, text = exports.signers_csv(db.session, staff_user(), petition_id)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def history(petition_id: int):
    """Everything done to the petition, its packs and its signers, from the audit log: reviews with their
    reasons, and each new title beside the old one with the reason given."""
    petition = readable_petition(petition_id)
    events = object_history(db.session, ("petition", "petition_signatures"), petition.id)
    return render_template("console/organiser/history.html", petition=petition, events=events, words=ACTION_WORDS)
