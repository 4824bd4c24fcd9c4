"""Loads the demo: the 32 boroughs, the historical 2017 consultation and an open copy of it."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.boroughs import Borough
from consultation.catalog import demo_data
from consultation.catalog.models import Consultation, Question, Questionnaire, Station
from consultation.clock import london_wall_time, now, to_london

HISTORICAL_SLUG = "public-access-2017"
DEMO_SLUG = "public-access-demo"


def seed_boroughs(session: Session) -> dict[str, Borough]:
    existing = {borough.gss_code: borough for borough in session.scalars(select(Borough))}
    for code, name in demo_data.BOROUGHS:
        if code in existing:
            existing[code].name = name
        else:
            existing[code] = Borough(gss_code=code, name=name)
            session.add(existing[code])
    session.flush()
    return existing


def _questionnaire() -> Questionnaire:
    questions = []
    for position, spec in enumerate(demo_data.QUESTIONNAIRE["questions"], start=1):
        questions.append(
            Question(
                code=spec["code"],
                position=position,
                kind=spec["kind"],
                prompt=spec["prompt"],
                help_text=spec.get("help_text", ""),
                required=spec["required"],
                options=[{"value": value, "label": label} for value, label in spec.get("options", [])],
                max_length=spec.get("max_length"),
                stance_mapping=spec.get("stance_mapping"),
                answer_format=spec.get("answer_format"),
            )
        )
    return Questionnaire(
        title=demo_data.QUESTIONNAIRE["title"],
        introduction=demo_data.QUESTIONNAIRE["introduction"],
        questions=questions,
    )


def _stations(boroughs: dict[str, Borough]) -> list[Station]:
    return [
        Station(
            slug=slug,
            name=name,
            address=address,
            borough=boroughs[code],
            proposal=proposal,
            proposal_detail=detail,
            crimes_reported_per_day=crimes,
            visitors_per_day=visitors,
        )
        for slug, name, address, code, proposal, detail, crimes, visitors in demo_data.STATIONS
    ]


def _ensure_consultation(session: Session, slug: str, title: str, opens_at, closes_at, boroughs) -> bool:
    if session.scalar(select(Consultation.id).where(Consultation.slug == slug)) is not None:
        return False
    session.add(
        Consultation(
            slug=slug,
            title=title,
            summary=demo_data.SUMMARY,
            consulting_body=demo_data.CONSULTING_BODY,
            opens_at=opens_at,
            closes_at=closes_at,
            stations=_stations(boroughs),
            questionnaire=_questionnaire(),
            **demo_data.WORDING,
        )
    )
    return True


def seed_demo(session: Session) -> list[str]:
    """Idempotent: existing consultations are left as they are (the demo's deadline does not move)."""
    boroughs = seed_boroughs(session)
    created = []
    if _ensure_consultation(
        session,
        HISTORICAL_SLUG,
        demo_data.TITLE + " (2017)",
        london_wall_time(2017, 7, 24, 9, 0),
        london_wall_time(2017, 10, 6, 17, 30),
        boroughs,
    ):
        created.append(HISTORICAL_SLUG)
    seeded_at = now()
    closing_day = to_london(seeded_at).date() + timedelta(days=demo_data.DAYS_OPEN)
    if _ensure_consultation(
        session,
        DEMO_SLUG,
        demo_data.TITLE + " (demo)",
        seeded_at - timedelta(days=demo_data.DAYS_ALREADY_OPEN),
        london_wall_time(closing_day.year, closing_day.month, closing_day.day, 17, 30),
        boroughs,
    ):
        created.append(DEMO_SLUG)
    session.commit()
    return created
