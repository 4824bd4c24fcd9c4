"""What the analysis can do on this machine (with the sentence model, or on words alone) and how far it has got."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultation.analysis.engine import model_status
from consultation.analysis.models import ResponseAnalysis, TextEmbedding
from consultation.analysis.service.tuning_job import tuning_status
from consultation.catalog.service import get_consultation
from consultation.intake.models import Response


def analysis_status(session: Session, slug: str) -> dict:
    """The sentence model's availability, the consultation's responses (analysed, pending, reviewer-coded) and the
    tuning of the sentence model on its codings (the job's progress, and whether a tuned model codes)."""
    consultation = get_consultation(session, slug)
    active = select(Response.id).where(Response.consultation_id == consultation.id, Response.status == "active")
    responses = session.scalar(select(func.count()).select_from(active.subquery())) or 0
    analysed, coded, last = session.execute(
        select(
            func.count(ResponseAnalysis.response_id),
            func.count(ResponseAnalysis.coded_by_user_id),
            func.max(ResponseAnalysis.analysed_at),
        )
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .where(ResponseAnalysis.consultation_id == consultation.id, Response.status == "active")
    ).one()
    version = session.scalar(
        select(ResponseAnalysis.model_version)
        .where(ResponseAnalysis.consultation_id == consultation.id, ResponseAnalysis.analysed_at.is_not(None))
        .order_by(ResponseAnalysis.analysed_at.desc())
        .limit(1)
    )
    return {
        "consultation": slug,
        "sentence_model": model_status(),
        "responses": responses,
        "analysed": analysed,
        "pending": max(0, responses - analysed),
        "reviewer_coded": coded,
        "embedded": session.scalar(select(func.count()).select_from(TextEmbedding)) or 0,
        "model_version": version,
        "last_analysed_at": last,
        "tuning": tuning_status(session, consultation),
    }
