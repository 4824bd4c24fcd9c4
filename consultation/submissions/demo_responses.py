"""About 2,000 generated responses for the demo consultation, written to read like residents.

Every text is put together from short clauses written for this project (none copied from the development
data), in varied order and wording, with local details filled in, so no two residents say quite the same
thing; a few dozen copies of one campaign letter are included, as real consultations get them. The generator
is seeded, so the demo is the same every time. Postcodes are real ONS Postcode Directory entries (Open
Government Licence v3) near the two stations the demo is about; no name, email or address is generated.
"""

import csv
import io
import random
from datetime import datetime, timedelta

# Responses per station: most at Dagenham and Barkingside, where the 2017 petitions were.
FOCUS = {"dagenham": 430, "barkingside": 250, "barking": 70, "ilford": 60}
TARGET = 2000
SEED = 2017

# Real postcodes, one per sector, in Barking and Dagenham (E09000002) and Redbridge (E09000026).
POSTCODES = {
    "E09000002": [
        "IG11 0LP", "IG11 7BF", "IG11 8TF", "IG11 9QL", "RM10 7BN", "RM10 8HP", "RM10 9BD", "RM6 4BP", "RM6 5HP",
        "RM6 6QF", "RM8 1BP", "RM8 2HB", "RM8 3AU", "RM9 4SD", "RM9 5AR", "RM9 6BE", "RM9 9JP",
    ],
    "E09000026": [
        "IG1 1ET", "IG1 2EB", "IG1 3LJ", "IG1 4GJ", "IG2 6NY", "IG2 7WF", "IG3 8TW", "IG3 9WP", "IG6 1JG",
        "IG6 2UA", "IG6 3XL", "IG8 0SN", "IG8 7EY",
    ],
}  # fmt: skip
# Sectors nearest each focus station come up more often.
NEAR = {"dagenham": ("RM10", "RM9", "RM8"), "barkingside": ("IG6", "IG2"), "barking": ("IG11",), "ilford": ("IG1",)}

OPENERS = [
    "I have lived near {station} for {years} years.",
    "I grew up in {station} and still live five streets from the station.",
    "I have had to use the front desk at {station} twice this year.",
    "I care for my disabled husband at home near {station}.",
    "I'm writing on behalf of my whole household.",
    "Our street backs on to the {road} and the station is at the end of it.",
    "We moved to the area {years} years ago and {station} police station was one of the reasons we felt safe here.",
    "As a parent of {children} I walk past {station} station every day.",
    "I run a small shop on the {road} and {station} police station is five minutes from my door.",
    "My family has been in this part of {borough} for {years} years.",
    "I am a pensioner and I live alone not far from {station}.",
    "I work nights and come home past {station} station most mornings.",
    "I volunteer with a residents' association near {station}.",
    "",
    "",
]

OPPOSE = {
    "travel_distance": [
        "Getting to {counter} from here means {buses} buses and close to {minutes} minutes each way.",
        "The nearest counter left open would be {counter}, which is a long trip for anyone without a car.",
        "It would take me over {minutes} minutes to reach {counter} on public transport.",
        "{counter} is simply too far for people on this side of the borough.",
    ],
    "vulnerable_access": [
        "My mother is {age} and has never used the internet, so reporting online is not an option for her.",
        "People who have been attacked or threatened need to speak to someone face to face, not fill in a form.",
        "Older neighbours on my street would not know how to report anything without the front desk.",
        "Not everyone has a smartphone or credit on their phone to sit in a queue on 101.",
    ],
    "visible_presence": [
        "Having the station there makes the whole high street feel safer after dark.",
        "Just seeing police cars coming and going puts people off causing trouble.",
        "The building is a reassurance to everyone who lives round here.",
        "Take the station away and the area loses the one sign that the police are close by.",
    ],
    "rising_crime": [
        "We have had {incidents} on our road this year alone.",
        "Crime here is getting worse, with {incidents} in the last few months.",
        "Young people on mopeds snatching phones is now a weekly thing near the shops.",
        "Near the park last summer we had {incidents} and nobody was caught.",
    ],
    "funding_cuts": [
        "I understand money is tight but this is the wrong place to save it.",
        "Cutting police budgets again will cost more in the long run.",
        "Selling off stations to balance the books is short-sighted.",
    ],
    "building_disposal": [
        "Once the building is sold for flats we will never get it back.",
        "Where will the local officers be based if the site is sold?",
    ],
    "usage_figures": [
        "{station} deals with more crime reports a day than the counter that is being kept.",
        "The figures in the consultation show {station} is busier than {counter}.",
        "By the consultation's own numbers this station is one of the busiest earmarked for closure.",
    ],
    "consultation_process": [
        "It feels like the decision has been made already and this consultation is just for show.",
        "We saved this station once before and we will sign every petition again.",
    ],
}

SUPPORT = [
    "I would rather the money went on officers on the streets than on keeping buildings open.",
    "I report everything online now and have not been to a front counter in years.",
    "Hardly anyone uses the counter any more, so closing it makes sense if it keeps officers on patrol.",
    "Most people phone or go online now; a counter open a few hours a day is not what keeps us safe.",
    "If closing the front desk means more neighbourhood officers out and about, I am in favour.",
    "The money is better spent on patrols and on answering 101 calls faster.",
]

NEUTRAL = [
    "I can see both sides of this.",
    "I don't mind the counter closing as long as there is somewhere nearby to meet an officer by appointment.",
    "Could the counter share a building with the council or the library instead of closing completely?",
    "I would like to know how reports would be handled for people who cannot get online.",
]

CLOSERS = [
    "Please keep {station} open.",
    "Please think again about this closure.",
    "Do not close our station.",
    "This proposal should be dropped.",
    "",
    "",
]

CAMPAIGN_LETTER = (
    "I object to the closure of {station} police station. It is used by thousands of local people, it handles "
    "more crime reports than the counter being kept, and the journey to {counter} is too long for elderly and "
    "vulnerable residents. Please keep our station open."
)

ROADS = ["high road", "parade", "Heathway", "broadway", "market"]
INCIDENTS = [
    "two burglaries",
    "a stabbing",
    "several car break-ins",
    "three muggings",
    "a spate of thefts from vans",
    "repeated antisocial behaviour",
]
CHILDREN = ["two", "three young children", "a teenager", "twins"]


def _fill(template: str, rng: random.Random, details: dict) -> str:
    return template.format(
        station=details["station"],
        counter=details["counter"],
        borough=details["borough"],
        years=rng.choice([3, 6, 11, 15, 22, 30, 40]),
        children=rng.choice(CHILDREN),
        road=rng.choice(ROADS),
        buses=rng.choice(["two", "two", "three"]),
        minutes=rng.choice([40, 45, 50, 60, 75]),
        age=rng.choice([78, 82, 85, 89, 91]),
        incidents=rng.choice(INCIDENTS),
    )


def _text(rng: random.Random, stance: str, details: dict) -> str:
    parts = [rng.choice(OPENERS)]
    if stance == "oppose":
        themes = rng.sample(sorted(OPPOSE), k=rng.choice([1, 2, 2, 3]))
        parts += [rng.choice(OPPOSE[theme]) for theme in themes]
        parts.append(rng.choice(CLOSERS))
    elif stance == "support":
        parts += rng.sample(SUPPORT, k=rng.choice([1, 2]))
    else:
        parts += rng.sample(NEUTRAL, k=2)
    return " ".join(_fill(part, rng, details) for part in parts if part).strip()


def _agreement(rng: random.Random, stance: str) -> str:
    if stance == "oppose":
        return rng.choice(["strongly_disagree", "strongly_disagree", "disagree"])
    if stance == "support":
        return rng.choice(["agree", "strongly_agree"])
    return "neither"


def _counts(station_slugs: list[str]) -> dict[str, int]:
    others = [slug for slug in station_slugs if slug not in FOCUS]
    counts = {slug: FOCUS[slug] for slug in FOCUS if slug in station_slugs}
    per_other = max(1, (TARGET - sum(counts.values())) // max(1, len(others)))
    for slug in others:
        counts[slug] = per_other
    return counts


HEADER = (
    "channel",
    "received_at",
    "station",
    "connection",
    "agreement",
    "reporting",
    "impact",
    "postcode_district",
    "age_band",
    "postcode",
    "respondent_type",
    "consent_to_publish",
)


def generate_csv(
    stations: list[dict], opens_at: datetime, now: datetime, per_station: int | None = None
) -> tuple[str, int]:
    """The import file: one row per response, paper and email, received between opening and now.

    `stations` carries {"slug", "name", "borough_code", "borough", "counter"} for every station; `per_station`
    (for benchmarks) gives every station the same number instead of the demo's spread.
    """
    rng = random.Random(SEED)
    counts = _counts([station["slug"] for station in stations])
    if per_station is not None:
        counts = dict.fromkeys(counts, per_station)
    span = max(1.0, (now - opens_at).total_seconds() - 1)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    rows = 0
    for station in stations:
        details = {"station": _short(station["name"]), "counter": station["counter"], "borough": station["borough"]}
        for index in range(counts[station["slug"]]):
            writer.writerow(_response_row(rng, station, details, index, opens_at, span))
            rows += 1
    return buffer.getvalue(), rows


def _response_row(
    rng: random.Random, station: dict, details: dict, index: int, opens_at: datetime, span: float
) -> list:
    """The station's `index`th response, received within `span` seconds of opening: the first few at Dagenham
    are copies of the campaign letter."""
    oppose_share = 0.78 if station["slug"] in FOCUS else 0.6
    campaign_copies = 30 if station["slug"] == "dagenham" else 0
    roll = rng.random()
    stance = "oppose" if roll < oppose_share else "support" if roll < oppose_share + 0.15 else "neutral"
    if index < campaign_copies:
        text, stance = _fill(CAMPAIGN_LETTER, rng, details), "oppose"
    elif rng.random() < 0.12:
        text = ""  # some residents tick the boxes and write nothing
    else:
        text = _text(rng, stance, details)
    postcode = _postcode(rng, station)
    received = opens_at + timedelta(seconds=rng.uniform(0, span))
    return [
        rng.choice(["paper", "paper", "email"]),
        received.isoformat(),
        station["slug"],
        rng.choice(["live_nearby", "live_nearby", "live_nearby", "work_nearby", "visited", "represent"]),
        _agreement(rng, stance),
        ";".join(sorted(rng.sample(["front_counter", "phone", "online", "officer"], k=rng.randint(1, 2)))),
        text,
        postcode.split()[0] if postcode else "",
        rng.choice(["18_34", "35_54", "55_74", "55_74", "75_plus", "prefer_not"]),
        postcode or "",
        "resident",
        "yes" if rng.random() < 0.75 else "no",
    ]


def _short(name: str) -> str:
    """'Dagenham, Rainham Road South' -> 'Dagenham', as a resident would write it."""
    return name.split(",")[0]


def _postcode(rng: random.Random, station: dict) -> str | None:
    choices = POSTCODES.get(station["borough_code"])
    if not choices or rng.random() < 0.15:
        return None  # the postcode is optional, and not everyone gives it
    near = [code for code in choices if code.split()[0] in NEAR.get(station["slug"], ())]
    if near and rng.random() < 0.7:
        return rng.choice(near)
    return rng.choice(choices)
