"""The statements the aggregates read the summary tables with (`reporting/models.py`), apart from the Python that
assembles their rows into figures (`aggregates.py`). Each reads a few thousand summary rows at most."""

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)

from consultation.analysis.models import STANCES
from consultation.catalog.models import Station
from consultation.intake.models import CHANNELS, RESPONDENT_TYPES
from consultation.reporting.models import (
    NO_CAMPAIGN,
    CampaignLead,
    CampaignLeadTheme,
    CampaignThemeCount,
    ResponseCount,
    ThemeCount,
)

COUNT_FIELDS = (
    "total",
    *(f"stance_{stance}" for stance in STANCES),
    *(f"channel_{channel}" for channel in CHANNELS),
    *(f"type_{kind}" for kind in RESPONDENT_TYPES),
)


def tally(column: ColumnElement, value: str, label: str):
    return func.coalesce(func.sum(case((column == value, ResponseCount.responses), else_=0)), 0).label(label)


def counts_query(filters: list[ColumnElement], group_by: str):
    """Every count but themes, per group and overall, from the maintained summary (a few thousand rows at most).

    The inner select adds up the summary's slots and keys into "cells" by station and campaign; the outer selects
    add the cells up per group and overall, and count distinct campaigns among them. Cells whose responses all
    left the selection (withdrawn, re-judged late) add up to zero and are dropped, so they name no campaign.
    """
    columns = [
        ResponseCount.station_id.label("station_id"),
        ResponseCount.campaign_id,
        func.sum(ResponseCount.responses).label("total"),
    ]
    columns += [tally(ResponseCount.stance, stance, f"stance_{stance}") for stance in STANCES]
    columns += [tally(ResponseCount.channel, channel, f"channel_{channel}") for channel in CHANNELS]
    columns += [tally(ResponseCount.respondent_type, kind, f"type_{kind}") for kind in RESPONDENT_TYPES]
    cells = (
        select(*columns)
        .where(*filters)
        .group_by(ResponseCount.station_id, ResponseCount.campaign_id)
        .having(func.sum(ResponseCount.responses) != 0)
        .cte("cells")
    )
    in_campaign = cells.c.campaign_id != NO_CAMPAIGN
    sums = [func.sum(cells.c[name]).label(name) for name in COUNT_FIELDS]
    sums += [
        func.coalesce(func.sum(case((in_campaign, cells.c.total), else_=0)), 0).label("responses_in_campaigns"),
        func.count(func.distinct(case((in_campaign, cells.c.campaign_id)))).label("distinct_campaigns"),
    ]
    if group_by == "borough":
        grouped = (
            select(Station.borough_id.label("group_id"), *sums)
            .select_from(cells)
            .join(Station, Station.id == cells.c.station_id)
            .group_by(Station.borough_id)
        )
    else:
        grouped = select(cells.c.station_id.label("group_id"), *sums).group_by(cells.c.station_id)
    overall = select(null().label("group_id"), *sums).select_from(cells)
    return union_all(grouped, overall)


def outside_counts_query(filters: list[ColumnElement]):
    """campaigns=once: per station, every count of the responses outside campaigns (tallied over the few summary
    rows of campaign 0), then how many responses are in campaigns (one sum over the rest). The campaigns'
    representatives, and so the number of campaigns, come from their leads (`representatives_query`)."""
    outside = [func.sum(ResponseCount.responses).label("total")]
    outside += [tally(ResponseCount.stance, stance, f"stance_{stance}") for stance in STANCES]
    outside += [tally(ResponseCount.channel, channel, f"channel_{channel}") for channel in CHANNELS]
    outside += [tally(ResponseCount.respondent_type, kind, f"type_{kind}") for kind in RESPONDENT_TYPES]
    station = ResponseCount.station_id.label("station_id")
    return union_all(
        select(station, *outside, literal(0).label("responses_in_campaigns"))
        .where(ResponseCount.campaign_id == NO_CAMPAIGN, *filters)
        .group_by(ResponseCount.station_id),
        select(station, *[literal(0) for _ in COUNT_FIELDS], func.sum(ResponseCount.responses))
        .where(ResponseCount.campaign_id != NO_CAMPAIGN, *filters)
        .group_by(ResponseCount.station_id),
    )


def station_themes_query(
    filters: list[ColumnElement], theme_ids: list[int], member_filters: list[ColumnElement] | None = None
):
    """Responses per station and theme, from the maintained theme summary; with `member_filters` (campaigns=once),
    less the campaign members' (from their own summary), so only the responses outside campaigns."""
    if member_filters is None:
        total = func.sum(ThemeCount.responses)
        return (
            select(ThemeCount.station_id, ThemeCount.theme_id, total)
            .where(ThemeCount.theme_id.in_(theme_ids), *filters)
            .group_by(ThemeCount.station_id, ThemeCount.theme_id)
            .having(total != 0)
        )
    rows = union_all(
        select(ThemeCount.station_id, ThemeCount.theme_id, ThemeCount.responses).where(
            ThemeCount.theme_id.in_(theme_ids), *filters
        ),
        select(CampaignThemeCount.station_id, CampaignThemeCount.theme_id, -CampaignThemeCount.responses).where(
            CampaignThemeCount.theme_id.in_(theme_ids), *member_filters
        ),
    ).subquery("theme_rows")
    total = func.sum(rows.c.responses)
    return (
        select(rows.c.station_id, rows.c.theme_id, total)
        .group_by(rows.c.station_id, rows.c.theme_id)
        .having(total != 0)
    )


def representatives(filters: list[ColumnElement], group_by: str, include_late: bool):
    """campaigns=once: each campaign's representative in each group, read from the campaign leads (the lowest
    member of each campaign per station, late and status, kept by the database). The lowest member in a group is
    the lowest of the group's leads. The selection holds one status (active), so by station without late responses
    it holds one lead per station and campaign, the representative itself, and no lowest needs looking for."""
    key = Station.borough_id if group_by == "borough" else CampaignLead.station_id

    def selected(*columns):
        statement = select(*columns).where(*filters)
        if group_by == "borough":
            statement = statement.join(Station, Station.id == CampaignLead.station_id)
        return statement

    facts = (CampaignLead.stance, CampaignLead.channel, CampaignLead.respondent_type)
    reps = selected(CampaignLead.response_id, CampaignLead.campaign_id, key.label("group_id"), *facts)
    if group_by == "borough" or include_late:
        firsts = selected(func.min(CampaignLead.response_id)).group_by(key, CampaignLead.campaign_id)
        reps = reps.where(CampaignLead.response_id.in_(firsts))
    return reps.cte("representatives")


def representatives_query(reps, theme_ids: list[int]):
    """campaigns=once: what the representatives add, per group (`in_group`) and overall (`overall`: the lowest
    representative of each campaign), in one statement. Rows without a theme_id count representatives by stance,
    channel and respondent type; rows with one count the representatives holding that theme."""
    overall = select(func.min(reps.c.response_id).label("response_id")).group_by(reps.c.campaign_id)
    overall_ids = select(overall.cte("overall_representatives").c.response_id)
    facts = (reps.c.stance, reps.c.channel, reps.c.respondent_type)
    # Typed NULLs: PostgreSQL takes an untyped NULL in the first branches of a UNION for text.
    no_facts = [cast(null(), String).label(column.name) for column in facts]
    no_group, no_theme = cast(null(), Integer).label("group_id"), cast(null(), Integer).label("theme_id")
    zero, number = literal_column("0"), func.count()
    parts = [
        select(reps.c.group_id, no_theme, *facts, number.label("in_group"), zero.label("overall")).group_by(
            reps.c.group_id, *facts
        ),
        select(no_group, no_theme, *facts, zero, number).where(reps.c.response_id.in_(overall_ids)).group_by(*facts),
    ]
    if theme_ids:
        parts += [
            select(reps.c.group_id, CampaignLeadTheme.theme_id, *no_facts, number, zero)
            .select_from(reps)
            .join(CampaignLeadTheme, CampaignLeadTheme.response_id == reps.c.response_id)
            .where(CampaignLeadTheme.theme_id.in_(theme_ids))
            .group_by(reps.c.group_id, CampaignLeadTheme.theme_id),
            select(no_group, CampaignLeadTheme.theme_id, *no_facts, zero, number)
            .where(CampaignLeadTheme.response_id.in_(overall_ids), CampaignLeadTheme.theme_id.in_(theme_ids))
            .group_by(CampaignLeadTheme.theme_id),
        ]
    return union_all(*parts)


def representative_fields(row) -> list[str]:
    """The counts a representative of this stance, channel and respondent type adds one to."""
    names = ("total", f"stance_{row.stance}", f"channel_{row.channel}", f"type_{row.respondent_type}")
    return [name for name in names if name in COUNT_FIELDS]
