"""Representative quotes per theme and per borough/station, for reports and the submission PDFs.

A quote is the redacted free text of a response that is active, on time, consented to publication, not flagged
(neither personal data nor abuse) and of readable length. The strongest theme confidence comes first, ties broken
by the lower response id (so the choice is deterministic), and a campaign gives at most one quote.
"""

from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.analysis.models import Codebook, ResponseAnalysis, Theme, ThemeAssignment
from consultation.boroughs import Borough
from consultation.catalog.models import Consultation, Station
from consultation.errors import NotFound
from consultation.intake.models import Response
from consultation.reporting.constants import MAX_QUOTES
from consultation.reporting.service.aggregates import resolve_scope, response_filters

MIN_QUOTE_LENGTH = 60
MAX_QUOTE_LENGTH = 400
# Rows fetched per wanted quote, and the factor the window grows by when campaigns or multi-theme responses
# repeat within it.
QUOTE_WINDOW = 8


def _theme(session: Session, consultation: Consultation, theme_key: str) -> Theme:
    theme = session.scalar(
        select(Theme)
        .join(Codebook, Codebook.id == Theme.codebook_id)
        .where(Codebook.consultation_id == consultation.id, Theme.key == theme_key)
    )
    if theme is None:
        raise NotFound("theme", theme_key)
    return theme


def representative_quotes(
    session: Session,
    consultation: Consultation,
    theme_key: str | None = None,
    borough_code: str | None = None,
    station_slug: str | None = None,
    limit: int = 5,
    *,
    user: User | None = None,
) -> list[dict]:
    """Up to `limit` clear, consented, non-flagged quotes, best theme confidence first, one per campaign."""
    scope = resolve_scope(session, consultation, user, borough_code=borough_code, station_slug=station_slug)
    limit = max(1, min(limit, MAX_QUOTES))
    text_length = func.length(ResponseAnalysis.redacted_text)
    clauses = response_filters(consultation, scope, include_late=False) + [
        Response.consent_to_publish.is_(True),
        ResponseAnalysis.flag_pii.is_(false()),
        ResponseAnalysis.flag_abusive.is_(false()),
        ResponseAnalysis.redacted_text.is_not(None),
        text_length.between(MIN_QUOTE_LENGTH, MAX_QUOTE_LENGTH),
    ]
    confidence = func.coalesce(ThemeAssignment.confidence, -1.0)
    theme = _theme(session, consultation, theme_key) if theme_key is not None else None
    # One row per (response, theme) in the order quotes are wanted: a response's first row is its best theme, a
    # campaign's first row its best member. The database sorts only the top rows (ORDER BY ... LIMIT); the
    # window is widened only when repeated responses and campaigns leave too few quotes in it.
    ordered = (
        _candidates(theme)
        .outerjoin(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(*clauses)
        .order_by(confidence.desc(), Response.id, Theme.key)
    )
    window = limit * QUOTE_WINDOW
    while True:
        rows = session.execute(ordered.limit(window)).mappings().all()
        quotes = _first_per_response_and_campaign(rows, limit)
        if len(quotes) >= limit or len(rows) < window:
            return quotes
        window *= QUOTE_WINDOW


def _candidates(theme: Theme | None):
    """Responses with their station, borough and analysis, and their assignments of `theme` (only responses that
    have it), or of any theme (responses with none too)."""
    candidates = (
        select(
            Response.id.label("response_id"),
            Response.reference,
            Station.slug.label("station"),
            Station.name.label("station_name"),
            Borough.gss_code.label("borough"),
            Borough.name.label("borough_name"),
            Theme.key.label("theme"),
            ResponseAnalysis.stance,
            ResponseAnalysis.redacted_text.label("text"),
            ThemeAssignment.confidence,
            ResponseAnalysis.campaign_id,
        )
        .select_from(Response)
        .join(ResponseAnalysis, ResponseAnalysis.response_id == Response.id)
        .join(Station, Station.id == Response.station_id)
        .join(Borough, Borough.id == Station.borough_id)
    )
    if theme is None:
        return candidates.outerjoin(ThemeAssignment, ThemeAssignment.response_id == Response.id)
    return candidates.join(
        ThemeAssignment, and_(ThemeAssignment.response_id == Response.id, ThemeAssignment.theme_id == theme.id)
    )


def _first_per_response_and_campaign(rows, limit: int) -> list[dict]:
    quotes: list[dict] = []
    seen_responses: set[int] = set()
    seen_campaigns: set[int] = set()
    for row in rows:
        if row["response_id"] in seen_responses or row["campaign_id"] in seen_campaigns:
            continue
        seen_responses.add(row["response_id"])
        if row["campaign_id"] is not None:
            seen_campaigns.add(row["campaign_id"])
        quotes.append(
            {
                "reference": row["reference"],
                "station": row["station"],
                "station_name": row["station_name"],
                "borough": row["borough"],
                "borough_name": row["borough_name"],
                "theme": row["theme"],
                "stance": row["stance"],
                "text": row["text"],
                "confidence": row["confidence"],
            }
        )
        if len(quotes) == limit:
            break
    return quotes
