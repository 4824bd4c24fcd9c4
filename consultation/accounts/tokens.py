"""API tokens: issued once in plain, stored only as a SHA-256 hash, looked up per request, revoked by their user."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from consultation.accounts.models import ApiToken, User
from consultation.clock import now
from consultation.common import token_hash

TOKEN_PREFIX = "ct_"
# last_used_at says roughly when a token was last used (to spot stale tokens), not every request: it is written
# at most once per LAST_USED_RESOLUTION per token, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


hash_token = token_hash


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
