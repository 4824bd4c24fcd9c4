"""The organiser's home: their boroughs' figures for each consultation (responses by station, stance, top themes,
late), their petitions with totals, their submissions with status, and each deadline counting down in London time.

Reviewers and admins see the same page over every borough, as the API lets them.
"""

from datetime import datetime

from flask import render_template

from consultation.accounts.permissions import visible_borough_ids
from consultation.catalog.models import Consultation
from consultation.catalog.service import consultation_status, list_consultations
from consultation.clock import arrival_time
from consultation.console.organiser_base import listing_owner, london_text, staff_user
from consultation.extensions import db
from consultation.petitions import service as petitions
from consultation.reporting.service import compute_aggregates
from consultation.submissions import service as submissions

TOP_THEMES = 3


def countdown(closes_at: datetime, at: datetime) -> str:
    """'2 days 4 hours left' (or minutes on the last hour); 'closed' once the deadline has passed."""
    left = closes_at - at
    if left.total_seconds() <= 0:
        return "closed"
    days, seconds = left.days, left.seconds
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' * (days != 1)}")
    if hours or days:
        parts.append(f"{hours} hour{'s' * (hours != 1)}")
    if not days:
        parts.append(f"{minutes} minute{'s' * (minutes != 1)}")
    return " ".join(parts) + " left"


def _station_rows(consultation: Consultation, user) -> list[dict]:
    on_time = compute_aggregates(db.session, consultation, user=user, group_by="station")
    with_late = compute_aggregates(db.session, consultation, user=user, group_by="station", include_late=True)
    late_by_station = {group["key"]: group["total"] for group in with_late["groups"]}
    labels = {theme["key"]: theme["label"] for theme in on_time["themes"]}
    rows = []
    for group in on_time["groups"]:
        themes = sorted(group["themes"].items(), key=lambda item: -item[1]["count"])
        rows.append(
            {
                "name": group.get("name", group["key"]),
                "total": group["total"],
                "stance": group["stance"],
                "late": late_by_station.get(group["key"], 0) - group["total"],
                "themes": [(labels.get(key, key), item["count"]) for key, item in themes[:TOP_THEMES] if item["count"]],
            }
        )
    return rows


def _consultations(user, at: datetime) -> list[dict]:
    visible = visible_borough_ids(user)
    items = []
    for consultation in list_consultations(db.session):
        if visible is not None and not any(station.borough_id in visible for station in consultation.stations):
            continue
        items.append(
            {
                "consultation": consultation,
                "status": consultation_status(consultation, at),
                "closes": london_text(consultation.closes_at),
                "countdown": countdown(consultation.closes_at, at),
                "stations": _station_rows(consultation, user),
            }
        )
    return items


def home():
    """The organiser's home page."""
    user, at = staff_user(), arrival_time()
    owner = listing_owner(user)
    own_petitions = [
        (petition, petitions.petition_status(petition, at), petitions.headline_total(db.session, petition))
        for petition in petitions.petitions_for(db.session, owner=owner)
    ]
    return render_template(
        "console/organiser/home.html",
        user=user,
        consultations=_consultations(user, at),
        petitions=own_petitions,
        submissions=submissions.list_submissions(db.session, user),
    )
