"""The response explorer: filters on the left, 50 responses a page with the count, and exports of exactly
what the filters select."""

from flask import abort, render_template, request

from consultation.accounts import permissions
from consultation.analysis import service as analysis
from consultation.console.access import signed_in, staff_page
from consultation.console.helpers import consultation_page, filters_from_request
from consultation.extensions import db
from consultation.reporting import service as reporting
from consultation.reporting.downloads import send_table

EXPORT_FORMATS = ("csv", "xlsx", "json")


def _choices(consultation, user) -> dict:
    stations = [station for station in consultation.stations if permissions.may_see_borough(user, station.borough_id)]
    boroughs = {station.borough.gss_code: station.borough.name for station in stations}
    book = analysis.find_codebook(db.session, consultation)
    return {
        "stations": stations,
        "boroughs": sorted(boroughs.items(), key=lambda item: item[1]),
        "themes": [theme for theme in (book.themes if book else []) if theme.is_active],
    }


@staff_page()
def explorer(slug: str):
    user = signed_in()
    consultation = consultation_page(slug)
    filters, errors = filters_from_request()
    before = request.args.get("before", type=int)
    page = reporting.explore(db.session, consultation, user, filters, before_id=before)
    return render_template(
        "console/explorer.html",
        consultation=consultation,
        filters=filters,
        args=filters.query_args(),
        errors=errors,
        page=page,
        before=before,
        formats=EXPORT_FORMATS,
        **_choices(consultation, user),
    ), (422 if errors else 200)


@staff_page()
def export(slug: str, file_format: str):
    """The explorer's current selection as a file; personal data never (the API's export has that, audited)."""
    if file_format not in EXPORT_FORMATS:
        abort(404)
    user = signed_in()
    consultation = consultation_page(slug)
    filters, errors = filters_from_request()
    if errors:
        abort(422)
    clauses = reporting.filter_clauses(db.session, consultation, user, filters)
    table = reporting.response_export(
        db.session, consultation, user=user, include_late=True, include_withdrawn=True, extra_clauses=clauses
    )
    return send_table(table, file_format)
