"""The demo petition seeded by `make run` tells a story that could have happened: every signature falls inside
the consultation it belongs to."""

from sqlalchemy import func, select

from consultation.catalog.demo import DEMO_SLUG, seed_demo
from consultation.catalog.models import Consultation
from consultation.clock import now
from consultation.petitions.demo import CONFIRMED, seed_demo_petition
from consultation.petitions.models import Signature
from consultation.petitions.service import headline_total, petition_totals


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


def test_the_list_pages_total_is_the_petition_pages_total(session):
    """Pending, flagged and invalidated signatures and paper packs: the cheap headline total agrees throughout."""
    seed_demo(session)
    petition = seed_demo_petition(session, DEMO_SLUG)
    session.commit()
    assert headline_total(session, petition) == petition_totals(session, petition.id)["total"] > 0
    for signature in session.scalars(select(Signature).where(Signature.petition_id == petition.id).limit(5)):
        signature.invalidated_at = now()
    session.commit()
    assert headline_total(session, petition) == petition_totals(session, petition.id)["total"]
