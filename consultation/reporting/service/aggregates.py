"""Aggregates by borough or station: stance, themes, channels, respondent types and campaigns, counted in SQL.

Counting rules (the README repeats them for readers of the API):

- Only active responses count; withdrawn responses never do.
- Late responses are left out unless `include_late` is true.
- `campaigns="each"`: every response counts once, campaign member or not.
- `campaigns="once"`: inside each group, the members of one campaign count as a single response, represented by
  the member with the lowest response id in that group; its stance, channel, respondent type and themes are the
  ones counted. `overall` follows the same rule over the whole selection (represented by the campaign's lowest
  response id overall), so a campaign whose members span two boroughs counts once in each borough and once overall.
  `campaigns.responses_in_campaigns` always reports the raw number of campaign members, so readers can see how
  many responses were folded together.
- `share_opposed` = oppose / (oppose + support + neutral): a share of coded responses, `None` when none is coded.
- A theme's `share` is its count over the group's counted total (themes are not exclusive; shares may sum past 1).

Each call runs a fixed number of queries whatever the number of groups or responses, and never loops over response
rows in Python. The counts and the themes are read from the summary tables (`reporting/models.py`), which the
database keeps exact as responses, analyses and theme assignments change (`reporting/summaries.py`): a few thousand
rows however many responses there are. Only campaigns=once reads responses, and only the campaign members (a few
per cent of rows, ranked with row_number()), to say what to take off: which member represents a campaign depends
on the selection, so it cannot be kept in advance.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, false, func, literal, null, select, text, union_all
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.permissions import visible_borough_ids
from consultation.analysis.models import STANCES, Codebook, ResponseAnalysis, Theme, ThemeAssignment
from consultation.boroughs import Borough
from consultation.catalog.models import Consultation, Station
from consultation.errors import Forbidden, NotFound, ValidationFailed
from consultation.intake.models import CHANNELS, RESPONDENT_TYPES, Response
from consultation.reporting.constants import CAMPAIGN_MODES, GROUP_BY
from consultation.reporting.models import NO_CAMPAIGN, ResponseCount, ThemeCount

UNSPECIFIED_TYPE = "unspecified"
POSTGRES_WORK_MEM = "64MB"

COUNT_FIELDS = (
    "total",
    *(f"stance_{stance}" for stance in STANCES),
    *(f"channel_{channel}" for channel in CHANNELS),
    *(f"type_{kind}" for kind in RESPONDENT_TYPES),
)


@dataclass(frozen=True)
class Scope:
    """The stations a caller may see after their role and the borough/station filters are applied."""

    stations: list[Station]
    restricted: bool
    borough_code: str | None = None
    station_slug: str | None = None

    @property
    def station_ids(self) -> list[int]:
        return [station.id for station in self.stations]


def resolve_scope(
    session: Session,
    consultation: Consultation,
    user: User | None,
    *,
    borough_code: str | None = None,
    station_slug: str | None = None,
) -> Scope:
    """Stations in reach: organisers only in their boroughs (403 for a filter outside them), others everywhere."""
    visible = visible_borough_ids(user)
    stations = list(consultation.stations)
    if borough_code is not None:
        borough = session.scalar(select(Borough).where(Borough.gss_code == borough_code))
        if borough is None:
            raise NotFound("borough", borough_code)
        if visible is not None and borough.id not in visible:
            raise Forbidden("Your token is not scoped to this borough.")
        stations = [station for station in stations if station.borough_id == borough.id]
    if station_slug is not None:
        chosen = [station for station in consultation.stations if station.slug == station_slug]
        if not chosen:
            raise NotFound("station", station_slug)
        if visible is not None and chosen[0].borough_id not in visible:
            raise Forbidden("Your token is not scoped to this station's borough.")
        stations = [station for station in stations if station.slug == station_slug]
    if visible is not None:
        stations = [station for station in stations if station.borough_id in visible]
    restricted = visible is not None or borough_code is not None or station_slug is not None
    return Scope(stations=stations, restricted=restricted, borough_code=borough_code, station_slug=station_slug)


def response_filters(consultation: Consultation, scope: Scope, *, include_late: bool) -> list[ColumnElement]:
    """WHERE clauses on `responses` shared by aggregates, quotes and exports."""
    return selection_filters(Response, consultation, scope, include_late=include_late)


def selection_filters(table, consultation: Consultation, scope: Scope, *, include_late: bool) -> list[ColumnElement]:
    """The counted selection (active, on time unless asked, stations in scope) on `responses` or a summary table."""
    clauses = [table.consultation_id == consultation.id, table.status == "active"]
    if not include_late:
        clauses.append(table.late.is_(false()))
    if scope.restricted:
        clauses.append(table.station_id.in_(scope.station_ids) if scope.stations else false())
    return clauses


def _group_key(group_by: str):
    return Station.borough_id if group_by == "borough" else Response.station_id


def _tally(column: ColumnElement, value: str, label: str):
    return func.coalesce(func.sum(case((column == value, ResponseCount.responses), else_=0)), 0).label(label)


def _counts_query(filters: list[ColumnElement], group_by: str):
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
    columns += [_tally(ResponseCount.stance, stance, f"stance_{stance}") for stance in STANCES]
    columns += [_tally(ResponseCount.channel, channel, f"channel_{channel}") for channel in CHANNELS]
    columns += [_tally(ResponseCount.respondent_type, kind, f"type_{kind}") for kind in RESPONDENT_TYPES]
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


def _station_themes_query(filters: list[ColumnElement], theme_ids: list[int]):
    """Responses per station and theme, from the maintained theme summary."""
    total = func.sum(ThemeCount.responses)
    return (
        select(ThemeCount.station_id, ThemeCount.theme_id, total)
        .where(ThemeCount.theme_id.in_(theme_ids), *filters)
        .group_by(ThemeCount.station_id, ThemeCount.theme_id)
        .having(total != 0)
    )


def _campaign_members(filters: list[ColumnElement], group_by: str):
    """Counted responses that belong to a campaign (a few per cent of rows), each ranked by response id inside its
    campaign within its group and within the whole selection: rank 1 is the campaign's representative."""
    key = _group_key(group_by)
    statement = (
        select(
            Response.id.label("response_id"),
            key.label("group_id"),
            ResponseAnalysis.stance,
            Response.channel,
            Response.respondent_type,
            func.row_number()
            .over(partition_by=(key, ResponseAnalysis.campaign_id), order_by=Response.id)
            .label("rank_in_group"),
            func.row_number()
            .over(partition_by=ResponseAnalysis.campaign_id, order_by=Response.id)
            .label("rank_overall"),
        )
        .select_from(ResponseAnalysis)
        .join(Response, Response.id == ResponseAnalysis.response_id)
    )
    if group_by == "borough":
        statement = statement.join(Station, Station.id == Response.station_id)
    return statement.where(ResponseAnalysis.campaign_id.is_not(None), *filters).cte("members")


def _count_if(condition: ColumnElement, label: str):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(label)


def _adjustments_query(members):
    """campaigns=once: what to take off the counts and the themes, per group, in one statement.

    `folded` members are not their group's representative (taken off the group and the overall figures); `extra`
    members represent their campaign in a group but not overall (taken off the overall figures only, since the sum
    of the groups counted them once in each group). The row of a group without a theme_id carries the count
    adjustments; rows with a theme_id carry that theme's (in the `*_total` columns). Both halves read the same
    `members` CTE, so the responses are scanned once.
    """
    folded = members.c.rank_in_group > 1
    extra = and_(members.c.rank_in_group == 1, members.c.rank_overall > 1)
    conditions = {
        "stance": [(stance, members.c.stance == stance) for stance in STANCES],
        "channel": [(channel, members.c.channel == channel) for channel in CHANNELS],
        "type": [(kind, members.c.respondent_type == kind) for kind in RESPONDENT_TYPES],
    }
    count_columns = [members.c.group_id, null().label("theme_id")]
    theme_columns = [members.c.group_id, ThemeAssignment.theme_id]
    for prefix, condition in (("folded", folded), ("extra", extra)):
        count_columns.append(_count_if(condition, f"{prefix}_total"))
        theme_columns.append(_count_if(condition, f"{prefix}_total"))
        for dimension, values in conditions.items():
            for value, matches in values:
                count_columns.append(_count_if(and_(condition, matches), f"{prefix}_{dimension}_{value}"))
                theme_columns.append(literal(0).label(f"{prefix}_{dimension}_{value}"))
    counts = select(*count_columns).group_by(members.c.group_id)
    themes = (
        select(*theme_columns)
        .select_from(members)
        .join(ThemeAssignment, ThemeAssignment.response_id == members.c.response_id)
        .group_by(members.c.group_id, ThemeAssignment.theme_id)
    )
    return union_all(counts, themes)


def _tune(session: Session) -> None:
    """On PostgreSQL, let this transaction's hash joins stay in memory (a million responses need about 55 MB)
    and skip JIT compilation, which costs more than it saves on these short aggregate queries."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{POSTGRES_WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))


def _add(total: dict, part: dict, sign: int = 1) -> dict:
    return {name: total.get(name, 0) + sign * int(part.get(name) or 0) for name in set(total) | set(part)}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _measures(counts: dict[str, int], theme_counts: dict[int, int], campaigns: dict[str, int], themes) -> dict:
    total = counts.get("total", 0)
    stances = {stance: counts.get(f"stance_{stance}", 0) for stance in STANCES}
    coded = sum(stances.values())
    stances["uncoded"] = total - coded
    types = {kind: counts.get(f"type_{kind}", 0) for kind in RESPONDENT_TYPES}
    types[UNSPECIFIED_TYPE] = total - sum(types.values())
    return {
        "total": total,
        "stance": stances,
        "share_opposed": _share(stances["oppose"], coded),
        "themes": {
            theme.key: {"count": theme_counts.get(theme.id, 0), "share": _share(theme_counts.get(theme.id, 0), total)}
            for theme in themes
            if theme.is_active or theme_counts.get(theme.id)
        },
        "channels": {channel: counts.get(f"channel_{channel}", 0) for channel in CHANNELS},
        "respondent_types": types,
        "campaigns": {
            "responses_in_campaigns": campaigns.get("responses_in_campaigns", 0),
            "distinct_campaigns": campaigns.get("distinct_campaigns", 0),
        },
    }


def codebook_themes(session: Session, consultation: Consultation) -> list[Theme]:
    return list(
        session.scalars(
            select(Theme)
            .join(Codebook, Codebook.id == Theme.codebook_id)
            .where(Codebook.consultation_id == consultation.id)
            .order_by(Theme.id)
        )
    )


def _groups(scope: Scope, group_by: str) -> list[dict]:
    """Every borough or station in scope, so groups with no responses still appear (with zeros)."""
    if group_by == "station":
        return [
            {
                "id": station.id,
                "key": station.slug,
                "name": station.name,
                "borough": {"gss_code": station.borough.gss_code, "name": station.borough.name},
            }
            for station in sorted(scope.stations, key=lambda station: (station.borough.gss_code, station.name))
        ]
    boroughs = {station.borough_id: station.borough for station in scope.stations}
    return [
        {"id": borough.id, "key": borough.gss_code, "name": borough.name}
        for borough in sorted(boroughs.values(), key=lambda borough: borough.gss_code)
    ]


def compute_aggregates(
    session: Session,
    consultation: Consultation,
    *,
    user: User | None = None,
    group_by: str = "borough",
    include_late: bool = False,
    campaigns: str = "each",
    borough_code: str | None = None,
    station_slug: str | None = None,
) -> dict:
    """Counts per group and overall, as plain data (the API, the exports and the submission PDFs all use this)."""
    _check_choices(group_by, campaigns)
    scope = resolve_scope(session, consultation, user, borough_code=borough_code, station_slug=station_slug)
    themes = codebook_themes(session, consultation)
    _tune(session)
    figures = _Figures.read(session, consultation, scope, themes, group_by=group_by, include_late=include_late)
    if campaigns == "once":
        figures.fold_campaigns(session, response_filters(consultation, scope, include_late=include_late), group_by)
    groups = []
    for group in _groups(scope, group_by):
        group_id = group.pop("id")
        measures = _measures(
            figures.counts.get(group_id, {}),
            figures.theme_counts.get(group_id, {}),
            figures.campaign_counts.get(group_id, {}),
            themes,
        )
        groups.append(group | measures)
    return {
        "consultation": consultation.slug,
        "group_by": group_by,
        "counting": {
            "include_late": include_late,
            "campaigns": campaigns,
            "withdrawn": "excluded",
            "share_opposed_of": "coded",
            "theme_share_of": "total",
        },
        "filters": {"borough": borough_code, "station": station_slug},
        "themes": [
            {"key": theme.key, "label": theme.label}
            for theme in themes
            if theme.is_active or figures.overall_themes.get(theme.id)
        ],
        "groups": groups,
        "overall": _measures(figures.overall_counts, figures.overall_themes, figures.overall_campaigns, themes),
    }


def _check_choices(group_by: str, campaigns: str) -> None:
    """Every caller (API, CLI, exports, submissions) gets the one error shape, never an unhandled ValueError."""
    errors = {}
    if group_by not in GROUP_BY:
        errors["group_by"] = [f"Must be one of: {', '.join(GROUP_BY)}."]
    if campaigns not in CAMPAIGN_MODES:
        errors["campaigns"] = [f"Must be one of: {', '.join(CAMPAIGN_MODES)}."]
    if errors:
        raise ValidationFailed(errors)


@dataclass
class _Figures:
    """The counts, campaign counts and theme counts by group id, and overall, as read from the summary tables."""

    counts: dict
    campaign_counts: dict
    theme_counts: dict
    overall_counts: dict
    overall_campaigns: dict
    overall_themes: dict

    @classmethod
    def read(cls, session, consultation, scope: Scope, themes, *, group_by: str, include_late: bool) -> "_Figures":
        count_filters = selection_filters(ResponseCount, consultation, scope, include_late=include_late)
        theme_filters = selection_filters(ThemeCount, consultation, scope, include_late=include_late)
        counts: dict = {}
        campaign_counts: dict = {}
        for row in session.execute(_counts_query(count_filters, group_by)).mappings():
            counts[row["group_id"]] = {name: int(row[name] or 0) for name in COUNT_FIELDS}
            campaign_counts[row["group_id"]] = {
                "responses_in_campaigns": int(row["responses_in_campaigns"] or 0),
                "distinct_campaigns": int(row["distinct_campaigns"] or 0),
            }
        overall_counts, overall_campaigns = counts.pop(None, {}), campaign_counts.pop(None, {})
        theme_counts, overall_themes = _theme_counts(session, theme_filters, scope, themes, group_by)
        return cls(counts, campaign_counts, theme_counts, overall_counts, overall_campaigns, overall_themes)

    def fold_campaigns(self, session: Session, filters: list, group_by: str) -> None:
        """campaigns=once: a group counts each of its campaigns once; overall, each campaign counts once."""
        members = _campaign_members(filters, group_by)
        for row in session.execute(_adjustments_query(members)).mappings():
            group_id, theme_id = row["group_id"], row["theme_id"]
            if theme_id is not None:
                folded_themes = {theme_id: row["folded_total"]}
                self.theme_counts[group_id] = _add(self.theme_counts.get(group_id, {}), folded_themes, -1)
                self.overall_themes = _add(
                    self.overall_themes, {theme_id: row["folded_total"] + row["extra_total"]}, -1
                )
                continue
            folded = {name: row[f"folded_{name}"] for name in COUNT_FIELDS}
            extra = {name: row[f"extra_{name}"] for name in COUNT_FIELDS}
            self.counts[group_id] = _add(self.counts.get(group_id, {}), folded, -1)
            self.overall_counts = _add(_add(self.overall_counts, folded, -1), extra, -1)


def _theme_counts(session: Session, theme_filters: list, scope: Scope, themes, group_by: str) -> tuple[dict, dict]:
    """Theme counts by group and overall. Themes add up across stations, so one scan by station serves boroughs and
    the overall figures alike."""
    group_of_station = {
        station.id: (station.borough_id if group_by == "borough" else station.id) for station in scope.stations
    }
    theme_counts: dict[int, dict] = {}
    overall_themes: dict = {}
    theme_ids = [theme.id for theme in themes]
    station_themes = session.execute(_station_themes_query(theme_filters, theme_ids)) if theme_ids else []
    for station_id, theme_id, count in station_themes:
        group_id = group_of_station.get(station_id, station_id)
        theme_counts[group_id] = _add(theme_counts.get(group_id, {}), {theme_id: count})
        overall_themes = _add(overall_themes, {theme_id: count})
    return theme_counts, overall_themes
