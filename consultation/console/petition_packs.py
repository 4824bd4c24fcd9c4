"""The organiser's paper-pack pages: register a pack, record its returned tally (a late pack is kept and marked),
and key in its signatures from a CSV or XLSX upload. An upload is checked whole first: with "all or nothing", a
file with any bad row stores nothing and the page lists every row's problem; "valid rows only" stores the rest.
"""

from flask import current_app, redirect, render_template, request, url_for

from consultation.accounts import permissions
from consultation.common import IMPORT_MODES
from consultation.console.organiser_base import error_summary, load, staff_user
from consultation.errors import ApiError, ValidationFailed
from consultation.extensions import db
from consultation.petitions import packs, service
from consultation.petitions.schemas import PackCreateSchema, TallySchema

PACK_FIELDS = {"code": "code", "issued_to": "issued-to", "issued_at": "issued", "issued": "issued"}
TALLY_FIELDS = {
    "signatures_counted": "signatures-counted",
    "sheets": "sheets",
    "received_at": "received",
    "received": "received",
    "counted_by": "counted-by",
}


def _packs_page(petition_id: int, *, values=None, errors=None, status=200):
    user = staff_user()
    petition = service.get_petition(db.session, petition_id)
    summary, field_errors = error_summary(errors or {}, PACK_FIELDS)
    body = render_template(
        "console/organiser/packs.html",
        petition=petition,
        packs=packs.list_packs(db.session, user, petition_id),
        may_change=permissions.may_change_owned(user, petition),
        values=values or {},
        summary=summary,
        field_errors=field_errors,
    )
    return body, status


def packs_page(petition_id: int):
    """The petition's packs with their tallies, and the form that registers a new one (owner)."""
    if request.method != "POST":
        return _packs_page(petition_id)
    # Reviewers read the packs; only the owner (or an admin) registers one: refused before the form is read.
    permissions.ensure_may_change(staff_user(), service.get_petition(db.session, petition_id), "petition")
    values = {name: request.form.get(name, "").strip() for name in ("code", "issued-to", "issued-date", "issued-time")}
    try:
        data = load(
            PackCreateSchema(),
            {
                "code": values["code"],
                "issued_to": values["issued-to"],
            },
            moments={"issued_at": "issued"},
        )
        packs.register_pack(db.session, staff_user(), petition_id, **data)
    except ApiError as error:
        if error.status not in (409, 422):
            raise
        db.session.rollback()
        return _packs_page(petition_id, values=values, errors=error.errors or {"code": [error.message]}, status=422)
    return redirect(url_for("organiser.packs", petition_id=petition_id), code=303)


def _pack(petition_id: int, code: str) -> tuple:
    petition = service.get_petition(db.session, petition_id)
    permissions.ensure_may_change(staff_user(), petition, "petition")
    return petition, packs.describe_pack(db.session, petition, packs.get_pack(db.session, petition, code))


def tally(petition_id: int, code: str):
    """Record a returned pack's count: how many signatures, on how many sheets, when it came back, who counted."""
    petition, pack = _pack(petition_id, code)
    names = ("signatures-counted", "sheets", "counted-by", "received-date", "received-time")
    values = {name: request.form.get(name, "").strip() for name in names}
    errors = {}
    if request.method == "POST":
        try:
            data = load(
                TallySchema(),
                {
                    "signatures_counted": values["signatures-counted"],
                    "sheets": values["sheets"],
                    "counted_by": values["counted-by"],
                },
                moments={"received_at": "received"},
            )
            packs.record_tally(db.session, staff_user(), petition_id, code, **data)
            return redirect(url_for("organiser.packs", petition_id=petition_id), code=303)
        except ValidationFailed as error:
            db.session.rollback()
            errors = error.errors
    summary, field_errors = error_summary(errors, TALLY_FIELDS)
    body = render_template(
        "console/organiser/tally.html",
        petition=petition,
        pack=pack,
        values=values,
        summary=summary,
        field_errors=field_errors,
    )
    return body, 422 if errors else 200


def key_in(petition_id: int, code: str):
    """Upload a returned pack's signatures (name, postcode, optionally signed_at); every row checked first."""
    petition, pack = _pack(petition_id, code)
    report, problems, message, status = None, [], None, 200
    mode = request.form.get("mode", IMPORT_MODES[0])
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ValidationFailed({"file": ["Choose a CSV or XLSX file."]})
            content = _read_upload(upload)
            report = packs.key_in_pack(
                db.session, staff_user(), petition_id, code, filename=upload.filename, content=content, mode=mode
            )
        except packs.RowsRejected as error:
            db.session.rollback()
            report, problems, message, status = error.report, error.report.problems, error.message, 422
        except ApiError as error:
            if error.status not in (409, 413, 422):
                raise
            db.session.rollback()
            message, status = error.message, error.status
            problems = [{"row": "", "field": key, "message": texts[0]} for key, texts in (error.errors or {}).items()]
    body = render_template(
        "console/organiser/key_in.html",
        petition=petition,
        pack=pack,
        report=report,
        problems=problems,
        message=message,
        mode=mode,
        modes=IMPORT_MODES,
    )
    return body, status


def _read_upload(upload) -> bytes:
    limit = current_app.config["IMPORT_MAX_BYTES"]
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, "payload_too_large", f"The file is larger than {limit:,} bytes.")
    return content
