"""Figures for the staff console that the aggregates do not give: each consultation's response counts at a
glance, responses per London day, and the late register. Organisers see only their boroughs' responses."""

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.permissions import visible_borough_ids
from consultation.analysis.models import ResponseAnalysis
from consultation.catalog.models import Consultation, Station
from consultation.clock import to_london
from consultation.intake.models import Response
from consultation.petitions.models import Petition
from consultation.reporting.service.aggregates import Scope

LATE_REGISTER_LIMIT = 200


def _in_reach(query, user: User | None):
    visible = visible_borough_ids(user)
    if visible is None:
        return query
    return query.join(Station, Station.id == Response.station_id).where(Station.borough_id.in_(visible or {-1}))


def consultation_summaries(session: Session, user: User | None) -> dict[int, dict]:
    """Per consultation id: responses on time, late and withdrawn, analysis pending, and petitions."""
    summaries: dict[int, dict] = {}

    def entry(consultation_id: int) -> dict:
        return summaries.setdefault(
            consultation_id, {"on_time": 0, "late": 0, "withdrawn": 0, "pending": 0, "petitions": 0}
        )

    counts = _in_reach(
        select(Response.consultation_id, Response.status, Response.late, func.count()).group_by(
            Response.consultation_id, Response.status, Response.late
        ),
        user,
    )
    for consultation_id, status, late, count in session.execute(counts):
        key = "withdrawn" if status == "withdrawn" else "late" if late else "on_time"
        entry(consultation_id)[key] += count
    pending = _in_reach(
        select(Response.consultation_id, func.count())
        .outerjoin(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .where(Response.status == "active", ResponseAnalysis.response_id.is_(None))
        .group_by(Response.consultation_id),
        user,
    )
    for consultation_id, count in session.execute(pending):
        entry(consultation_id)["pending"] = count
    petitions = select(Petition.consultation_id, func.count()).group_by(Petition.consultation_id)
    for consultation_id, count in session.execute(petitions):
        entry(consultation_id)["petitions"] = count
    return summaries


def _hour_bucket(session: Session):
    """Each response's UTC hour as text; the London day is worked out from it (zoneinfo, not a fixed offset)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Response.received_at), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", Response.received_at)


def responses_per_day(session: Session, consultation: Consultation, scope: Scope) -> list[tuple[date, int, int]]:
    """(London day, on time, late) for every day with an active response in scope, oldest first."""
    bucket = _hour_bucket(session).label("hour")
    query = (
        select(bucket, Response.late, func.count())
        .where(Response.consultation_id == consultation.id, Response.status == "active")
        .group_by(bucket, Response.late)
    )
    if scope.restricted:
        query = query.where(Response.station_id.in_(scope.station_ids or [-1]))
    on_time: Counter = Counter()
    late: Counter = Counter()
    for hour, is_late, count in session.execute(query):
        day = to_london(datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)).date()
        (late if is_late else on_time)[day] += count
    return [(day, on_time[day], late[day]) for day in sorted(set(on_time) | set(late))]


def late_register(session: Session, consultation: Consultation, scope: Scope) -> dict:
    """Late responses in scope, newest first (at most LATE_REGISTER_LIMIT rows), and how many there are."""
    filters = [Response.consultation_id == consultation.id, Response.late.is_(True)]
    if scope.restricted:
        filters.append(Response.station_id.in_(scope.station_ids or [-1]))
    total = session.scalar(select(func.count()).select_from(Response).where(*filters)) or 0
    rows = session.execute(
        select(
            Response.id,
            Response.reference,
            Response.channel,
            Response.status,
            Response.received_at,
            Station.name.label("station"),
        )
        .join(Station, Station.id == Response.station_id)
        .where(*filters)
        .order_by(Response.received_at.desc(), Response.id.desc())
        .limit(LATE_REGISTER_LIMIT)
    ).mappings()
    return {"total": total, "rows": [dict(row) for row in rows]}
