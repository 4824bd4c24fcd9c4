"""Staff sign in with a one-time link sent by email: no passwords to leak.

- A link carries 256 random bits; only its SHA-256 is stored. It works once, for LINK_LIFETIME.
- Asking for a link gives the same answer whether or not the address has an account (and sends mail only when
  it has an active one), so the form tells no one who works here.
- The link opens a page whose button POSTs (mail scanners follow links, and sometimes send HEAD): opening it
  spends nothing; only the POST signs in, and the spend is one UPDATE whose WHERE says "unused and unexpired",
  so two presses race to one winner.
- Links are built from the configured public base URL, never from the request's Host header.
- Every attempt, for an address with an account or not, successful or not, leaves an audit event.
"""

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultation.accounts.models import SignInLink, User
from consultation.accounts.service import normalise_email, record_audit
from consultation.accounts.tokens import hash_token
from consultation.mail import MailSettings, send

LINK_LIFETIME = timedelta(minutes=15)
SIGN_IN_PATH = "/staff/sign-in/"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkCheck:
    outcome: str  # "valid", "used", "expired" or "unknown"
    user: User | None = None


def sign_in_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{SIGN_IN_PATH}{token}"


def issue_link(session: Session, user: User, at: datetime) -> str:
    """A new one-time link's token for this user; the plain token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    session.add(SignInLink(user_id=user.id, token_hash=hash_token(token), created_at=at, expires_at=at + LINK_LIFETIME))
    session.flush()
    return token


def active_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email, User.is_active.is_(True)))


def request_link(session: Session, email: str, *, base_url: str, mail: MailSettings, at: datetime) -> None:
    """Email a sign-in link to an active account with this address; the same silence for any other address.
    Commits."""
    email = normalise_email(email)
    user = active_user_by_email(session, email)
    record_audit(session, user, "sign_in_requested", "staff_email", email, {"account": user is not None})
    if user is None:
        session.commit()
        return
    token = issue_link(session, user, at)
    session.commit()
    body = (
        f"Hello {user.name},\n\n"
        "Use this link to sign in to the consultation staff console. It works once, within 15 minutes:\n\n"
        f"{sign_in_url(base_url, token)}\n\n"
        "If you did not ask to sign in, you can ignore this email.\n"
    )
    try:
        send(mail, to=email, subject="Your sign-in link", body=body)
    except (OSError, smtplib.SMTPException):
        # The answer stays the same; the person can ask again. The failure is for the operator's log.
        log.exception("could not send a sign-in link")


def check_link(session: Session, token: str, at: datetime) -> LinkCheck:
    """What the link is now, without spending it."""
    link = session.scalar(select(SignInLink).where(SignInLink.token_hash == hash_token(token)))
    if link is None or not link.user.is_active:
        return LinkCheck("unknown")
    if link.used_at is not None:
        return LinkCheck("used", link.user)
    if link.expires_at <= at:
        return LinkCheck("expired", link.user)
    return LinkCheck("valid", link.user)


def redeem_link(session: Session, token: str, at: datetime) -> LinkCheck:
    """Spend the link and say whose it was; "valid" only for the one request that spent it. Commits."""
    found = check_link(session, token, at)
    spent = False
    if found.outcome == "valid":
        result = session.execute(
            update(SignInLink)
            .where(
                SignInLink.token_hash == hash_token(token),
                SignInLink.used_at.is_(None),
                SignInLink.expires_at > at,
            )
            .values(used_at=at)
            .execution_options(synchronize_session=False)
        )
        spent = result.rowcount == 1
    outcome = found.outcome if found.outcome != "valid" or spent else "used"
    action = "sign_in" if spent else "sign_in_failed"
    user = found.user
    record_audit(session, user, action, "user", user.id if user else "-", {"outcome": outcome})
    session.commit()
    return LinkCheck("valid" if spent else outcome, user)
