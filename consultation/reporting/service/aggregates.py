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
rows however many responses there are. No call reads responses.

campaigns=once counts the responses outside campaigns (the summaries hold the campaign members apart: by campaign
in `response_counts`, in `campaign_theme_counts` for themes) and adds each campaign's representative. Which member
represents a campaign depends on the selection (the group, late responses or not, the stations in reach), but it is
always the lowest of the campaign's *leads* in the selection, since the database keeps the lowest member of every
campaign per station, late and status in `campaign_leads` (with its stance, channel, respondent type, and its themes
in `campaign_lead_themes`). So the representatives come from those leads (a few per campaign and station, the
lowest per group found with min()), never from the members themselves. The statements are in `summary_queries.py`.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import partial

from sqlalchemy import ColumnElement, false, select, text
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.permissions import visible_borough_ids
from consultation.analysis.models import STANCES, Codebook, Theme
from consultation.boroughs import Borough
from consultation.catalog.models import Consultation, Station
from consultation.errors import Forbidden, NotFound, ValidationFailed
from consultation.intake.models import CHANNELS, RESPONDENT_TYPES, Response
from consultation.reporting.constants import CAMPAIGN_MODES, GROUP_BY
from consultation.reporting.models import CampaignLead, CampaignThemeCount, ResponseCount, ThemeCount
from consultation.reporting.service.summary_queries import (
    COUNT_FIELDS,
    counts_query,
    outside_counts_query,
    representative_fields,
    representatives,
    representatives_query,
    station_themes_query,
)

UNSPECIFIED_TYPE = "unspecified"
POSTGRES_WORK_MEM = "64MB"


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


def _tune(session: Session) -> None:
    """On PostgreSQL, let this transaction's hash joins stay in memory (a million responses need about 55 MB)
    and skip JIT compilation, which costs more than it saves on these short aggregate queries."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{POSTGRES_WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))


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


def _read_counts(session: Session, chosen, group_of_station: dict, group_by: str, campaigns: str):
    """The counts and the campaign figures per group, and overall under the key None. `chosen(table)` gives the
    selection's filters on a summary table. Under campaigns=once, the counts of the responses outside campaigns
    and the number of responses in campaigns; the representatives and the number of campaigns come later."""
    counts: dict = defaultdict(Counter)
    campaign_counts: dict = defaultdict(Counter)
    if campaigns == "once":
        for row in session.execute(outside_counts_query(chosen(ResponseCount))).mappings():
            for group_id in (group_of_station.get(row["station_id"], row["station_id"]), None):
                counts[group_id].update({name: int(row[name] or 0) for name in COUNT_FIELDS})
                campaign_counts[group_id]["responses_in_campaigns"] += int(row["responses_in_campaigns"] or 0)
        return counts, campaign_counts
    for row in session.execute(counts_query(chosen(ResponseCount), group_by)).mappings():
        counts[row["group_id"]] = {name: int(row[name] or 0) for name in COUNT_FIELDS}
        campaign_counts[row["group_id"]] = {
            "responses_in_campaigns": int(row["responses_in_campaigns"] or 0),
            "distinct_campaigns": int(row["distinct_campaigns"] or 0),
        }
    return counts, campaign_counts


def _read_themes(session: Session, chosen, group_of_station: dict, campaigns: str, theme_ids: list[int]) -> dict:
    """Theme counts per group, and overall under the key None (under campaigns=once, of the responses outside
    campaigns). Themes add up across stations, so one scan by station serves boroughs and the overall figures."""
    theme_counts: dict = defaultdict(Counter)
    if not theme_ids:
        return theme_counts
    members = chosen(CampaignThemeCount) if campaigns == "once" else None
    for station_id, theme_id, count in session.execute(station_themes_query(chosen(ThemeCount), theme_ids, members)):
        for group_id in (group_of_station.get(station_id, station_id), None):
            theme_counts[group_id][theme_id] += int(count)
    return theme_counts


def _add_representatives(session: Session, chosen, group_by: str, include_late: bool, theme_ids: list[int], figures):
    """campaigns=once: add each campaign's representative to its groups and, once, to the overall figures; each
    representative is one campaign more. `figures` are the counts, campaign figures and theme counts so far."""
    counts, campaign_counts, theme_counts = figures
    reps = representatives(chosen(CampaignLead), group_by, include_late)
    for row in session.execute(representatives_query(reps, theme_ids)):
        fields = representative_fields(row) if row.theme_id is None else ()
        for group_id, number in ((row.group_id, int(row.in_group)), (None, int(row.overall))):
            if row.theme_id is not None:
                theme_counts[group_id][row.theme_id] += number
                continue
            for name in fields:
                counts[group_id][name] += number
            campaign_counts[group_id]["distinct_campaigns"] += number


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
    figures = _read_figures(
        session, consultation, scope, themes, group_by=group_by, include_late=include_late, campaigns=campaigns
    )
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


def _read_figures(session: Session, consultation, scope: Scope, themes, *, group_by, include_late, campaigns):
    """The figures from the summary tables; under campaigns=once each campaign's representative is added to its
    groups and, once, to the overall figures (campaign_leads), so no request reads the responses."""
    theme_ids = [theme.id for theme in themes]
    chosen = partial(selection_filters, consultation=consultation, scope=scope, include_late=include_late)
    group_of_station = {
        station.id: (station.borough_id if group_by == "borough" else station.id) for station in scope.stations
    }
    counts, campaign_counts = _read_counts(session, chosen, group_of_station, group_by, campaigns)
    theme_counts = _read_themes(session, chosen, group_of_station, campaigns, theme_ids)
    if campaigns == "once":
        figures = (counts, campaign_counts, theme_counts)
        _add_representatives(session, chosen, group_by, include_late, theme_ids, figures)
    overall_counts, overall_campaigns = counts.pop(None, {}), campaign_counts.pop(None, {})
    overall_themes = theme_counts.pop(None, {})
    return _Figures(counts, campaign_counts, theme_counts, overall_counts, overall_campaigns, overall_themes)
