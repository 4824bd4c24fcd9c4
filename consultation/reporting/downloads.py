"""Sending an export as a download, for the API and the staff console alike."""

from flask import Response, current_app, send_file

from consultation.reporting import service
from consultation.reporting.constants import MEDIA_TYPES


def _in_own_app_context(app, chunks):
    """Make each chunk inside a short app context of its own (and so its own database session).

    The request's context is gone by the time the body streams; holding a context open across yields would
    tangle with whatever the serving thread pushes meanwhile. Keyset batches need no session kept between them.
    """
    iterator = iter(chunks)
    while True:
        with app.app_context():
            chunk = next(iterator, None)
        if chunk is None:
            return
        yield chunk


def send_table(table: service.TableExport, file_format: str) -> Response:
    """The export as an attachment: CSV, JSON and NDJSON stream in batches; XLSX comes from a temporary file."""
    headers = {"Content-Disposition": f'attachment; filename="{table.filename(file_format)}"'}
    if file_format == "xlsx":
        response = send_file(
            service.xlsx_temporary_file(table),
            mimetype=MEDIA_TYPES["xlsx"],
            as_attachment=True,
            download_name=table.filename("xlsx"),
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    chunks = _in_own_app_context(current_app._get_current_object(), service.text_chunks(table, file_format))
    headers["Cache-Control"] = "no-store"
    return Response(chunks, mimetype=MEDIA_TYPES[file_format], headers=headers)
