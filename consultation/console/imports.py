"""Importing paper and email responses: upload, see every row's problems before anything is stored, then
confirm. A file whose content was imported before needs a second, explicit confirmation.

Between the check and the confirmation the upload waits in the instance folder under a random name that only
this browser's session knows; confirming (or a new upload) removes it."""

import hashlib
import secrets
from pathlib import Path

from flask import current_app, render_template, request, session

from consultation.accounts import permissions
from consultation.common import IMPORT_MODES
from consultation.console.access import signed_in, staff_page
from consultation.console.helpers import consultation_page
from consultation.errors import ApiError
from consultation.extensions import db
from consultation.intake.imports import ImportRejected, import_responses, refuse_duplicate

HELD_KEY = "console_import"


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_held() -> None:
    held = session.pop(HELD_KEY, None)
    if held:
        (_folder() / held["name"]).unlink(missing_ok=True)


def _page(consultation, **context):
    return render_template("console/imports.html", consultation=consultation, modes=IMPORT_MODES, **context)


@staff_page(permissions.STAFF)
def imports(slug: str):
    return _page(consultation_page(slug))


@staff_page(permissions.STAFF)
def check_upload(slug: str):
    """Check the file as an import would, store nothing, and hold it for the confirmation."""
    consultation = consultation_page(slug)
    upload = request.files.get("file")
    mode = request.form.get("mode", "all_or_nothing")
    if upload is None or not upload.filename:
        return _page(consultation, errors={"file": "Choose a CSV or XLSX file."}), 422
    limit = current_app.config["IMPORT_MAX_BYTES"]
    content = upload.stream.read(limit + 1)
    args = {"slug": slug, "filename": upload.filename, "content": content, "mode": mode, "max_bytes": limit}
    try:
        report = import_responses(db.session, signed_in(), check_only=True, allow_duplicate_file=True, **args)
    except ImportRejected as error:
        return _page(consultation, report=error.report, rejected=error.message), 422
    except ApiError as error:
        errors = {field: messages[0] for field, messages in error.errors.items()} or {"file": error.message}
        return _page(consultation, errors=errors), error.status
    duplicate = None
    try:
        refuse_duplicate(db.session, consultation.id, _digest(content))
    except ApiError as error:
        duplicate = error.message
    _forget_held()
    name = secrets.token_hex(16) + ".upload"
    (_folder() / name).write_bytes(content)
    session[HELD_KEY] = {"name": name, "filename": upload.filename, "mode": mode, "slug": slug}
    return _page(consultation, report=report, duplicate=duplicate, checked=True)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@staff_page(permissions.STAFF)
def confirm_import(slug: str):
    """Store the held file's responses; a second import of the same content only with the box ticked."""
    consultation = consultation_page(slug)
    held = session.get(HELD_KEY)
    path = _folder() / held["name"] if held else None
    if not held or held["slug"] != slug or not path.exists():
        return _page(consultation, errors={"file": "Upload the file again: nothing is waiting to be imported."}), 409
    try:
        report = import_responses(
            db.session,
            signed_in(),
            slug=slug,
            filename=held["filename"],
            content=path.read_bytes(),
            mode=held["mode"],
            allow_duplicate_file=request.form.get("again") == "yes",
        )
    except ApiError as error:
        db.session.rollback()
        if error.code == "duplicate_file":
            return _page(consultation, duplicate=error.message, checked=True, needs_again=True), 409
        _forget_held()
        return _page(consultation, errors={"file": error.message}), error.status
    _forget_held()
    return _page(consultation, imported=report)
