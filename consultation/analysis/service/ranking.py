"""The coding queue's stored ranking: next-to-code worked out in the background and kept per consultation, so
that claiming the next response to code never ranks anything inside the request.

`next_to_code` fits or loads the models, scores a pool of hundreds of responses and picks greedily: seconds, and
many seconds on the first call after a start. The `analysis.rank_coding_queue` task runs it over the whole
consultation (every borough) and stores its RANKING_SIZE picks, best first, each with why it was chosen, on the
consultation's `coding_rankings` row. The queue asks for a new ranking (`request_ranking`: the row marked queued,
committed, then the `ranking_wanted` signal, whose receiver create_app connects to the task) when none is stored,
when the stored one is older than MAX_AGE, or when fewer than LOW_WATER of its picks are still free to code. Until
one is ready it hands out the quick order (`quick_order`): the analysed responses whose stored stance confidence is
lowest (newest first among equals), then those not analysed yet, newest first.
"""

from datetime import datetime, timedelta

from blinker import Namespace
from sqlalchemy import Select, false, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.permissions import visible_borough_ids
from consultation.analysis.models import CodingClaim, CodingRanking, ResponseAnalysis
from consultation.analysis.service.next_to_code import next_to_code
from consultation.catalog.models import Consultation, Station
from consultation.clock import now
from consultation.intake.models import Response

RANKING_SIZE = 60
LOW_WATER = 15
MAX_AGE = timedelta(minutes=20)
# A queued or running job not finished within this is taken to have died with its process: ask again.
STALE_JOB = timedelta(minutes=10)
# After a failed job, how long the quick order serves before the ranking is tried again.
RETRY_FAILED = timedelta(minutes=5)
ACTIVE = ("queued", "running")

ranking_signals = Namespace()
ranking_wanted = ranking_signals.signal(
    "coding-ranking-wanted",
    doc="A consultation's coding queue needs a new ranking (its row is committed as queued); the receiver sends "
    "the background task. Called as receiver(consultation_id, session=session).",
)


def _open_to(user: User, at: datetime, query: Select) -> Select:
    """`query` (over responses) narrowed to active, uncoded responses inside the user's boroughs that no other
    reviewer holds now."""
    held = select(CodingClaim.response_id).where(CodingClaim.user_id != user.id, CodingClaim.expires_at > at)
    query = query.where(
        Response.status == "active", ResponseAnalysis.coded_by_user_id.is_(None), Response.id.not_in(held)
    )
    boroughs = visible_borough_ids(user)
    if boroughs is not None:
        in_reach = Response.station_id.in_(select(Station.id).where(Station.borough_id.in_(boroughs)))
        query = query.where(in_reach if boroughs else false())
    return query


def stored_picks(session: Session, user: User, row: CodingRanking | None, at: datetime) -> list[dict]:
    """The stored ranking's picks still free for this user to code, best first (one query)."""
    if row is None or row.computed_at is None or not row.items:
        return []
    by_id = {item["response_id"]: item for item in row.items}
    free = set(
        session.scalars(
            _open_to(
                user,
                at,
                select(Response.id)
                .join(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
                .where(Response.id.in_(list(by_id))),
            )
        )
    )
    return [item for response_id, item in by_id.items() if response_id in free]


def quick_order(session: Session, user: User, consultation_id: int, at: datetime, limit: int) -> list[dict]:
    """Up to `limit` responses to code by stored figures alone, with no model: the machine's least sure stances
    first, then responses not analysed yet; newest first among equals. Responses analysed and found to hold no
    text are left out, as next-to-code leaves them out."""
    query = _open_to(
        user,
        at,
        select(Response.id, Response.reference, ResponseAnalysis.stance_confidence)
        .outerjoin(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .where(
            Response.consultation_id == consultation_id,
            or_(ResponseAnalysis.response_id.is_(None), ResponseAnalysis.redacted_text.is_not(None)),
        ),
    ).order_by(ResponseAnalysis.stance_confidence.is_(None), ResponseAnalysis.stance_confidence, Response.id.desc())
    picks = []
    for response_id, reference, confidence in session.execute(query.limit(limit)):
        if confidence is not None:
            why = f"The machine is {confidence:.0%} sure of its stance, among the least sure of the responses left."
        else:
            why = "The machine has given it no stance yet; it is among the newest responses left."
        picks.append({"response_id": response_id, "reference": reference, "why": why})
    return picks


def ranking_due(row: CodingRanking | None, free: int, at: datetime) -> bool:
    """Whether to ask for a new ranking: none stored, a job lost, the stored one old or nearly used up."""
    if row is None:
        return True
    if row.state in ACTIVE:
        return at - row.requested_at > STALE_JOB
    if row.state == "failed":
        return at - row.requested_at > RETRY_FAILED
    if row.computed_at is None or at - row.computed_at > MAX_AGE:
        return True
    return free < min(LOW_WATER, len(row.items))


def request_ranking(session: Session, consultation_id: int, at: datetime, seen: datetime | None) -> bool:
    """Mark the consultation's ranking queued and send `ranking_wanted` after the commit. `seen` is the row's
    requested_at as the caller read it when it judged a ranking due (None: no row yet); of two requests judged on
    the same reading only one marks the row and sends. Whether this one sent."""
    if seen is None:
        session.add(CodingRanking(consultation_id=consultation_id, state="queued", requested_at=at, items=[], pool=0))
    else:
        changed = session.execute(
            update(CodingRanking)
            .where(CodingRanking.consultation_id == consultation_id, CodingRanking.requested_at == seen)
            .values(state="queued", requested_at=at, error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            session.rollback()
            return False
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    ranking_wanted.send(consultation_id, session=session)
    return True


def rank_and_store(session: Session, consultation_id: int) -> str:
    """The background job: work out the consultation's ranking (every borough) and store it; the job's state.

    A refusal or an error is recorded on the row (the quick order serves meanwhile); a cut database connection is
    raised for the task to retry."""
    row = session.get(CodingRanking, consultation_id)
    consultation = session.get(Consultation, consultation_id)
    if row is None or consultation is None:
        return "missing"
    row.state, row.started_at, row.error = "running", now(), None
    session.commit()
    ranked = next_to_code(session, None, consultation.slug, RANKING_SIZE)
    references = [item["reference"] for item in ranked["items"]]
    ids = dict(session.execute(select(Response.reference, Response.id).where(Response.reference.in_(references))).all())
    row = session.get(CodingRanking, consultation_id)
    row.items = [
        {"response_id": ids[item["reference"]], "reference": item["reference"], "why": item["why"]}
        for item in ranked["items"]
        if item["reference"] in ids
    ]
    row.pool, row.computed_at, row.state = ranked["pool"], now(), "done"
    session.commit()
    return row.state


def mark_failed(session: Session, consultation_id: int, reason: str) -> None:
    """Record why the ranking job failed (the quick order serves until RETRY_FAILED has passed)."""
    session.rollback()
    row = session.get(CodingRanking, consultation_id)
    if row is not None:
        row.state, row.error = "failed", reason[:2000]
        session.commit()
