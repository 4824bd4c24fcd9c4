"""Consultations and their questionnaires: reading, creating and changing them."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.boroughs import boroughs_by_code
from consultation.catalog.models import Consultation, Question, Questionnaire, Station
from consultation.catalog.signals import deadline_moved, structure_change_requested
from consultation.catalog.wording import wording_for
from consultation.clock import as_utc, now
from consultation.errors import Conflict, NotFound, ValidationFailed

SCALE_KINDS = ("single_choice", "multiple_choice", "agreement_scale")


def window_open(opens_at, closes_at, at):
    """The deadline rule, stated once: open from opens_at (inclusive) until closes_at (exclusive).

    Written with `&` so it reads Python datetimes (giving a bool) and SQL columns (giving a WHERE clause) alike:
    intake's one-statement insert re-checks the window in SQL with this same expression."""
    return (opens_at <= at) & (closes_at > at)


def consultation_status(consultation: Consultation, at: datetime | None = None) -> str:
    """'not_open' before opens_at, 'open' until closes_at, 'closed' from closes_at on (exclusive end)."""
    at = at or now()
    if window_open(consultation.opens_at, consultation.closes_at, at):
        return "open"
    return "not_open" if at < consultation.opens_at else "closed"


def list_consultations(session: Session) -> list[Consultation]:
    consultations = session.scalars(
        select(Consultation).options(selectinload(Consultation.stations)).order_by(Consultation.opens_at.desc())
    ).all()
    moment = now()
    for consultation in consultations:
        consultation.status = consultation_status(consultation, moment)
    return list(consultations)


def get_consultation(session: Session, slug: str) -> Consultation:
    consultation = session.scalar(
        select(Consultation)
        .where(Consultation.slug == slug)
        .options(selectinload(Consultation.stations).joinedload(Station.borough))
    )
    if consultation is None:
        raise NotFound("consultation", slug)
    consultation.status = consultation_status(consultation)
    consultation.wording = wording_for(consultation).as_dict()
    return consultation


def get_questionnaire(session: Session, slug: str) -> Questionnaire:
    consultation = get_consultation(session, slug)
    if consultation.questionnaire is None:
        raise NotFound("questionnaire for consultation", slug)
    return consultation.questionnaire


def get_station(session: Session, consultation: Consultation, station_slug: str) -> Station:
    station = session.scalar(
        select(Station).where(Station.consultation_id == consultation.id, Station.slug == station_slug)
    )
    if station is None:
        raise NotFound("station", station_slug)
    return station


def _check_window(opens_at: datetime, closes_at: datetime) -> None:
    if as_utc(closes_at) <= as_utc(opens_at):
        raise ValidationFailed({"closes_at": ["Must be later than opens_at."]})


def _check_questions(questions: list[dict]) -> dict:
    errors: dict = {}
    seen: set[str] = set()
    for index, question in enumerate(questions):
        problems = []
        if question["code"] in seen:
            problems.append(f"Duplicate question code {question['code']!r}.")
        seen.add(question["code"])
        values = [option["value"] for option in question.get("options", [])]
        if question["kind"] in SCALE_KINDS and len(values) < 2:
            problems.append("Choice and scale questions need at least two options.")
        if len(set(values)) != len(values):
            problems.append("Option values must be unique.")
        if question["kind"] == "free_text" and values:
            problems.append("Free-text questions take no options.")
        if question.get("answer_format") and question["kind"] != "free_text":
            problems.append("Only free-text questions take an answer_format.")
        mapping = question.get("stance_mapping")
        if mapping:
            if question["kind"] != "agreement_scale":
                problems.append("Only agreement scales take a stance_mapping.")
            elif set(mapping) - set(values):
                problems.append("stance_mapping names options the question does not have.")
        if problems:
            errors[f"questionnaire.questions.{index}"] = problems
    if not questions:
        errors["questionnaire.questions"] = ["A questionnaire needs at least one question."]
    return errors


def _build_questions(questionnaire_data: dict) -> list[Question]:
    questions = []
    for position, data in enumerate(questionnaire_data["questions"], start=1):
        max_length = data.get("max_length")
        if data["kind"] == "free_text" and max_length is None:
            max_length = 5000
        questions.append(
            Question(
                code=data["code"],
                position=position,
                kind=data["kind"],
                prompt=data["prompt"],
                help_text=data.get("help_text", ""),
                required=data.get("required", False),
                options=[dict(option) for option in data.get("options", [])],
                max_length=max_length,
                stance_mapping=data.get("stance_mapping"),
                answer_format=data.get("answer_format"),
            )
        )
    return questions


def _build_stations(session: Session, stations_data: list[dict]) -> list[Station]:
    boroughs = boroughs_by_code(session)
    errors: dict = {}
    stations = []
    seen: set[str] = set()
    for index, data in enumerate(stations_data):
        borough = boroughs.get(data["borough"])
        if borough is None:
            errors[f"stations.{index}.borough"] = [f"No borough with GSS code {data['borough']!r}."]
            continue
        if data["slug"] in seen:
            errors[f"stations.{index}.slug"] = [f"Duplicate station slug {data['slug']!r}."]
        seen.add(data["slug"])
        fields = {key: value for key, value in data.items() if key != "borough"}
        stations.append(Station(borough=borough, **fields))
    if errors:
        raise ValidationFailed(errors)
    return stations


# Wording keys as the API names them -> the consultation's columns.
WORDING_COLUMNS = {
    "site": "site_word",
    "sites": "site_word_plural",
    "proposals": "proposal_wording",
    "figures": "figure_labels",
}


def _apply_wording(consultation: Consultation, wording: dict) -> None:
    """Set the words given; words left out keep their value (generic ones on a new consultation)."""
    for key, column in WORDING_COLUMNS.items():
        if key in wording:
            value = wording[key]
            setattr(consultation, column, dict(value) if isinstance(value, dict) else value)


def slug_taken(session: Session, slug: str) -> bool:
    return session.scalar(select(Consultation.id).where(Consultation.slug == slug)) is not None


def create_consultation(session: Session, user: User, data: dict) -> Consultation:
    _check_window(data["opens_at"], data["closes_at"])
    errors = _check_questions(data["questionnaire"]["questions"])
    if errors:
        raise ValidationFailed(errors)
    if slug_taken(session, data["slug"]):
        # A request creating the same slug between this check and the commit loses on the unique constraint
        # (a 409 from the IntegrityError handler).
        raise Conflict(
            f"A consultation with slug {data['slug']!r} already exists.",
            errors={"slug": ["A consultation with this slug already exists: choose another."]},
        )
    consultation = Consultation(
        slug=data["slug"],
        title=data["title"],
        summary=data.get("summary", ""),
        consulting_body=data["consulting_body"],
        opens_at=as_utc(data["opens_at"]),
        closes_at=as_utc(data["closes_at"]),
        stations=_build_stations(session, data.get("stations", [])),
        questionnaire=Questionnaire(
            title=data["questionnaire"]["title"],
            introduction=data["questionnaire"].get("introduction", ""),
            questions=_build_questions(data["questionnaire"]),
        ),
    )
    _apply_wording(consultation, data.get("wording") or {})
    session.add(consultation)
    record_audit(session, user, "create", "consultation", data["slug"])
    session.commit()
    return get_consultation(session, data["slug"])


def structure_lock_reason(session: Session, consultation: Consultation) -> str | None:
    """Why the consultation's questions or stations may no longer be replaced (asked of the rooms above), or None."""
    for _, reason in structure_change_requested.send(consultation, session=session):
        if reason:
            return reason
    return None


def ensure_structure_editable(session: Session, consultation: Consultation) -> None:
    """The rule for replacing questions and stations, stated once: only while no response refers to them
    (409 consultation_has_responses otherwise). The API's PATCH and the console's edit page both ask it."""
    reason = structure_lock_reason(session, consultation)
    if reason:
        raise Conflict(reason, code="consultation_has_responses")


def update_consultation(session: Session, user: User, slug: str, data: dict) -> Consultation:
    """Change a consultation; every check runs before anything changes, so a refused change leaves it as it was."""
    consultation = get_consultation(session, slug)
    opens_at = data.get("opens_at", consultation.opens_at)
    closes_at = data.get("closes_at", consultation.closes_at)
    _check_window(opens_at, closes_at)
    if "questionnaire" in data or "stations" in data:
        ensure_structure_editable(session, consultation)
    if "questionnaire" in data:
        errors = _check_questions(data["questionnaire"]["questions"])
        if errors:
            raise ValidationFailed(errors)
    stations = _build_stations(session, data["stations"]) if "stations" in data else None
    for field in ("title", "summary", "consulting_body"):
        if field in data:
            setattr(consultation, field, data[field])
    _apply_wording(consultation, data.get("wording") or {})
    moved = as_utc(closes_at) != consultation.closes_at
    consultation.opens_at, consultation.closes_at = as_utc(opens_at), as_utc(closes_at)
    if moved:
        session.flush()
        deadline_moved.send(consultation, session=session)
    if "questionnaire" in data:
        questionnaire = consultation.questionnaire
        questionnaire.title = data["questionnaire"]["title"]
        questionnaire.introduction = data["questionnaire"].get("introduction", "")
        questionnaire.questions = []
        session.flush()
        questionnaire.questions = _build_questions(data["questionnaire"])
    if stations is not None:
        consultation.stations = []
        session.flush()
        consultation.stations = stations
    record_audit(session, user, "update", "consultation", slug, {"fields": sorted(data)})
    session.commit()
    return get_consultation(session, slug)
