"""Background analysis: the Celery tasks, and the intake listener that enqueues them after each intake.

Eager by default (the task runs inline, after intake's commit); with a Redis broker a worker runs it.
create_app registers `enqueue_analysis` with intake's events explicitly (`register_listeners`); importing this
module registers nothing with intake.
"""

import os

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.analysis.service import analyse, consultations_of
from consultation.catalog.models import Consultation
from consultation.catalog.service import get_consultation
from consultation.errors import NotFound
from consultation.extensions import celery, db
from consultation.intake import events


def configured_workers() -> int:
    """Processes for coding large runs: ANALYSIS_WORKERS (config or environment), else the machine's cores."""
    value = current_app.config.get("ANALYSIS_WORKERS") or os.environ.get("ANALYSIS_WORKERS")
    return max(1, int(value)) if value else (os.cpu_count() or 1)


@celery.task(name="analysis.analyse_responses")
def analyse_responses(response_ids: list[int]) -> list[dict]:
    """Analyse the given responses (new, amended or withdrawn), grouped by consultation."""
    session = db.session
    try:
        summaries = []
        for consultation_id, ids in sorted(consultations_of(session, response_ids).items()):
            consultation = session.get(Consultation, consultation_id)
            summaries.append(analyse(session, consultation, response_ids=ids, workers=configured_workers()).as_dict())
        return summaries
    except Exception:
        session.rollback()
        raise


@celery.task(name="analysis.analyse_consultation")
def analyse_consultation(slug: str, force: bool = False) -> dict:
    """Analyse a whole consultation: incremental (only what changed) unless `force`."""
    session = db.session
    try:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        if consultation is None:
            raise NotFound("consultation", slug)
        return analyse(session, consultation, force=force, workers=configured_workers()).as_dict()
    except Exception:
        session.rollback()
        raise


def enqueue_analysis(response_ids: list[int]) -> None:
    """Intake listener: ask for analysis of what intake just committed."""
    analyse_responses.delay(list(response_ids))


def register_listeners() -> None:
    """Called by create_app: analyse what intake commits (registering twice is harmless)."""
    events.on_responses_changed(enqueue_analysis)


def request_analysis(session: Session, user: User, slug: str, *, force: bool = False) -> dict:
    """Queue a consultation's analysis for a reviewer; with eager tasks it has run by the time this returns."""
    consultation = get_consultation(session, slug)
    record_audit(session, user, "analyse", "consultation", consultation.slug, {"force": force})
    session.commit()
    outcome = analyse_consultation.delay(consultation.slug, force)
    if celery.conf.task_always_eager:
        return {"consultation": slug, "status": "done", "task_id": None, "result": outcome.get()}
    return {"consultation": slug, "status": "queued", "task_id": outcome.id, "result": None}
