"""The demo petition seeded by `make run` tells a story that could have happened: every signature falls inside
the consultation it belongs to."""

from sqlalchemy import func, select

from consultation.catalog.demo import DEMO_SLUG, seed_demo
from consultation.catalog.models import Consultation
from consultation.clock import now
from consultation.petitions.demo import CONFIRMED, seed_demo_petition
from consultation.petitions.models import Signature


def test_the_demo_petition_is_signed_only_while_its_consultation_is_open(session):
    seed_demo(session)
    petition = seed_demo_petition(session, DEMO_SLUG)
    session.commit()
    consultation = session.scalar(select(Consultation).where(Consultation.slug == DEMO_SLUG))
    first, last, count = session.execute(
        select(func.min(Signature.signed_at), func.max(Signature.signed_at), func.count()).where(
            Signature.petition_id == petition.id
        )
    ).one()
    assert count >= CONFIRMED * 0.9
    assert consultation.opens_at <= first <= last <= now() < consultation.closes_at
    assert seed_demo_petition(session, DEMO_SLUG) is None  # seeding twice adds nothing
