"""Background analysis: what the Celery tasks (analysis/tasks.py) run, and the sweep that catches what was missed.

Intake announces the responses it committed; analysis's receiver sends one `analysis.analyse_responses` task per
notice (consultation/jobs.py says where tasks run: never inside the request). Batching happens inside the task:
a run has a fixed cost (loading the models, reading the plan, placing campaigns), so a task codes its own
responses together with every other response of the same consultations that is still waiting. In a burst the
first task codes all that has arrived, and the tasks behind it find their responses current and end quickly.

A process that dies between commit and sending, or a broker that is down, loses only the notice, never the
response: the sweep (`pending_response_ids`, run by Celery beat) finds every response whose analysis never
ran or is out of date and codes it.
"""

import logging

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from consultation.analysis.models import ResponseAnalysis
from consultation.analysis.service import analyse, consultations_of
from consultation.analysis.service.locking import DEFAULT_WAIT_SECONDS
from consultation.catalog.models import Consultation
from consultation.intake.models import Response

log = logging.getLogger(__name__)

SWEEP_LIMIT = 50_000  # per sweep; the next sweep takes the rest
BATCH_LIMIT = 5_000  # waiting responses a notice's task takes along; the next task or the sweep takes the rest


def pending_response_ids(
    session: Session, limit: int = SWEEP_LIMIT, *, consultation_ids: list[int] | None = None
) -> list[int]:
    """Responses whose analysis never ran (active, no analysis) or is out of date: withdrawn but still analysed, or
    changed (amended) after their analysis. A run that finds a response's input unchanged stamps `analysed_at`,
    so a response whose row changed in some other way is picked up once, not by every sweep."""
    analysis = ResponseAnalysis.__table__
    statement = (
        select(Response.id)
        .outerjoin(analysis, analysis.c.response_id == Response.id)
        .where(
            or_(
                and_(Response.status == "active", analysis.c.response_id.is_(None)),
                and_(Response.status != "active", analysis.c.response_id.is_not(None)),
                and_(Response.status == "active", analysis.c.analysed_at < Response.updated_at),
            )
        )
        .order_by(Response.id)
        .limit(limit)
    )
    if consultation_ids is not None:
        statement = statement.where(Response.consultation_id.in_(consultation_ids))
    return list(session.scalars(statement))


def analyse_response_ids(
    session: Session, response_ids: list[int], *, workers: int = 1, lock_wait: float = DEFAULT_WAIT_SECONDS
) -> list[dict]:
    """Run the pipeline for these responses, one run per consultation they belong to; the runs' summaries."""
    summaries = []
    try:
        for consultation_id, ids in sorted(consultations_of(session, response_ids).items()):
            consultation = session.get(Consultation, consultation_id)
            run = analyse(session, consultation, response_ids=ids, workers=workers, lock_wait=lock_wait)
            summaries.append(run.as_dict())
    except Exception:
        session.rollback()
        raise
    return summaries


def analyse_batch(session: Session, response_ids: list[int], *, workers: int = 1, lock_wait: float = 0) -> list[dict]:
    """A notice's run: these responses plus every other one still waiting in their consultations (the batch)."""
    grouped = consultations_of(session, response_ids)
    waiting = pending_response_ids(session, BATCH_LIMIT, consultation_ids=sorted(grouped)) if grouped else []
    return analyse_response_ids(session, sorted(set(response_ids) | set(waiting)), workers=workers, lock_wait=lock_wait)


def analyse_consultation_slug(session: Session, slug: str, *, force: bool = False, workers: int = 1) -> dict | None:
    """A whole consultation's incremental run (everything if `force`); None if the consultation is gone."""
    try:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        if consultation is None:
            return None
        return analyse(session, consultation, force=force, workers=workers).as_dict()
    except Exception:
        session.rollback()
        raise


def sweep(session: Session, *, workers: int = 1) -> list[dict]:
    """Code whatever a lost notice left behind."""
    ids = pending_response_ids(session)
    return analyse_response_ids(session, ids, workers=workers) if ids else []
