"""Response intake rules."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultation.catalog.models import Consultation
from consultation.catalog.service import STRUCTURE_LOCKS
from consultation.intake.models import Response


def _responses_lock(session: Session, consultation: Consultation) -> str | None:
    count = session.scalar(select(func.count(Response.id)).where(Response.consultation_id == consultation.id))
    if count:
        return f"Questions and stations cannot be replaced: {count} responses already refer to them."
    return None


STRUCTURE_LOCKS.append(_responses_lock)
