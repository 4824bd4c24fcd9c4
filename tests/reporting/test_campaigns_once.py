"""campaigns=once, read from the campaign leads the database keeps, gives exactly what the full computation gave
(every campaign member ranked by response id with a window function, all but the lowest taken off), for every
selection, and keeps doing so as members are withdrawn, moved, re-judged late, recoded, regrouped and deleted.
Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL names one."""

from collections import defaultdict

import pytest
from sqlalchemy import delete, func, select, update

from consultation.accounts.models import User
from consultation.analysis.models import Campaign, ResponseAnalysis, ThemeAssignment
from consultation.analysis.service.campaigns import refresh_campaigns
from consultation.catalog.models import Station
from consultation.catalog.service import get_consultation
from consultation.extensions import db
from consultation.intake.models import Response
from consultation.reporting.models import CampaignLead
from consultation.reporting.service import aggregates, compute_aggregates
from consultation.reporting.summaries import check_summaries
from tests.reporting.reporting_factories import Factory

SLUG = "public-access-2017"
SELECTIONS = [{}, {"borough_code": "E09000002"}, {"station_slug": "dagenham"}, {"organiser": True}]


def _members(session, consultation, scope, group_by: str, include_late: bool):
    """Every counted campaign member, ranked in its group and overall: the full computation's own query."""
    key = Station.borough_id if group_by == "borough" else Response.station_id
    statement = (
        select(
            Response.id,
            key.label("group_id"),
            ResponseAnalysis.stance,
            Response.channel,
            Response.respondent_type,
            func.row_number().over(partition_by=(key, ResponseAnalysis.campaign_id), order_by=Response.id),
            func.row_number().over(partition_by=ResponseAnalysis.campaign_id, order_by=Response.id),
        )
        .select_from(ResponseAnalysis)
        .join(Response, Response.id == ResponseAnalysis.response_id)
        .join(Station, Station.id == Response.station_id)
        .where(
            ResponseAnalysis.campaign_id.is_not(None),
            *aggregates.response_filters(consultation, scope, include_late=include_late),
        )
    )
    return session.execute(statement).all()


def _raw(measures: dict, theme_ids: dict[str, int]) -> tuple[dict, dict]:
    """A document's measures back as the counts and theme counts they were made from."""
    counts = {"total": measures["total"]}
    counts |= {f"stance_{name}": number for name, number in measures["stance"].items() if name != "uncoded"}
    counts |= {f"channel_{name}": number for name, number in measures["channels"].items()}
    counts |= {f"type_{name}": number for name, number in measures["respondent_types"].items()}
    themes = {theme_ids[key]: figures["count"] for key, figures in measures["themes"].items()}
    return counts, themes


def full_computation(session, consultation, *, group_by: str, include_late: bool, user=None, **filters) -> dict:
    """campaigns=once as it was computed before the campaign leads: the campaigns=each figures, less every member
    that is not its campaign's lowest in its group (and, overall, in the whole selection)."""
    each = compute_aggregates(
        session, consultation, user=user, group_by=group_by, include_late=include_late, campaigns="each", **filters
    )
    scope = aggregates.resolve_scope(session, consultation, user, **filters)
    themes = aggregates.codebook_themes(session, consultation)
    theme_ids = {theme.key: theme.id for theme in themes}
    members = _members(session, consultation, scope, group_by, include_late)
    assigned = defaultdict(list)
    for response_id, theme_id in session.execute(select(ThemeAssignment.response_id, ThemeAssignment.theme_id)):
        assigned[response_id].append(theme_id)
    stations = {station.id: station for station in consultation.stations}
    key_of = {
        (station.borough_id if group_by == "borough" else station.id): (
            station.borough.gss_code if group_by == "borough" else station.slug
        )
        for station in stations.values()
    }
    taken = defaultdict(lambda: defaultdict(int))  # group key (None: overall) -> field or theme id -> members off
    for response_id, group_id, stance, channel, kind, rank_in_group, rank_overall in members:
        fields = ["total", f"stance_{stance}", f"channel_{channel}", f"type_{kind}", *assigned[response_id]]
        for group, off in ((key_of[group_id], rank_in_group > 1), (None, rank_overall > 1)):
            for field in fields if off else ():
                taken[group][field] += 1
    expected = dict(each, counting=each["counting"] | {"campaigns": "once"}, groups=[])
    for measures in [*each["groups"], each["overall"]]:
        group = measures.get("key")
        counts, theme_counts = _raw(measures, theme_ids)
        counts = {name: number - taken[group][name] for name, number in counts.items()}
        theme_counts = {theme_id: number - taken[group][theme_id] for theme_id, number in theme_counts.items()}
        once = aggregates._measures(counts, theme_counts, measures["campaigns"], themes)
        if group is None:
            expected["overall"] = once
            expected["themes"] = [
                {"key": theme.key, "label": theme.label}
                for theme in themes
                if theme.is_active or theme_counts[theme.id]
            ]
        else:
            expected["groups"].append({name: measures[name] for name in ("key", "name", "borough") if name in measures})
            expected["groups"][-1] |= once
    return expected


def assert_once_is_the_full_computation(session) -> None:
    assert check_summaries(session).agrees, check_summaries(session).sentence()
    organiser = session.scalar(select(User).where(User.name == "Test organiser"))
    session.expire_all()
    consultation = get_consultation(session, SLUG)
    for group_by in ("borough", "station"):
        for include_late in (False, True):
            for selection in SELECTIONS:
                filters = {name: value for name, value in selection.items() if name != "organiser"}
                user = organiser if selection.get("organiser") else None
                options = {"group_by": group_by, "include_late": include_late, "user": user, **filters}
                once = compute_aggregates(session, consultation, campaigns="once", **options)
                assert once == full_computation(session, consultation, **options), options


@pytest.fixture
def factory(demo, tokens):
    factory = Factory(db.session)
    factory.codebook("staffing", "safety", "access")
    return factory


def _campaign_data(factory: Factory) -> dict:
    """Two campaigns across boroughs and stations, whose lowest members are sometimes late or withdrawn, beside
    responses outside campaigns; returns the responses by name."""
    letter, petition = factory.campaign("letter", size=9), factory.campaign("petition", size=4)
    made = {}
    rows = [
        ("late_first", "dagenham", {"stance": "support", "late": True, "channel": "paper", "campaign": letter}),
        ("withdrawn_first", "barking", {"stance": "neutral", "status": "withdrawn", "campaign": letter}),
        ("dagenham_lead", "dagenham", {"themes": {"safety": 0.9, "access": 0.6}, "campaign": letter}),
        ("barking_lead", "barking", {"stance": None, "respondent_type": None, "campaign": letter}),
        ("outside", "dagenham", {"stance": "support", "themes": {"staffing": 0.7}}),
        ("dagenham_second", "dagenham", {"stance": "support", "themes": {"staffing": 0.8}, "campaign": letter}),
        ("ilford_lead", "ilford", {"channel": "email", "themes": {"access": 0.9}, "campaign": letter}),
        ("petition_sidcup", "sidcup", {"stance": "neutral", "themes": {"safety": 0.5}, "campaign": petition}),
        ("colindale_lead", "colindale", {"respondent_type": "business", "campaign": letter}),
        ("petition_dagenham", "dagenham", {"stance": "support", "campaign": petition}),
        ("golders_member", "golders-green", {"themes": {"safety": 0.6}, "campaign": letter}),
        ("late_member", "ilford", {"stance": "support", "late": True, "campaign": letter}),
        ("petition_barking", "barking", {"themes": {"access": 0.5}, "campaign": petition, "channel": "paper"}),
        ("uncoded", "sidcup", {"analysed": False}),
        ("dagenham_third", "dagenham", {"stance": "neutral", "campaign": letter}),
    ]
    for name, station, options in rows:
        made[name] = factory.response(station, **options)
    db.session.commit()
    return made


def test_campaigns_once_matches_the_full_computation_as_members_change(factory, session):
    made = _campaign_data(factory)
    letter = session.scalar(select(Campaign).where(Campaign.key == "letter"))
    assert_once_is_the_full_computation(session)

    # The lowest member of a station is withdrawn, and another moves to a station of another borough.
    session.execute(update(Response).where(Response.id == made["dagenham_lead"].id).values(status="withdrawn"))
    session.execute(
        update(Response)
        .where(Response.id == made["dagenham_second"].id)
        .values(station_id=made["ilford_lead"].station_id)
    )
    session.commit()
    assert_once_is_the_full_computation(session)

    # Lateness re-judged in bulk, and a lead's channel, stance and themes changed.
    late = [made["late_first"].id, made["late_member"].id, made["ilford_lead"].id]
    session.execute(update(Response).where(Response.id.in_(late)).values(late=Response.late.is_(False)))
    session.execute(update(Response).where(Response.id == made["barking_lead"].id).values(channel="paper"))
    session.execute(
        update(ResponseAnalysis)
        .where(ResponseAnalysis.response_id == made["colindale_lead"].id)
        .values(stance="support")
    )
    session.execute(delete(ThemeAssignment).where(ThemeAssignment.response_id == made["golders_member"].id))
    session.add(
        ThemeAssignment(
            response_id=made["colindale_lead"].id,
            theme_id=factory.themes["staffing"].id,
            confidence=1,
            source="machine",
        )
    )
    session.commit()
    assert_once_is_the_full_computation(session)

    # A lead leaves its campaign while a lower response outside joins it; then a lead is deleted outright.
    session.execute(
        update(ResponseAnalysis).where(ResponseAnalysis.response_id == made["ilford_lead"].id).values(campaign_id=None)
    )
    session.execute(
        update(ResponseAnalysis).where(ResponseAnalysis.response_id == made["outside"].id).values(campaign_id=letter.id)
    )
    session.commit()
    assert_once_is_the_full_computation(session)
    session.execute(delete(Response).where(Response.id == made["barking_lead"].id))
    session.commit()
    assert_once_is_the_full_computation(session)


def test_campaigns_once_matches_the_full_computation_after_regrouping(factory, session):
    made = _campaign_data(factory)
    consultation = get_consultation(session, SLUG)
    groups = [
        {
            "key": "letter",
            "size": 3,
            "sample_text": "Keep it",
            "member_ids": [made[n].id for n in ("outside", "ilford_lead", "petition_sidcup")],
        },
        {
            "key": "new",
            "size": 3,
            "sample_text": "Save it",
            "member_ids": [made[n].id for n in ("late_first", "golders_member", "dagenham_third")],
        },
    ]
    refresh_campaigns(session, consultation, groups)
    session.commit()
    assert_once_is_the_full_computation(session)
    assert session.scalar(select(func.count()).select_from(CampaignLead)) == 6

    refresh_campaigns(session, consultation, [])
    session.commit()
    assert_once_is_the_full_computation(session)
    assert session.scalar(select(func.count()).select_from(CampaignLead)) == 0


def test_check_summaries_finds_a_wrong_campaign_lead_and_repair_restores_it(factory, session, runner):
    made = _campaign_data(factory)
    session.execute(
        update(CampaignLead).where(CampaignLead.response_id == made["dagenham_lead"].id).values(stance="support")
    )
    session.commit()
    result = check_summaries(session)
    assert not result.agrees and result.wrong_campaign_rows == 1
    assert "1 campaign summary row(s)" in result.sentence()

    repaired = runner.invoke(args=["check-summaries", "--repair"])
    assert repaired.exit_code == 0 and "they now hold the recount" in repaired.output
    assert_once_is_the_full_computation(session)
