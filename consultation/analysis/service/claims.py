"""Claims of the coding queue: a reviewer who opens the next response to code holds it for CLAIM_LIFETIME, so no
other reviewer's queue hands it out meanwhile. Saving the coding releases it; an abandoned claim runs out.

The next response comes from the consultation's stored ranking (worked out in the background, see `ranking`),
or from the quick order while no ranking is ready; claiming never ranks anything itself, so it costs a few small
queries. The claim is a row keyed by the response: of two reviewers claiming one response at once, the unique key
lets one insert win, and the other moves on to the next pick."""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.analysis.models import CodingClaim, CodingRanking
from consultation.analysis.service import ranking
from consultation.catalog.service import get_consultation

CLAIM_LIFETIME = timedelta(minutes=10)
CANDIDATES = 20


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


def _claim_first(session: Session, user: User, picks: list[dict], at: datetime) -> dict | None:
    for pick in picks:
        if _take(session, user, pick["response_id"], at):
            return pick
    return None


def claim_next(session: Session, user: User, slug: str, at: datetime) -> dict | None:
    """The next response to code that no other reviewer holds, now claimed by this user, or None when nothing is
    left. `order` says where it came from: "ranking" (the stored next-to-code ranking, `ranked_at` its time) or
    "quick" (lowest stored machine confidence first, while no ranking is ready); `why` says why in words.

    Asks for a new ranking in the background when one is due; never works one out here."""
    consultation = get_consultation(session, slug)
    row = session.get(CodingRanking, consultation.id)
    ranked_at = row.computed_at if row is not None else None
    seen = row.requested_at if row is not None else None
    stored = ranking.stored_picks(session, user, row, at)
    due = ranking.ranking_due(row, len(stored), at)
    claimed = _claim_first(session, user, stored[:CANDIDATES], at)
    order = "ranking"
    if claimed is None:
        claimed = _claim_first(session, user, ranking.quick_order(session, user, consultation.id, at, CANDIDATES), at)
        order = "quick"
    if due:
        ranking.request_ranking(session, consultation.id, at, seen)
    if claimed is None:
        return None
    return {**claimed, "order": order, "ranked_at": ranked_at if order == "ranking" else None}


def release_claim(session: Session, user: User, response_id: int) -> None:
    """Drop this user's claim (after saving the coding); the caller commits."""
    session.execute(delete(CodingClaim).where(CodingClaim.response_id == response_id, CodingClaim.user_id == user.id))
