"""How far a reviewer has got in a consultation's coding queue: the figures the queue's pages show beside the
agreement between the machine and the reviewers (`agreement.stance_agreement_figure`)."""

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.analysis.models import ResponseAnalysis
from consultation.catalog.service import get_consultation
from consultation.clock import london_wall_time, to_london


def london_day_start(at: datetime) -> datetime:
    """Midnight in London of the day `at` falls on, as aware UTC (the day a reviewer calls "today")."""
    day = to_london(at).date()
    return london_wall_time(day.year, day.month, day.day, 0, 0)


def coding_progress(session: Session, user: User, slug: str, at: datetime) -> dict:
    """Responses of the consultation whose coding is this reviewer's: since midnight in London (`today`) and in
    all (`total`), and how many every reviewer has coded (`everyone`). A response counts once however often it was
    saved, and for the reviewer whose coding it holds now. One query, on the (consultation, coder) index."""
    consultation = get_consultation(session, slug)
    since = london_day_start(at)
    mine = ResponseAnalysis.coded_by_user_id == user.id
    total, today, everyone = session.execute(
        select(
            func.count(case((mine, 1))),
            func.count(case((mine & (ResponseAnalysis.coded_at >= since), 1))),
            func.count(ResponseAnalysis.coded_by_user_id),
        ).where(ResponseAnalysis.consultation_id == consultation.id, ResponseAnalysis.coded_by_user_id.is_not(None))
    ).one()
    return {"consultation": slug, "today": today, "total": total, "everyone": everyone, "since": since}
