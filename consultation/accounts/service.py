"""Users and the audit log."""

from collections.abc import Iterable

from sqlalchemy.orm import Session

from consultation.accounts.models import AuditEvent, User
from consultation.accounts.permissions import ORGANISER, ROLES
from consultation.accounts.tokens import issue_token
from consultation.boroughs import find_borough
from consultation.clock import now
from consultation.errors import ValidationFailed


def create_user_with_token(
    session: Session, *, name: str, role: str, borough_codes: Iterable[str] = ()
) -> tuple[User, str]:
    """Create a user and their first token; the plain token is returned once and never stored."""
    borough_codes = list(borough_codes)
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Must be one of: {', '.join(ROLES)}."]})
    if not name.strip():
        raise ValidationFailed({"name": ["A name is required."]})
    if role == ORGANISER and not borough_codes:
        raise ValidationFailed({"borough": ["An organiser must be scoped to at least one borough."]})
    boroughs = []
    for code in borough_codes:
        borough = find_borough(session, code)
        if borough is None:
            raise ValidationFailed({"borough": [f"No borough with GSS code {code!r}."]})
        boroughs.append(borough)
    user = User(name=name.strip(), role=role, boroughs=boroughs)
    session.add(user)
    token = issue_token(session, user)
    record_audit(session, user, "create", "user", user.id, {"role": role, "boroughs": borough_codes})
    return user, token


def record_audit(
    session: Session, user: User | None, action: str, object_type: str, object_id, details: dict | None = None
) -> AuditEvent:
    """Every write by an authenticated user, and every read of personal data, leaves one of these."""
    session.flush()
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        occurred_at=now(),
        details=details or {},
    )
    session.add(event)
    return event
