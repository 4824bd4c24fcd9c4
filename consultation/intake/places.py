"""Where responses come from, at postcode-sector level only: counts per sector, never a full postcode.

Respondents' postcodes are personal data, kept apart and never published; this is the one place that reads
them for a map, and it hands back only sector counts ("RM10 7": 12), which name no household.
"""

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from consultation.intake.models import Respondent, Response


def sector_of(postcode: str) -> str | None:
    """'rm10 7tu' -> 'RM10 7' (outward code and the inward code's digit); None for anything shorter."""
    compact = "".join(str(postcode).split()).upper()
    if not 5 <= len(compact) <= 7 or not compact[-3].isdigit():
        return None
    return f"{compact[:-3]} {compact[-3]}"


def response_sectors(session: Session, station_ids: list[int]) -> list[dict]:
    """Active, on-time responses about these stations whose respondent gave a postcode, counted per sector."""
    if not station_ids:
        return []
    rows = session.execute(
        select(Respondent.postcode, func.count())
        .join(Response, Response.respondent_id == Respondent.id)
        .where(
            Response.station_id.in_(station_ids),
            Response.status == "active",
            Response.late.is_(false()),
            Respondent.postcode.is_not(None),
        )
        .group_by(Respondent.postcode)
    ).all()
    counts: dict[str, int] = {}
    for postcode, count in rows:
        sector = sector_of(postcode)
        if sector is not None:
            counts[sector] = counts.get(sector, 0) + count
    return [{"sector": sector, "count": counts[sector]} for sector in sorted(counts)]
