"""The response explorer: one consultation's responses narrowed by any mix of filters, a page at a time.

The filters become WHERE clauses on `responses` only (subqueries for analysis, themes and words), so the same
clauses count the matches, fetch a page and drive the response export: the export of a filtered view holds
exactly the responses the explorer counted. Organisers are held to their boroughs by the scope rules.

Words are searched by the response listing's word search (`intake/search.py`, the API's `q`): full-text search
over `answers.search_text` on PostgreSQL (GIN index, English stems), the lower-case text on SQLite; with words,
the count is exact up to the search's limit and the database's estimate past it, and says which.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.analysis.models import STANCES, Codebook, ResponseAnalysis, Theme, ThemeAssignment
from consultation.boroughs import Borough
from consultation.catalog.models import Consultation, Station
from consultation.errors import ValidationFailed
from consultation.intake import search
from consultation.intake.models import CHANNELS, Response
from consultation.reporting.service.aggregates import resolve_scope

PAGE_SIZE = 50
STATUSES = ("active", "withdrawn")
CODED = ("person", "machine", "none")


@dataclass(frozen=True)
class ResponseFilters:
    station: str | None = None
    borough: str | None = None
    channel: str | None = None
    status: str | None = None
    late: bool | None = None
    stance: str | None = None
    theme: str | None = None
    coded: str | None = None
    words: str | None = None

    @classmethod
    def from_args(cls, args: Mapping) -> "ResponseFilters":
        """From a query string; empty values mean no filter, and a value no filter takes is a 422. Words come as
        `words` (the explorer's form) or `q` (the listing API's name for the same search)."""
        values = {name: (args.get(name) or "").strip() or None for name in cls.__dataclass_fields__}
        values["words"] = values["words"] or (args.get("q") or "").strip() or None
        errors = {}
        for name, allowed in (
            ("channel", CHANNELS),
            ("status", STATUSES),
            ("stance", (*STANCES, "uncoded")),
            ("coded", CODED),
        ):
            if values[name] is not None and values[name] not in allowed:
                errors[name] = [f"Must be one of: {', '.join(allowed)}."]
        late = values.pop("late")
        if late not in (None, "yes", "no"):
            errors["late"] = ["Must be yes or no."]
        if values["words"]:
            try:
                search.search_words(values["words"])
            except ValidationFailed as error:
                errors["words"] = error.errors["q"]
        if errors:
            raise ValidationFailed(errors)
        return cls(late=None if late is None else late == "yes", **values)

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links, the export buttons and the next page)."""
        args = {}
        for name, value in asdict(self).items():
            if value is None:
                continue
            args[name] = ("yes" if value else "no") if name == "late" else value
        return args


def _theme_id(session: Session, consultation: Consultation, key: str) -> int:
    theme_id = session.scalar(
        select(Theme.id)
        .join(Codebook, Codebook.id == Theme.codebook_id)
        .where(Codebook.consultation_id == consultation.id, Theme.key == key)
    )
    if theme_id is None:
        raise ValidationFailed({"theme": [f"No theme {key!r} in this consultation's codebook."]})
    return theme_id


def _analysis_clauses(session: Session, consultation: Consultation, filters: ResponseFilters) -> list:
    analysed = select(ResponseAnalysis.response_id).where(ResponseAnalysis.consultation_id == consultation.id)
    clauses = []
    if filters.stance == "uncoded":
        clauses.append(Response.id.not_in(analysed.where(ResponseAnalysis.stance.is_not(None))))
    elif filters.stance is not None:
        clauses.append(Response.id.in_(analysed.where(ResponseAnalysis.stance == filters.stance)))
    if filters.coded == "person":
        clauses.append(Response.id.in_(analysed.where(ResponseAnalysis.coded_by_user_id.is_not(None))))
    elif filters.coded == "machine":
        machine = analysed.where(ResponseAnalysis.coded_by_user_id.is_(None), ResponseAnalysis.stance.is_not(None))
        clauses.append(Response.id.in_(machine))
    elif filters.coded == "none":
        coded = analysed.where(ResponseAnalysis.stance.is_not(None))
        clauses.append(Response.id.not_in(coded))
    if filters.theme is not None:
        theme_id = _theme_id(session, consultation, filters.theme)
        clauses.append(Response.id.in_(select(ThemeAssignment.response_id).where(ThemeAssignment.theme_id == theme_id)))
    return clauses


def filter_clauses(
    session: Session, consultation: Consultation, user: User | None, filters: ResponseFilters, *, words: bool = True
) -> list[ColumnElement]:
    """WHERE clauses on `responses` for these filters, inside what this user may see (without the words when
    `words` is False: the word search counts its matches itself)."""
    scope = resolve_scope(session, consultation, user, borough_code=filters.borough, station_slug=filters.station)
    clauses: list[ColumnElement] = [Response.consultation_id == consultation.id]
    if scope.restricted:
        clauses.append(Response.station_id.in_(scope.station_ids) if scope.stations else false())
    if filters.channel is not None:
        clauses.append(Response.channel == filters.channel)
    if filters.status is not None:
        clauses.append(Response.status == filters.status)
    if filters.late is not None:
        clauses.append(Response.late.is_(filters.late))
    clauses += _analysis_clauses(session, consultation, filters)
    if filters.words and words:
        clauses.append(search.matching(session, filters.words))
    return clauses


def explore(
    session: Session,
    consultation: Consultation,
    user: User | None,
    filters: ResponseFilters,
    *,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> dict:
    """How many responses match (`total_exact` False when, with words, it is the database's estimate), and one
    page of them, newest first; `next` is the cursor of the next page."""
    clauses = filter_clauses(session, consultation, user, filters, words=False)
    after = [Response.id < before_id] if before_id is not None else []
    if not filters.words:
        total, total_exact = session.scalar(select(func.count()).select_from(Response).where(*clauses)) or 0, True
        items = _page_rows(session, clauses + after, limit)
        more = len(items) > limit
    else:
        responses = select(Response.id).where(*clauses)
        matches = search.count_matches(session, filters.words, responses)
        items = search.read_matching_page(
            session, filters.words, matches, lambda words: _page_rows(session, [*clauses, *after, words], limit)
        )
        more = len(items) > limit
        if items:
            through = [*after, Response.id >= items[-1]["id"]]
            matches = search.estimate_from_page(session, matches, responses, through, len(items), more)
        total, total_exact = matches.count, matches.exact
    items = items[:limit]
    return {
        "total": total,
        "total_exact": total_exact,
        "exact_limit": search.EXACT_COUNT_LIMIT,
        "items": items,
        "next": items[-1]["id"] if more else None,
    }


def _page_rows(session: Session, clauses: list, limit: int) -> list[dict]:
    """One more than a page of the explorer's rows, newest first."""
    rows = session.execute(
        select(
            Response.id,
            Response.reference,
            Response.channel,
            Response.received_at,
            Response.late,
            Response.status,
            Station.name.label("station"),
            Borough.name.label("borough"),
            ResponseAnalysis.stance,
            ResponseAnalysis.coded_by_user_id,
            ResponseAnalysis.redacted_text,
        )
        .join(Station, Station.id == Response.station_id)
        .join(Borough, Borough.id == Station.borough_id)
        .outerjoin(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .where(*clauses)
        .order_by(Response.id.desc())
        .limit(limit + 1)
    ).mappings()
    return [dict(row) for row in rows]
