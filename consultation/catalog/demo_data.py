"""The demo consultation's content, written for this project.

Figures for the Barking and Dagenham and Redbridge sites follow the 2017 local press coverage of the
Mayor's public access proposals; other sites carry no published figure here (None), rather than an
invented one. Every borough has exactly one site kept as its 24-hour front counter.
"""

BOROUGHS = [
    ("E09000002", "Barking and Dagenham"),
    ("E09000003", "Barnet"),
    ("E09000004", "Bexley"),
    ("E09000005", "Brent"),
    ("E09000006", "Bromley"),
    ("E09000007", "Camden"),
    ("E09000008", "Croydon"),
    ("E09000009", "Ealing"),
    ("E09000010", "Enfield"),
    ("E09000011", "Greenwich"),
    ("E09000012", "Hackney"),
    ("E09000013", "Hammersmith and Fulham"),
    ("E09000014", "Haringey"),
    ("E09000015", "Harrow"),
    ("E09000016", "Havering"),
    ("E09000017", "Hillingdon"),
    ("E09000018", "Hounslow"),
    ("E09000019", "Islington"),
    ("E09000020", "Kensington and Chelsea"),
    ("E09000021", "Kingston upon Thames"),
    ("E09000022", "Lambeth"),
    ("E09000023", "Lewisham"),
    ("E09000024", "Merton"),
    ("E09000025", "Newham"),
    ("E09000026", "Redbridge"),
    ("E09000027", "Richmond upon Thames"),
    ("E09000028", "Southwark"),
    ("E09000029", "Sutton"),
    ("E09000030", "Tower Hamlets"),
    ("E09000031", "Waltham Forest"),
    ("E09000032", "Wandsworth"),
    ("E09000033", "Westminster"),
]

CLOSE = "The front counter would close; residents would report at the borough's 24-hour counter, online or by phone."
DISPOSE = "The police office would be vacated and the site disposed of."
KEEP_24H = "Kept as the borough's one front counter open 24 hours a day."

# slug, name, address, borough GSS code, proposal, detail, crimes reported per day, visitors per day
STATIONS = [
    (
        "barking",
        "Barking Learning Centre",
        "2 Town Square, Barking IG11 7NB",
        "E09000002",
        "retain_24h",
        KEEP_24H,
        1.8,
        None,
    ),
    (
        "dagenham",
        "Dagenham, Rainham Road South",
        "561 Rainham Road South, Dagenham RM10 7TU",
        "E09000002",
        "close",
        "The front counter would close and the building would then be sold; the borough's counter would be at "
        "Barking Learning Centre.",
        4.1,
        None,
    ),
    (
        "dagenham-heathway",
        "Dagenham Heathway police office",
        "Dagenham Heathway, Dagenham",
        "E09000002",
        "dispose",
        DISPOSE,
        None,
        None,
    ),
    (
        "marks-gate",
        "Marks Gate police office",
        "Marks Gate, Chadwell Heath",
        "E09000002",
        "dispose",
        DISPOSE,
        None,
        None,
    ),
    ("ilford", "Ilford", "270-294 High Road, Ilford", "E09000026", "retain_24h", KEEP_24H, None, None),
    (
        "barkingside",
        "Barkingside",
        "1 High Street, Barkingside",
        "E09000026",
        "close",
        "The station would close; the Met reported about 13 visitors and just over one crime report a day.",
        None,
        13.0,
    ),
    (
        "woodford",
        "Woodford",
        "509 High Road, Woodford Green",
        "E09000026",
        "dispose",
        "The counter already closed in 2013; the building, used as a base by neighbourhood teams, would be vacated.",
        None,
        None,
    ),
    ("colindale", "Colindale", "", "E09000003", "retain_24h", KEEP_24H, None, None),
    ("golders-green", "Golders Green", "", "E09000003", "close", CLOSE, None, None),
    ("bexleyheath", "Bexleyheath", "", "E09000004", "retain_24h", KEEP_24H, None, None),
    ("sidcup", "Sidcup", "", "E09000004", "close", CLOSE, None, None),
    ("wembley", "Wembley", "", "E09000005", "retain_24h", KEEP_24H, None, None),
    ("bromley", "Bromley", "", "E09000006", "retain_24h", KEEP_24H, None, None),
    ("orpington", "Orpington", "", "E09000006", "close", CLOSE, None, None),
    ("holborn", "Holborn", "", "E09000007", "retain_24h", KEEP_24H, None, None),
    ("croydon", "Croydon", "", "E09000008", "retain_24h", KEEP_24H, None, None),
    ("norbury", "Norbury", "", "E09000008", "close", CLOSE, None, None),
    ("ealing", "Ealing", "", "E09000009", "retain_24h", KEEP_24H, None, None),
    ("acton", "Acton", "", "E09000009", "close", CLOSE, None, None),
    ("edmonton", "Edmonton", "", "E09000010", "retain_24h", KEEP_24H, None, None),
    ("plumstead", "Plumstead", "", "E09000011", "retain_24h", KEEP_24H, None, None),
    ("eltham", "Eltham", "", "E09000011", "close", CLOSE, None, None),
    ("stoke-newington", "Stoke Newington", "", "E09000012", "retain_24h", KEEP_24H, None, None),
    ("hammersmith", "Hammersmith", "", "E09000013", "retain_24h", KEEP_24H, None, None),
    ("tottenham", "Tottenham", "", "E09000014", "retain_24h", KEEP_24H, None, None),
    ("hornsey", "Hornsey", "", "E09000014", "close", CLOSE, None, None),
    ("south-harrow", "South Harrow", "", "E09000015", "retain_24h", KEEP_24H, None, None),
    ("romford", "Romford", "", "E09000016", "retain_24h", KEEP_24H, None, None),
    ("hornchurch", "Hornchurch", "", "E09000016", "close", CLOSE, None, None),
    ("rainham", "Rainham", "", "E09000016", "close", CLOSE, None, None),
    ("uxbridge", "Uxbridge", "", "E09000017", "retain_24h", KEEP_24H, None, None),
    ("hounslow", "Hounslow", "", "E09000018", "retain_24h", KEEP_24H, None, None),
    ("islington", "Islington", "", "E09000019", "retain_24h", KEEP_24H, None, None),
    ("kensington", "Kensington", "", "E09000020", "retain_24h", KEEP_24H, None, None),
    ("kingston", "Kingston", "", "E09000021", "retain_24h", KEEP_24H, None, None),
    ("brixton", "Brixton", "", "E09000022", "retain_24h", KEEP_24H, None, None),
    ("kennington", "Kennington", "", "E09000022", "close", CLOSE, None, None),
    ("streatham", "Streatham", "", "E09000022", "close", CLOSE, None, None),
    ("lewisham", "Lewisham", "", "E09000023", "retain_24h", KEEP_24H, None, None),
    ("sydenham", "Sydenham", "", "E09000023", "close", CLOSE, None, None),
    ("wimbledon", "Wimbledon", "", "E09000024", "retain_24h", KEEP_24H, None, None),
    ("mitcham", "Mitcham", "", "E09000024", "close", CLOSE, None, None),
    ("forest-gate", "Forest Gate", "", "E09000025", "retain_24h", KEEP_24H, None, None),
    ("twickenham", "Twickenham", "", "E09000027", "retain_24h", KEEP_24H, None, None),
    ("teddington", "Teddington", "", "E09000027", "close", CLOSE, None, None),
    ("walworth", "Walworth", "", "E09000028", "retain_24h", KEEP_24H, None, None),
    ("east-dulwich", "East Dulwich", "", "E09000028", "close", CLOSE, None, None),
    ("sutton", "Sutton", "", "E09000029", "retain_24h", KEEP_24H, None, None),
    ("bethnal-green", "Bethnal Green", "", "E09000030", "retain_24h", KEEP_24H, None, None),
    ("walthamstow", "Walthamstow", "", "E09000031", "retain_24h", KEEP_24H, None, None),
    ("chingford", "Chingford", "", "E09000031", "close", CLOSE, None, None),
    ("lavender-hill", "Lavender Hill", "", "E09000032", "retain_24h", KEEP_24H, None, None),
    ("charing-cross", "Charing Cross", "", "E09000033", "retain_24h", KEEP_24H, None, None),
]

AGREEMENT_OPTIONS = [
    ("strongly_agree", "Strongly agree"),
    ("agree", "Agree"),
    ("neither", "Neither agree nor disagree"),
    ("disagree", "Disagree"),
    ("strongly_disagree", "Strongly disagree"),
]

QUESTIONNAIRE = {
    "title": "Your views on the proposal for this police station",
    "introduction": "Tell us what the proposal for your station would mean for you. Every question about "
    "your views is optional except the first two; personal details are kept apart from your answers.",
    "questions": [
        {
            "code": "connection",
            "kind": "single_choice",
            "prompt": "What is your connection to this station?",
            "required": True,
            "options": [
                ("live_nearby", "I live nearby"),
                ("work_nearby", "I work or study nearby"),
                ("visited", "I have visited the front counter"),
                ("represent", "I represent a community group, business or residents"),
                ("other", "Other"),
            ],
        },
        {
            "code": "agreement",
            "kind": "agreement_scale",
            "prompt": "How far do you agree with the proposal for this station?",
            "required": True,
            "options": AGREEMENT_OPTIONS,
            "stance_mapping": {
                "strongly_agree": "support",
                "agree": "support",
                "neither": "neutral",
                "disagree": "oppose",
                "strongly_disagree": "oppose",
            },
        },
        {
            "code": "reporting",
            "kind": "multiple_choice",
            "prompt": "How do you usually report a crime or contact the police?",
            "help_text": "Choose all that apply.",
            "required": False,
            "options": [
                ("front_counter", "At a police station front counter"),
                ("phone", "By phone (999 or 101)"),
                ("online", "Online"),
                ("officer", "To an officer in the street"),
                ("never", "I have never needed to"),
            ],
        },
        {
            "code": "impact",
            "kind": "free_text",
            "prompt": "What would the proposal mean for you, your family or your community?",
            "required": False,
            "max_length": 5000,
        },
        {
            "code": "postcode_district",
            "kind": "free_text",
            "prompt": "The first half of your postcode (for example RM10)",
            "help_text": "Only the district, so we can map responses without identifying you.",
            "required": False,
            "max_length": 4,
            "answer_format": "postcode_district",
        },
        {
            "code": "age_band",
            "kind": "single_choice",
            "prompt": "Your age",
            "required": False,
            "options": [
                ("under_18", "Under 18"),
                ("18_34", "18 to 34"),
                ("35_54", "35 to 54"),
                ("55_74", "55 to 74"),
                ("75_plus", "75 or over"),
                ("prefer_not", "Prefer not to say"),
            ],
        },
    ],
}

DAYS_OPEN = 14  # the demo consultation closes at 17:30 London time this many days after seeding
# ... and opened this many days before it, so the demo petition's six weeks of signatures fall inside it
DAYS_ALREADY_OPEN = 45
CONSULTING_BODY = "Mayor's Office for Policing and Crime (MOPAC)"
TITLE = "Public access and engagement: the future of police front counters"
SUMMARY = (
    "To make savings, the proposal keeps one front counter open 24 hours a day in each London borough and "
    "closes or disposes of other front counters and police offices. Tell us what the change would mean where you live."
)
# The demo's own words (a consultation without them reads generically: "site", "Close the site").
WORDING = {
    "site_word": "station",
    "site_word_plural": "stations",
    "proposal_wording": {
        "close": "Close the front counter",
        "retain_24h": "Keep as the borough's 24-hour front counter",
        "retain": "Keep the front counter open",
        "dispose": "Vacate the site and sell it",
        "relocate": "Move the front counter to another site",
    },
    "figure_labels": {
        "crimes_reported_per_day": "Crimes reported at this station per day",
        "visitors_per_day": "Visitors to this station per day",
    },
}
