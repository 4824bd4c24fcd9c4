"""The petition's signers (personal data: the owner, reviewers and admins; every page read is audited), the batch
review that invalidates or restores signatures with a reason, the signers' CSV (the owner) and the history.
"""

from flask import Response, redirect, render_template, request, url_for

from consultation.accounts.history import object_history
from consultation.console.organiser_base import staff_user
from consultation.console.petitions import readable_petition
from consultation.errors import ValidationFailed
from consultation.extensions import db
from consultation.petitions import exports, signers

PAGE_SIZE = 50
REVIEW_ACTIONS = {"invalidate": "Don't count (invalidate)", "restore": "Count again (restore)"}


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 1_000_000))
    except ValueError:
        return 1


def signers_page(petition_id: int):
    """One page of signers, flagged ones marked with the reason; tick some and invalidate or restore them."""
    petition = readable_petition(petition_id)
    page = _page_number()
    errors, reason = {}, ""
    if request.method == "POST":
        reason = request.form.get("reason", "").strip()
        try:
            ids = [int(value) for value in request.form.getlist("signature")]
        except ValueError:
            ids = []
        try:
            if not ids:
                raise ValidationFailed({"signature": ["Tick at least one signature."]})
            signers.review_signatures(
                db.session,
                staff_user(),
                petition_id,
                action=request.form.get("action", ""),
                signature_ids=ids,
                reason=reason,
            )
            return redirect(url_for("organiser.signers", petition_id=petition_id, page=page), code=303)
        except ValidationFailed as error:
            db.session.rollback()
            errors = error.errors
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
    response = Response(body, status=422 if errors else 200)
    response.headers["Cache-Control"] = "no-store"
    return response


def signers_csv(petition_id: int):
    """Every signer as CSV (the owner only); audited; cells that would start a formula are neutralised."""
    filename, text = exports.signers_csv(db.session, staff_user(), petition_id)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def history(petition_id: int):
    """Everything done to the petition, its packs and its signers, from the audit log."""
    petition = readable_petition(petition_id)
    events = object_history(db.session, ("petition", "petition_signatures"), petition.id)
    return render_template("console/organiser/history.html", petition=petition, events=events)
