"""The demo consultation's codebook: stance definitions and themes, written for this project, and its seeding.

Seed data is a leaf: the command line and the tests import it; nothing in the analysis service does.

The theme keys match the shared development codebook (`../shared/data/codebook.json`) so labelled
development data can be scored against the demo, but the project carries its own wording and runs without it.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultation.analysis.service import load_codebook_data
from consultation.catalog.demo import DEMO_SLUG, HISTORICAL_SLUG
from consultation.catalog.models import Consultation

DESCRIPTION = (
    "Themes raised in responses to the proposal to close police station front counters and keep one "
    "24-hour counter per borough. A response may carry several themes, or none."
)

STANCES = {
    "oppose": "Against the proposal: wants the station or its front counter kept open.",
    "support": "In favour of the proposal, or accepts closing the counter or the station.",
    "neutral": "No clear position: a mixed view, a question, or something off the subject.",
}

# key, label, description, example phrases
THEMES = [
    (
        "travel_distance",
        "Travel to the remaining counter",
        "How far, how long or how costly the journey to the nearest remaining front counter would be; buses, "
        "trains and the time it takes to get to another town centre.",
        ["two buses to get there", "an hour each way", "the next station is miles away"],
    ),
    (
        "vulnerable_access",
        "Access for vulnerable people",
        "Older or disabled people, victims, people who are not online or have no smartphone, and others who "
        "need to speak to someone in person.",
        ["my elderly mother has no internet", "in a wheelchair", "victims need to talk face to face"],
    ),
    (
        "visible_presence",
        "Visible police presence",
        "The reassurance and deterrence of a police building in the area; feeling safer because it is there.",
        ["makes people feel safe", "criminals know the police are nearby", "reassuring to see"],
    ),
    (
        "rising_crime",
        "Crime in the area",
        "Crime getting worse or specific local crime: knife crime, moped gangs, burglary, violence, "
        "antisocial behaviour.",
        ["knife crime is rising", "burglaries on our street", "antisocial behaviour every night"],
    ),
    (
        "funding_cuts",
        "Cuts and money",
        "Government cuts, austerity and savings targets, and what it costs to keep a building open.",
        ["because of government cuts", "saving money", "budget has been slashed"],
    ),
    (
        "alternative_reporting",
        "Other ways to report",
        "Reporting online, by phone, 101 or an app, and how few crimes are reported at a counter.",
        ["I report everything online", "101 never answers", "most people phone instead"],
    ),
    (
        "officers_on_streets",
        "Officers on the streets",
        "Putting officers on patrol and in neighbourhood teams rather than behind a desk or in buildings.",
        ["more bobbies on the beat", "officers should be out on patrol", "neighbourhood teams"],
    ),
    (
        "building_disposal",
        "Selling the building",
        "Selling, disposing of or redeveloping the station site, and where local officers would be based afterwards.",
        ["sold off for flats", "the site will be redeveloped", "where will the local team work"],
    ),
    (
        "consultation_process",
        "The consultation itself",
        "Whether the consultation is fair or genuine: a decision already made, views not being heard, "
        "petitions, how responses are counted.",
        ["the decision has already been made", "nobody listens", "we signed the petition"],
    ),
    (
        "usage_figures",
        "Usage figures",
        "Arguments from the numbers: crimes reported per day, visitors per day, comparisons between stations.",
        ["only a handful of crimes reported a day", "more visitors than", "the figures show"],
    ),
]


def as_dict() -> dict:
    """The demo codebook in the shared JSON layout (themes keyed by their key)."""
    return {
        "description": DESCRIPTION,
        "stances": dict(STANCES),
        "themes": {
            key: {"label": label, "description": description, "examples": list(examples)}
            for key, label, description, examples in THEMES
        },
    }


def seed_demo_codebooks(session: Session) -> list[str]:
    """Give both demo consultations the demo codebook (idempotent); returns the slugs that got one."""
    seeded = []
    for slug in (HISTORICAL_SLUG, DEMO_SLUG):
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        if consultation is not None and load_codebook_data(session, consultation, as_dict()):
            seeded.append(slug)
    session.commit()
    return seeded
