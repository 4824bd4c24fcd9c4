"""Demo petition: "Keep Dagenham police station open", so a newcomer sees real totals on the first `make run`.

Every signer is generated: the names are made up from common first names and surnames (and the petition's
text says so); the postcodes are real postcodes from the ONS directory, so the borough breakdown works; the
emails use the reserved example.org domain. Signatures are spread over six weeks before seeding, with some
pending, some flagged (same name and postcode under a second email), and three returned paper packs, one of
them keyed in.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import create_user_with_token
from consultation.catalog import postcodes
from consultation.catalog.models import Consultation, Station
from consultation.clock import now
from consultation.petitions import identity
from consultation.petitions.duplicates import SAME_PERSON
from consultation.petitions.models import Petition, PetitionPack, Signature

TITLE = "Keep Dagenham police station open"
ORGANISER = "Barking and Dagenham demo organiser"
TEXT = (
    "We, the undersigned, call on the Mayor's Office for Policing and Crime to keep the front counter at "
    "Dagenham police station, Rainham Road South, open to the public.\n\n"
    "Dagenham's counter takes more crime reports each day than many counters that are staying open. Closing it "
    "would leave one 24-hour counter for the whole borough, up to an hour away by bus for some residents.\n\n"
    "Demo data: every signature on this petition was generated for the demonstration. The names are made up and "
    "belong to no real person."
)
FIRST_NAMES = (
    "Amina Ben Chloe Daniel Ellie Femi Grace Harry Isla Jack Kofi Leah Mohammed Nadia Oliver Priya Qasim Rosie "
    "Samuel Tariq Uma Victor Wendy Yusuf Zara Aaron Bethany Connor Deborah Ethan Fatima George Hannah Ibrahim "
    "Jasmine Kieran Lily Marcus Niamh Oscar"
).split()
SURNAMES = (
    "Adeyemi Baker Clarke Davies Evans Fisher Green Hussain Islam Jones Khan Lewis Mensah Nowak Okafor Patel "
    "Quinn Roberts Smith Taylor Uddin Walker Young Ahmed Brown Campbell Doyle Edwards Francis Gordon Hall Iqbal "
    "Johnson King Lopez Murphy"
).split()
# Outward codes and how often signers come from them: mostly Dagenham, some of the borough, a few beyond.
AREAS = {"RM10": 30, "RM9": 22, "RM8": 14, "IG11": 10, "RM6": 6, "RM7": 5, "RM13": 5, "IG3": 3, "CM13": 2, "SS14": 1}
CONFIRMED, PENDING, FLAGGED = 362, 24, 7
DAYS = 42
PACKS = (  # code, volunteer, days before seeding issued, days before seeding returned, tally, keyed in
    ("DAG-01", "Rainham Road residents' association", 38, 20, 112, False),
    ("DAG-02", "Heathway traders", 35, 12, 87, True),
    ("DAG-03", "St Peter's church volunteers", 30, 5, 64, False),
    ("DAG-04", "Becontree ward volunteers", 10, None, None, False),
)


def _pick_postcodes(rng: random.Random) -> list[str]:
    pool = []
    for outward, weight in AREAS.items():
        found = postcodes.postcodes_in(outward)
        pool.extend(rng.sample(found, min(len(found), weight * 4)))
    return pool


def _person(rng: random.Random, pool: list[str], number: int) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    outward_weights = [AREAS[code.split(" ")[0]] for code in pool]
    postcode = rng.choices(pool, weights=outward_weights)[0]
    return f"{first} {last}", f"{first}.{last}{number}@example.org".lower(), postcode


def _moment(rng: random.Random, start, days: int):
    # Most signatures come early, then a second wave when the paper packs go round: a timeline with a shape.
    day = min(days - 1, int(rng.triangular(0, days, days * 0.15)))
    return start + timedelta(days=day, hours=rng.uniform(8, 21))


def _signature(petition: Petition, name, email, postcode, signed_at, confirmed_at, **extra) -> Signature:
    place = postcodes.lookup(postcode)
    return Signature(
        petition_id=petition.id,
        channel=extra.pop("channel", "online"),
        name=name,
        email=email,
        postcode=place.postcode,
        email_key=identity.email_key(email) if email else None,
        mailbox_key=identity.mailbox_key(email) if email else None,
        person_key=identity.person_key(name, place.postcode),
        sector=place.sector,
        gss_code=place.gss_code,
        signed_at=signed_at,
        confirmed_at=confirmed_at,
        consent_at=signed_at if email else None,
        **extra,
    )


def seed_demo_petition(session: Session, consultation_slug: str) -> Petition | None:
    """Adds the demo petition once; returns it, or None when it was already there."""
    if session.scalar(select(Petition.id).where(Petition.title == TITLE)) is not None:
        return None
    seeded_at = now()
    petition, start = _add_petition(session, consultation_slug, seeded_at)
    rng = random.Random(2017)
    pool = _pick_postcodes(rng)
    people, counted_people = _add_online_signatures(session, petition, rng, pool, start, seeded_at)
    _add_flagged_signatures(session, petition, rng, people, start)
    for code, issued_to, issued_days, returned_days, tally, keyed in PACKS:
        pack = PetitionPack(
            petition_id=petition.id,
            code=code,
            issued_to=issued_to,
            issued_at=seeded_at - timedelta(days=issued_days),
            signatures_counted=tally,
            sheets=(tally + 9) // 10 if tally else None,
            received_at=seeded_at - timedelta(days=returned_days) if returned_days else None,
            counted_by="Demo volunteer" if tally else None,
        )
        session.add(pack)
        session.flush()
        if keyed:
            _key_in_pack(session, petition, pack, rng, pool, people, counted_people)
    session.commit()
    return petition


def _add_petition(session: Session, consultation_slug: str, seeded_at: datetime) -> tuple[Petition, datetime]:
    """The petition, owned by the demo organiser (made if missing), and when its signing starts."""
    consultation = session.scalar(select(Consultation).where(Consultation.slug == consultation_slug))
    station = session.scalar(
        select(Station).where(Station.consultation_id == consultation.id, Station.slug == "dagenham")
    )
    organiser = session.scalar(select(User).where(User.name == ORGANISER))
    if organiser is None:
        # The token is thrown away: `flask create-token` issues one for anyone who wants to act as an organiser.
        organiser, _ = create_user_with_token(session, name=ORGANISER, role="organiser", borough_codes=["E09000002"])
    start = max(seeded_at - timedelta(days=DAYS), consultation.opens_at)  # never before the consultation opened
    petition = Petition(
        consultation_id=consultation.id,
        owner_id=organiser.id,
        title=TITLE,
        text=TEXT,
        closes_at=consultation.closes_at,
        stations=[station],
        created_at=start,
        updated_at=start,
    )
    session.add(petition)
    session.flush()
    return petition, start


def _add_online_signatures(session, petition, rng, pool, start, seeded_at) -> tuple[list, set]:
    """The confirmed and pending online signatures; returns the confirmed (name, postcode) pairs and person keys."""
    people, counted_people = [], set()
    for number in range(CONFIRMED):
        name, email, postcode = _person(rng, pool, number)
        key = identity.person_key(name, postcode)
        if key in counted_people:  # a generated name landed on the same postcode twice: draw again
            continue
        counted_people.add(key)
        signed_at = _moment(rng, start, DAYS)
        people.append((name, postcode))
        confirmed_at = min(signed_at + timedelta(minutes=rng.uniform(2, 600)), seeded_at)
        session.add(_signature(petition, name, email, postcode, signed_at, confirmed_at))
    for number in range(CONFIRMED, CONFIRMED + PENDING):
        name, email, postcode = _person(rng, pool, number)
        signed_at = seeded_at - timedelta(hours=rng.uniform(1, 20))
        session.add(_signature(petition, name, email, postcode, signed_at, None, token_expires_at=signed_at))
    return people, counted_people


def _add_flagged_signatures(session, petition, rng, people, start) -> None:
    """Confirmed people signing again under a second email: flagged as the same person."""
    for number in range(FLAGGED):
        name, postcode = people[rng.randrange(len(people))]
        email = f"{name.replace(' ', '.').lower()}.second{number}@example.org"
        signed_at = _moment(rng, start, DAYS)
        confirmed_at = signed_at + timedelta(minutes=30)
        session.add(
            _signature(petition, name, email, postcode, signed_at, confirmed_at, flagged=True, flag_reason=SAME_PERSON)
        )


def _key_in_pack(session, petition, pack, rng, pool, people, counted_people) -> None:
    """Keyed in: most rows are new people, a few signed online too (flagged, not counted twice)."""
    for number in range(pack.signatures_counted):
        if number % 15 == 0:
            name, postcode = people[rng.randrange(len(people))]
        else:
            name, _, postcode = _person(rng, pool, 10_000 + number)
        key = identity.person_key(name, postcode)
        duplicate = key in counted_people
        counted_people.add(key)
        session.add(
            _signature(
                petition,
                name,
                None,
                postcode,
                pack.received_at,
                pack.received_at,
                channel="paper",
                pack_id=pack.id,
                flagged=duplicate,
                flag_reason=SAME_PERSON if duplicate else None,
            )
        )
