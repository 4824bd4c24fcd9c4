"""Claims of the coding queue: a reviewer who opens the next response to code holds it for CLAIM_LIFETIME, so no
other reviewer's queue hands it out meanwhile. Saving the coding releases it; an abandoned claim runs out.

The claim is a row keyed by the response: of two reviewers claiming one response at once, the unique key lets
one insert win, and the other moves on to the next suggestion."""

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.analysis.models import CodingClaim
from consultation.analysis.service.next_to_code import next_to_code
from consultation.intake.models import Response

CLAIM_LIFETIME = timedelta(minutes=10)
CANDIDATES = 20


def _held_by_others(session: Session, user: User, response_ids: list[int], at: datetime) -> set[int]:
    return set(
        session.scalars(
            select(CodingClaim.response_id).where(
                CodingClaim.response_id.in_(response_ids), CodingClaim.user_id != user.id, CodingClaim.expires_at > at
            )
        )
    )


def _take(session: Session, user: User, response_id: int, at: datetime) -> bool:
    """Claim one response unless someone else holds it; commits."""
    session.execute(
        delete(CodingClaim).where(
            CodingClaim.response_id == response_id, (CodingClaim.expires_at <= at) | (CodingClaim.user_id == user.id)
        )
    )
    session.add(CodingClaim(response_id=response_id, user_id=user.id, claimed_at=at, expires_at=at + CLAIM_LIFETIME))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def claim_next(session: Session, user: User, slug: str, at: datetime) -> dict | None:
    """The most useful uncoded response that no other reviewer holds, now claimed by this user (with why it was
    chosen), or None when there is nothing left to code."""
    suggestions = next_to_code(session, user, slug, CANDIDATES)
    references = [item["reference"] for item in suggestions["items"]]
    ids = dict(session.execute(select(Response.reference, Response.id).where(Response.reference.in_(references))).all())
    taken = _held_by_others(session, user, list(ids.values()), at)
    for item in suggestions["items"]:
        response_id = ids[item["reference"]]
        if response_id not in taken and _take(session, user, response_id, at):
            return {**item, "response_id": response_id, "pool": suggestions["pool"]}
    return None


def release_claim(session: Session, user: User, response_id: int) -> None:
    """Drop this user's claim (after saving the coding); the caller commits."""
    session.execute(delete(CodingClaim).where(CodingClaim.response_id == response_id, CodingClaim.user_id == user.id))
