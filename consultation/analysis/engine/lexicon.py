"""A small general-purpose thesaurus of everyday semantic fields.

Used to expand both response text and codebook descriptions with ``@field`` tokens, so that e.g.
"wheelchair" meets a description that says "disabled". The fields are broad areas of everyday public
debate (money, travel, age, health, crime, technology ...), not tied to one consultation.
"""

from __future__ import annotations

from functools import lru_cache

from .text import stem

FIELDS: dict[str, str] = {
    "money": """money cost costs costly expensive cheap cheaper budget budgets fund funding funded
        funds cut cuts saving savings afford affordable price prices pay paid paying tax taxes
        taxpayer taxpayers pound pounds million millions billion spend spending austerity
        finance financial revenue income cash economic economy profit profits debt debts
        wealthy poor poverty wage wages salary fee fees bill bills subsidy subsidise""",
    "travel": """travel travelling journey journeys distance far farther further miles mile bus buses
        train trains tube tram trams drive driving car cars walk walking taxi transport trip
        trips commute minutes hour hours route reach nearest away accessible access getting""",
    "age": """elderly old older age aged pensioner pensioners retired retirement mum dad mother
        father grandmother grandfather gran granny nan grandparent grandparents senior seniors
        eighties nineties""",
    "disability": """disabled disability disabilities wheelchair deaf blind mobility impaired impairment
        dementia illness sick vulnerable carer carers frail housebound autism autistic
        learning""",
    "mental": """mental depression anxiety suicide suicidal stress wellbeing trauma lonely loneliness
        isolation""",
    "children": """child children kid kids young youth youngsters teenager teenagers teens teen son sons
        daughter daughters school schools pupils baby babies minors boys girls underage
        juvenile generation""",
    "family": """family families parent parents husband wife partner home household households
        relatives""",
    "safety": """safe safety unsafe danger dangerous secure security reassurance reassuring reassure
        protect protection protecting fear afraid scared frightened worry worried risk risks
        threat intimidated""",
    "crime": """crime crimes criminal criminals burglary burglaries burgled theft thefts stolen steal
        stealing robbery robberies mugging mugged knife knives stabbing stabbings violence
        violent gang gangs drugs drug dealing dealers antisocial vandalism shoplifting
        shoplifters assault fraud scam scams attack attacks offender offenders offence
        offences moped mopeds acid murder""",
    "police": """police policing officer officers patrol patrols patrolling beat bobby bobbies
        constable constables pcso pcsos cop cops sergeant detective""",
    "digital": """online internet web website websites app apps digital email emails computer smartphone
        smartphones technology tech ai algorithm algorithms software data device devices""",
    "phone": """phone phones telephone ring ringing rang call calling called helpline hotline""",
    "reporting": """report reporting reported reports contact form forms""",
    "building": """building buildings site sites premises property properties estate sell selling sold
        sale flats housing developer developers land landmark listed hotel reuse disposal
        demolish""",
    "government": """government ministers minister mayor council councillors councils authority authorities
        politicians westminster state regulator regulators regulation regulations regulatory
        law laws legislation legal illegal parliament mp mps official officials licence
        licensing licensed""",
    "process": """consultation consult consulted listen listening ignored ignore ignoring decided
        decision petition petitions vote votes voted democratic democracy trust honest honesty
        transparent transparency survey questionnaire views opinions feedback""",
    "numbers": """figures numbers data statistics stats daily weekly monthly visitors visits usage
        percent percentage dozen handful average compared comparison proportion rate rates""",
    "addiction": """addiction addictions addicted addict addicts addictive gambling gambler gamblers bet
        bets betting harm harms harmful ruin ruined destroyed destroy recovery recovering
        relapse compulsive problem hooked""",
    "health": """health healthcare nhs treatment treatments therapy counselling counseling counsellor
        clinic clinics doctor doctors gp hospital hospitals services service care""",
    "support": """support supporting helpline helplines charity charities help helping assistance advice""",
    "education": """education educate educational educating school schools teach teaching taught lessons
        lesson awareness learn learning curriculum literacy training""",
    "advertising": """advert adverts advertising advertisement advertisements advertisers ads ad marketing
        market sponsor sponsors sponsorship sponsorships commercial commercials promotion
        promotions promote promoting brand brands branding logo logos campaign campaigns""",
    "sport": """sport sports sporting football match matches game games team teams club clubs fans
        viewing watching tv television broadcast broadcasts broadcasting broadcaster
        broadcasters stadium athletes""",
    "freedom": """freedom freedoms free choice choices choose liberty liberties adults adult
        responsibility responsible nanny rights individual individuals personal autonomy
        decide""",
    "business": """jobs job employment employ employs employers employees workers staff business
        businesses industry industries companies company firms operators shop shops commercial
        trade traders""",
    "limits": """limit limits limited restriction restrictions restrict restricted cap caps capped
        watershed ban bans banned banning control controls curb curbs threshold""",
    "information": """warning warnings label labels labelling odds information informed disclose disclosure
        transparent clear facts statistics message messages""",
    "community": """community communities neighbourhood neighbourhoods neighbour neighbours residents
        local locals social peer peers volunteers volunteer groups group society""",
    "presence": """visible visibility presence present seen seeing see around deterrent deter deterrence
        reassuring reassurance noticeable""",
    "closure": """close closes closing closure closures closed shut shutting shutdown closedown""",
    "opening": """open opening hours staffed desk counter counters reception""",
    "environment": """environment environmental pollution climate green trees park parks air noise traffic""",
    "housing": """housing houses homes rent rents landlord landlords tenants homeless homelessness""",
    "early": """early earlier prevention prevent preventing preventative screening identify
        identifying detect detection spot intervene intervention interventions before""",
    "self_control": """self-exclusion exclusion exclude block blocking blocks tools tool settings controls
        cooling cool-off timeout""",
}


@lru_cache(maxsize=1)
def stem_to_fields() -> dict[str, tuple[str, ...]]:
    m: dict[str, set[str]] = {}
    for field, words in FIELDS.items():
        for w in words.split():
            m.setdefault(stem(w.lower()), set()).add(field)
    return {k: tuple(sorted(v)) for k, v in m.items()}


def expand(stems: list[str]) -> list[str]:
    """Append ``@field`` tokens for stems that belong to a semantic field."""
    sf = stem_to_fields()
    extra: list[str] = []
    for s in stems:
        f = sf.get(s)
        if f:
            extra.extend("@" + x for x in f)
    return stems + extra
