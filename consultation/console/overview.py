"""A consultation at a glance (the reviewer's "question summary"): responses per day, by channel, borough and
station, stance by borough, themes, the late register and how far the analysis has got."""

from flask import render_template

from consultation.accounts import permissions
from consultation.analysis import service as analysis
from consultation.console.access import signed_in, staff_page
from consultation.console.charts import day_chart
from consultation.console.helpers import consultation_page
from consultation.extensions import db
from consultation.reporting import service as reporting


@staff_page()
def overview(slug: str):
    """Every figure from the reporting and analysis services; organisers see their boroughs only."""
    user = signed_in()
    consultation = consultation_page(slug)
    scope = reporting.resolve_scope(db.session, consultation, user)
    by_borough = reporting.compute_aggregates(db.session, consultation, user=user, group_by="borough")
    by_station = reporting.compute_aggregates(db.session, consultation, user=user, group_by="station")
    per_day = reporting.responses_per_day(db.session, consultation, scope)
    staff = permissions.has_role(user, permissions.STAFF)
    theme_counts = [figures["count"] for figures in by_station["overall"]["themes"].values()]
    return render_template(
        "console/overview.html",
        consultation=consultation,
        by_borough=by_borough,
        by_station=by_station,
        per_day=per_day,
        largest_theme=max(theme_counts, default=0),
        chart=day_chart(per_day),
        late=reporting.late_register(db.session, consultation, scope),
        status=analysis.analysis_status(db.session, slug),
        agreement=analysis.agreement(db.session, slug) if staff else None,
    )
