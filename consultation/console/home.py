"""Home: the consultations this user can see, each with its figures at a glance."""

from collections import Counter

from flask import render_template

from consultation.catalog.service import consultation_status, list_consultations
from consultation.clock import now
from consultation.console.access import signed_in, staff_page
from consultation.extensions import db
from consultation.reporting import service as reporting
from consultation.submissions import service as submissions


@staff_page()
def home():
    """Each consultation's status, deadline (London time), responses on time, late and withdrawn, analysis
    pending, petitions and submissions; an organiser's figures count only their boroughs."""
    user = signed_in()
    at = now()
    summaries = reporting.consultation_summaries(db.session, user)
    filed = Counter(item.consultation_id for item in submissions.list_submissions(db.session, user))
    items = [
        {
            "consultation": consultation,
            "status": consultation_status(consultation, at),
            "figures": summaries.get(consultation.id, {}),
            "submissions": filed.get(consultation.id, 0),
        }
        for consultation in list_consultations(db.session)
    ]
    return render_template("console/home.html", items=items, user=user)
