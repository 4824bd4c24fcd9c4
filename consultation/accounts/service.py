"""Tokens, roles and the audit log. Tokens are shown once and stored only as a SHA-256 hash."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from consultation.accounts.models import ROLES, ApiToken, AuditEvent, User
from consultation.boroughs import find_borough
from consultation.clock import now
from consultation.errors import Forbidden, ValidationFailed

TOKEN_PREFIX = "ct_"
# last_used_at says roughly when a token was last used (to spot stale tokens), not every request: it is written
# at most once per LAST_USED_RESOLUTION per token, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def create_user_with_token(
    session: Session, *, name: str, role: str, borough_codes: Iterable[str] = ()
) -> tuple[User, str]:
    """Create a user and their first token; the plain token is returned once and never stored."""
    borough_codes = list(borough_codes)
    if role not in ROLES:
        raise ValidationFailed({"role": [f"Must be one of: {', '.join(ROLES)}."]})
    if not name.strip():
        raise ValidationFailed({"name": ["A name is required."]})
    if role == "organiser" and not borough_codes:
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


def issue_token(session: Session, user: User) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=hash_token(token), prefix=token[:10]))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The token's active user, or None; notes the use (committing only when it writes, at most once a minute)."""
    api_token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )
    if api_token is None or not api_token.user.is_active:
        return None
    user = api_token.user
    if note_token_use(session, api_token, now()):
        # Called before a route does any work, so this commit carries nothing but the timestamp.
        session.commit()
    return user


def note_token_use(session: Session, api_token: ApiToken, at: datetime) -> bool:
    """Set last_used_at unless it is under a minute old; returns whether it wrote.

    The WHERE on the old value makes concurrent requests with one token write once between them, and makes the
    write a no-op rather than a lost update if another request got there first."""
    cutoff = at - LAST_USED_RESOLUTION
    if api_token.last_used_at is not None and api_token.last_used_at > cutoff:
        return False
    written = session.execute(
        update(ApiToken)
        .where(ApiToken.id == api_token.id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= cutoff))
        .values(last_used_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(written.rowcount)


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


def ensure_borough_access(user: User, borough_id: int) -> None:
    """Organisers act only inside their boroughs; admins and reviewers see every borough."""
    if user.role == "organiser" and borough_id not in user.borough_ids:
        raise Forbidden("Your token is not scoped to this borough.")


def visible_borough_ids(user: User | None) -> set[int] | None:
    """None means every borough."""
    if user is None or user.role != "organiser":
        return None
    return user.borough_ids
