"""Reviewer coding of a response (a person's coding always wins), its history, and the machine's latest output."""

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.permissions import ensure_borough_access
from consultation.accounts.service import record_audit
from consultation.analysis.models import Campaign, CodingEvent, ResponseAnalysis, Theme, ThemeAssignment
from consultation.analysis.service.codebook import find_codebook
from consultation.catalog.models import Consultation, Station
from consultation.clock import now
from consultation.errors import Conflict, NotFound, ValidationFailed
from consultation.intake.models import Response


def _response(session: Session, reference: str) -> Response:
    response = session.scalar(select(Response).where(Response.reference == reference))
    if response is None:
        raise NotFound("response", reference)
    return response


def _people(session: Session, user_ids: set[int]) -> dict[int, dict]:
    if not user_ids:
        return {}
    return {
        user_id: {"id": user_id, "name": name}
        for user_id, name in session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    }


def get_coding(session: Session, user: User, reference: str) -> dict:
    """The response's current coding and every change to it, with who made it (machine or a named reviewer)."""
    response = _response(session, reference)
    borough_id = session.scalar(select(Station.borough_id).where(Station.id == response.station_id))
    ensure_borough_access(user, borough_id)
    analysis = session.get(ResponseAnalysis, response.id)
    assignments = session.execute(
        select(ThemeAssignment, Theme.key, Theme.label)
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(ThemeAssignment.response_id == response.id)
        .order_by(ThemeAssignment.confidence.desc(), Theme.key)
    ).all()
    events = session.scalars(
        select(CodingEvent).where(CodingEvent.response_id == response.id).order_by(CodingEvent.id)
    ).all()
    people = _people_named(session, analysis, assignments, events)
    campaign_key = None
    if analysis is not None and analysis.campaign_id:
        campaign_key = session.scalar(select(Campaign.key).where(Campaign.id == analysis.campaign_id))
    return {
        "reference": response.reference,
        "status": response.status,
        "stance": analysis.stance if analysis else None,
        "stance_source": analysis.stance_source if analysis else None,
        "stance_confidence": analysis.stance_confidence if analysis else None,
        "coded_by": people.get(analysis.coded_by_user_id) if analysis and analysis.coded_by_user_id else None,
        "coded_at": analysis.coded_at if analysis else None,
        "note": analysis.note if analysis else None,
        "themes": [
            {
                "key": key,
                "label": label,
                "confidence": assignment.confidence,
                "source": assignment.source,
                "assigned_by": people.get(assignment.assigned_by_user_id),
                "assigned_at": assignment.assigned_at,
            }
            for assignment, key, label in assignments
        ],
        "flags": {"pii": bool(analysis and analysis.flag_pii), "abusive": bool(analysis and analysis.flag_abusive)},
        "campaign": campaign_key,
        "model_version": analysis.model_version if analysis else None,
        "analysed_at": analysis.analysed_at if analysis else None,
        "history": [_history_item(event, people) for event in events],
    }


def _people_named(session: Session, analysis: ResponseAnalysis | None, assignments, events) -> dict[int, dict]:
    """Every reviewer the coding, its theme assignments or its history names."""
    user_ids = {a.assigned_by_user_id for a, _, _ in assignments if a.assigned_by_user_id}
    user_ids |= {event.user_id for event in events if event.user_id}
    if analysis is not None and analysis.coded_by_user_id:
        user_ids.add(analysis.coded_by_user_id)
    return _people(session, user_ids)


def _history_item(event: CodingEvent, people: dict[int, dict]) -> dict:
    return {
        "source": event.source,
        "by": people.get(event.user_id) if event.user_id else None,
        "stance": event.stance,
        "themes": list(event.themes or []),
        "note": event.note,
        "model_version": event.model_version,
        "occurred_at": event.occurred_at,
    }


def code_response(session: Session, user: User, reference: str, data: dict) -> dict:
    """A reviewer's coding replaces the machine's at once (same transaction), and the machine never undoes it."""
    response = _response(session, reference)
    if response.status != "active":
        raise Conflict(f"Response {reference} was withdrawn; it is not coded.", code="response_withdrawn")
    consultation = session.get(Consultation, response.consultation_id)
    book = find_codebook(session, consultation)
    active = {theme.key: theme for theme in (book.themes if book else []) if theme.is_active}
    keys = list(dict.fromkeys(data["themes"]))
    unknown = [key for key in keys if key not in active]
    if unknown:
        raise ValidationFailed(
            {"themes": [f"Not an active theme of this consultation's codebook: {', '.join(unknown)}."]}
        )
    moment = now()
    analysis = session.get(ResponseAnalysis, response.id)
    if analysis is None:
        analysis = ResponseAnalysis(response_id=response.id, consultation_id=consultation.id)
        session.add(analysis)
    analysis.stance = data["stance"]
    analysis.stance_source = "reviewer"
    analysis.stance_confidence = 1.0
    analysis.coded_by_user_id = user.id
    analysis.coded_at = moment
    analysis.note = data.get("note")
    # The analysis row is written first so a concurrent machine batch (which guards on it) sees the coding.
    session.flush()
    session.execute(delete(ThemeAssignment).where(ThemeAssignment.response_id == response.id))
    for key in keys:
        session.add(
            ThemeAssignment(
                response_id=response.id,
                theme_id=active[key].id,
                confidence=1.0,
                source="reviewer",
                assigned_by_user_id=user.id,
                assigned_at=moment,
            )
        )
    session.add(
        CodingEvent(
            response_id=response.id,
            source="reviewer",
            user_id=user.id,
            stance=data["stance"],
            themes=sorted(keys),
            note=data.get("note"),
            occurred_at=moment,
        )
    )
    record_audit(session, user, "code", "response", reference, {"stance": data["stance"], "themes": sorted(keys)})
    session.commit()
    return get_coding(session, user, reference)


MACHINE_HISTORY_BATCH = 5000


def latest_machine_outputs(session: Session, response_ids: list[int]) -> dict[int, tuple[str | None, list[str]]]:
    """The machine's most recent stance and themes for each response, from the coding history."""
    result: dict[int, tuple[str | None, list[str]]] = {}
    for start in range(0, len(response_ids), MACHINE_HISTORY_BATCH):
        chunk = response_ids[start : start + MACHINE_HISTORY_BATCH]
        latest = (
            select(func.max(CodingEvent.id))
            .where(CodingEvent.source == "machine", CodingEvent.response_id.in_(chunk))
            .group_by(CodingEvent.response_id)
        )
        for response_id, stance, themes in session.execute(
            select(CodingEvent.response_id, CodingEvent.stance, CodingEvent.themes).where(CodingEvent.id.in_(latest))
        ):
            result[response_id] = (stance, sorted(themes or []))
    return result
