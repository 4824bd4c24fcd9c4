"""Users and the audit log."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.accounts.models import ApiToken, AuditEvent, User
from consultation.accounts.permissions import ORGANISER, ROLES
from consultation.accounts.tokens import issue_token
from consultation.boroughs import find_borough
from consultation.clock import now
from consultation.errors import Conflict, NotFound, ValidationFailed


def normalise_email(text: str | None) -> str:
    """One spelling per address: trimmed and lower-cased; a 422 for anything that is not one plain address."""
    email = (text or "").strip().lower()
    local, at, domain = email.partition("@")
    if not (local and at and domain) or "@" in domain or any(ch.isspace() or ch in ",;<>" for ch in email):
        raise ValidationFailed({"email": ["Enter an email address like name@example.org."]})
    if len(email) > 254:
        raise ValidationFailed({"email": ["An email address has at most 254 characters."]})
    return email


def _checked_boroughs(session: Session, role: str, borough_codes: list[str]) -> list:
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Must be one of: {', '.join(ROLES)}."]})
    if role == ORGANISER and not borough_codes:
        raise ValidationFailed({"borough": ["An organiser must be scoped to at least one borough."]})
    boroughs = []
    for code in borough_codes:
        borough = find_borough(session, code)
        if borough is None:
            raise ValidationFailed({"borough": [f"No borough with GSS code {code!r}."]})
        boroughs.append(borough)
    return boroughs


def create_user(
    session: Session,
    actor: User | None,
    *,
    name: str,
    role: str,
    borough_codes: Iterable[str] = (),
    email: str | None = None,
) -> User:
    """A user with a role and (for an organiser) boroughs; with an email address they can sign in to the console."""
    borough_codes = list(borough_codes)
    boroughs = _checked_boroughs(session, role, borough_codes)
    if not name.strip():
        raise ValidationFailed({"name": ["A name is required."]})
    if email is not None:
        email = normalise_email(email)
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict("A user with this email address already exists.", errors={"email": ["Taken."]})
    user = User(name=name.strip(), role=role, boroughs=boroughs, email=email)
    session.add(user)
    session.flush()
    details = {"role": role, "boroughs": borough_codes, "email": email}
    record_audit(session, actor or user, "create", "user", user.id, details)
    return user


def create_user_with_token(
    session: Session, *, name: str, role: str, borough_codes: Iterable[str] = ()
) -> tuple[User, str]:
    """Create a user and their first token; the plain token is returned once and never stored."""
    user = create_user(session, None, name=name, role=role, borough_codes=borough_codes)
    return user, issue_token(session, user)


def update_user(
    session: Session, actor: User, user_id: int, *, role: str, borough_codes: Iterable[str], is_active: bool
) -> User:
    """An admin changes a user's role, boroughs or standing; a deactivated user's sessions and tokens stop at once
    (both are checked against is_active on every request)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", str(user_id))
    borough_codes = list(borough_codes)
    user.boroughs = _checked_boroughs(session, role, borough_codes)
    user.role = role
    user.is_active = is_active
    details = {"role": role, "boroughs": borough_codes, "is_active": is_active}
    record_audit(session, actor, "update", "user", user.id, details)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.is_active.desc(), User.name, User.id)))


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


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """This user's tokens, newest first, revoked ones included (they say when they were revoked)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def create_token(session: Session, user: User) -> str:
    """A new token for this user, audited; the plain token is returned once. Commits."""
    token = issue_token(session, user)
    record_audit(session, user, "create", "api_token", token[:10])
    session.commit()
    return token


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Revoke one of this user's own tokens; False when it is not theirs or already revoked. Commits."""
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id or api_token.revoked_at is not None:
        return False
    api_token.revoked_at = now()
    record_audit(session, user, "revoke", "api_token", api_token.prefix)
    session.commit()
    return True
