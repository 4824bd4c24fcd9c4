"""Reading the audit log back: what was done to one object, by whom and when, newest first."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.accounts.models import AuditEvent, User

HISTORY_LIMIT = 500


def object_history(session: Session, object_types: tuple[str, ...], object_id) -> list[dict]:
    """The audit events of one object (under any of its types), newest first, each with the acting user's name."""
    rows = session.execute(
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.object_type.in_(object_types), AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        {"action": event.action, "by": name or "(a removed account)", "at": event.occurred_at, "details": event.details}
        for event, name in rows
    ]
