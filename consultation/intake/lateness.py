"""Lateness follows the deadline: when a consultation's closes_at moves, its responses' `late` flags move with it.

`late` is stored (aggregates, quotes and exports filter on it, by index) and means what the deadline rule says:
received at or after closes_at. A stored flag must not outlive the deadline it was judged against, so create_app
connects `recompute_lateness` to the catalog's deadline_moved signal, sent in the transaction that moves closes_at.
"""

from sqlalchemy import and_, false, true, update
from sqlalchemy.orm import Session

from consultation.catalog.models import Consultation
from consultation.intake.models import Response


def recompute_lateness(consultation: Consultation, *, session: Session) -> int:
    """Re-judge every response of the consultation against its current closes_at; returns how many changed."""
    closes_at = consultation.closes_at
    became_late = session.execute(
        update(Response)
        .where(
            Response.consultation_id == consultation.id,
            Response.late.is_(false()),
            Response.received_at >= closes_at,
        )
        .values(late=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    became_on_time = session.execute(
        update(Response)
        .where(
            and_(
                Response.consultation_id == consultation.id,
                Response.late.is_(true()),
                Response.received_at < closes_at,
            )
        )
        .values(late=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    return (became_late or 0) + (became_on_time or 0)
