"""What a submission is checked against (the questionnaire's rules and the stations), cached per process.

Loading a consultation with its stations and questions costs several queries and a hundred ORM objects; a
busy consultation would pay that on every response. Once a consultation has responses its questions and
stations are frozen (catalog refuses to replace them), so the cache is safe across processes: only consultations
that already have responses are cached. Within a process, any flush that touches a consultation, station,
questionnaire or question empties the cache, and entries expire after `CACHE_SECONDS` in any case.

The deadline is never cached: `opens_at` and `closes_at` are read (or checked in SQL) on every submission.
"""

import threading
import time
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from consultation.catalog.models import Consultation, Question, Questionnaire, Station
from consultation.catalog.service import get_consultation
from consultation.intake.models import Response
from consultation.intake.validation import QuestionRule, rules_for

CACHE_SECONDS = 300.0
STRUCTURE_MODELS = (Consultation, Station, Questionnaire, Question)


@dataclass(frozen=True)
class IntakeStructure:
    consultation_id: int
    slug: str
    rules: dict[str, QuestionRule]
    station_ids: dict[str, int]


_cache: dict[str, tuple[float, IntakeStructure]] = {}
_mutex = threading.Lock()


def intake_structure(session: Session, slug: str) -> IntakeStructure:
    """The consultation's rules and stations, from the cache when it has responses (404 if there is none)."""
    hit = _cache.get(slug)
    if hit is not None and time.monotonic() < hit[0]:
        return hit[1]
    consultation = get_consultation(session, slug)
    structure = IntakeStructure(
        consultation_id=consultation.id,
        slug=consultation.slug,
        rules=rules_for(consultation),
        station_ids={station.slug: station.id for station in consultation.stations},
    )
    frozen = session.scalar(select(Response.id).where(Response.consultation_id == consultation.id).limit(1))
    if frozen is not None:
        with _mutex:
            _cache[slug] = (time.monotonic() + CACHE_SECONDS, structure)
    return structure


def forget_structures() -> None:
    """Empty the cache (after a change to any consultation's structure, or a test's cleanup)."""
    with _mutex:
        _cache.clear()


def _forget_on_structure_change(session: Session, _flush_context) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, STRUCTURE_MODELS):
            forget_structures()
            return


def register_cache_invalidation() -> None:
    """Called by create_app(): empty the cache whenever this process flushes a change to a consultation."""
    if not event.contains(Session, "after_flush", _forget_on_structure_change):
        event.listen(Session, "after_flush", _forget_on_structure_change)
