"""The demo's submission side: ~2,000 generated responses (imported and analysed through intake and analysis)
and a draft Dagenham submission by the demo organiser that bundles the demo petition when there is one.

Idempotent: the responses go in through intake's import with a fixed Idempotency-Key, so a second run replays
the first import instead of adding rows, and the submission is created only when the organiser has none.
"""

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import create_user_with_token
from consultation.catalog.demo import DEMO_SLUG
from consultation.catalog.service import get_consultation
from consultation.clock import now
from consultation.errors import NotFound
from consultation.intake.idempotency import IdempotencyRequest, find_previous, request_hash
from consultation.intake.imports import import_responses
from consultation.petitions import service as petitions_service
from consultation.petitions.demo import ORGANISER
from consultation.petitions.demo import TITLE as PETITION_TITLE
from consultation.submissions import service
from consultation.submissions.demo_responses import generate_csv
from consultation.submissions.models import Submission

log = logging.getLogger(__name__)

BOROUGH = "E09000002"
IMPORT_KEY = "seed-demo-generated-responses-v1"
SUBMISSION_TITLE = "Keep Dagenham police station open: our response to the public access consultation"

LETTER = [
    {
        "heading": "Our view",
        "body": "We oppose the proposal to close the front counter at Dagenham police station on Rainham Road "
        "South and then sell the building. We ask the Mayor's Office for Policing and Crime to keep it open.",
    },
    {
        "heading": "The station's own figures",
        "body": "The consultation document gives Dagenham an average of **4.1 crimes reported a day**. The counter "
        "the proposal keeps for the whole borough, at Barking Learning Centre, averages **1.8**. Dagenham is "
        "one of the busiest of the sites earmarked for closure; the comparison in section 1 is computed from "
        "the published figures.",
    },
    {
        "heading": "What residents told us",
        "body": "Residents wrote about:\n\n"
        "- the journey to Barking, which for many means two buses and close to an hour each way;\n"
        "- older and disabled neighbours, and victims, who need to speak to someone in person;\n"
        "- the reassurance of a police building on their high street.\n\n"
        "Their responses, and the petition signed online and on paper, are summarised in the pages that follow.",
    },
    {
        "heading": "What we ask",
        "body": "Keep a front counter at Dagenham, at least during the day, and keep local officers based on the "
        "Rainham Road South site. We would welcome a meeting to discuss *how the service could be kept at a "
        "lower cost*, for example by sharing the building with council services.",
    },
]


def _organiser(session: Session) -> User:
    """The demo organiser who runs the demo petition (the petitions demo creates them; so do we if it has not)."""
    user = session.scalar(select(User).where(User.name == ORGANISER))
    if user is None:
        user, _token = create_user_with_token(session, name=ORGANISER, role="organiser", borough_codes=[BOROUGH])
        session.commit()
    return user


def _demo_petition_ids(session: Session, owner: User) -> list[int]:
    return [
        petition.id
        for petition in petitions_service.petitions_for(session, consultation_slug=DEMO_SLUG, owner=owner)
        if petition.title == PETITION_TITLE
    ]


def seed_responses(session: Session, per_station: int | None = None) -> int:
    """Import the generated responses once; returns how many this run added (0 when already there)."""
    idempotency = IdempotencyRequest(
        scope="seed-demo",
        key=f"{IMPORT_KEY}-{per_station or 'spread'}",
        request_hash=request_hash(IMPORT_KEY),
        secret=IMPORT_KEY,
    )
    if find_previous(session, idempotency) is not None:
        return 0  # imported by an earlier run: nothing to generate
    consultation = get_consultation(session, DEMO_SLUG)
    retained = {s.borough_id: s.name for s in consultation.stations if s.proposal == "retain_24h"}
    stations = [
        {
            "slug": station.slug,
            "name": station.name,
            "borough_code": station.borough.gss_code,
            "borough": station.borough.name,
            "counter": retained.get(station.borough_id, "the borough's 24-hour counter"),
        }
        for station in consultation.stations
    ]
    content, _rows = generate_csv(stations, consultation.opens_at, now(), per_station=per_station)
    report = import_responses(
        session,
        None,
        slug=DEMO_SLUG,
        filename="generated-demo-responses.csv",
        content=content.encode(),
        mode="all_or_nothing",
        idempotency=idempotency,
    )
    return 0 if report.replayed else report.imported


def seed_submission(session: Session) -> Submission | None:
    """The draft Dagenham submission; None when the demo organiser already has one."""
    organiser = _organiser(session)
    existing = session.scalar(select(Submission).where(Submission.owner_id == organiser.id).limit(1))
    if existing is not None:
        return None
    return service.create_submission(
        session,
        organiser,
        {
            "consultation": DEMO_SLUG,
            "title": SUBMISSION_TITLE,
            "addressed_to": "Mayor's Office for Policing and Crime\nCity Hall\nLondon",
            "organisation": "Save Dagenham Police Station campaign (demo)",
            "signatory": {"name": "Jordan Ellis (a generated name)", "role": "Campaign organiser"},
            "stations": ["dagenham"],
            "sections": LETTER,
            "petitions": _demo_petition_ids(session, organiser),
            "include_aggregates": True,
        },
    )


def seed(session: Session) -> dict:
    """Both parts of the demo; safe to run again."""
    try:
        get_consultation(session, DEMO_SLUG)
    except NotFound:
        return {"responses": 0, "submission": None}
    added = seed_responses(session)
    submission = seed_submission(session)
    return {"responses": added, "submission": submission.id if submission else None}
