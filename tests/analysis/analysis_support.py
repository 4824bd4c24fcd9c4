"""Helpers for the analysis tests: the demo consultation with its codebook, and responses made with the models.

The intake API is built elsewhere, so these tests create responses and answers directly.
"""

from itertools import count

from sqlalchemy import select

from consultation.analysis.demo import seed_demo_codebooks
from consultation.catalog.demo import DEMO_SLUG, seed_demo
from consultation.catalog.models import Consultation, Question, Station
from consultation.clock import now
from consultation.intake.models import Answer, Response

_references = count(1)


def demo_consultation(session) -> Consultation:
    seed_demo(session)
    seed_demo_codebooks(session)
    return session.scalar(select(Consultation).where(Consultation.slug == DEMO_SLUG))


def station(session, consultation: Consultation, slug: str = "dagenham") -> Station:
    return session.scalar(select(Station).where(Station.consultation_id == consultation.id, Station.slug == slug))


def question(session, consultation: Consultation, code: str) -> Question:
    return next(q for q in consultation.questionnaire.questions if q.code == code)


def make_response(
    session,
    consultation: Consultation,
    text: str | None = None,
    *,
    agreement: str | None = None,
    postcode: str | None = None,
    station_slug: str = "dagenham",
    status: str = "active",
    commit: bool = True,
) -> Response:
    response = Response(
        consultation_id=consultation.id,
        station_id=station(session, consultation, station_slug).id,
        reference=f"T-{next(_references):06d}",
        channel="online",
        received_at=now(),
        status=status,
    )
    answers = [Answer(question_id=question(session, consultation, "connection").id, value="live_nearby")]
    if agreement is not None:
        answers.append(Answer(question_id=question(session, consultation, "agreement").id, value=agreement))
    if text is not None:
        answers.append(Answer(question_id=question(session, consultation, "impact").id, value=text, text=text))
    if postcode is not None:
        answers.append(
            Answer(question_id=question(session, consultation, "postcode_district").id, value=postcode, text=postcode)
        )
    response.answers = answers
    session.add(response)
    if commit:
        session.commit()
    else:
        session.flush()
    return response
