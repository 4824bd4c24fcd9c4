"""Plain words for what the catalog stores: figures, deadlines and stations by borough (a consultation's own
words for its sites and proposals come from `catalog.wording`)."""

from datetime import datetime
from itertools import groupby

from consultation.catalog.models import Consultation, Station
from consultation.clock import describe_london


def figure(value: float | None) -> str:
    """4.1 -> '4.1', 13.0 -> '13'; a figure the consulting body did not publish says so."""
    if value is None:
        return "not published"
    return f"{value:g}"


def london_text(moment: datetime) -> str:
    return f"{describe_london(moment)} (London time)"


def deadline_sentence(consultation: Consultation, status: str) -> str:
    if status == "closed":
        return f"This consultation closed at {london_text(consultation.closes_at)}."
    if status == "not_open":
        return (
            f"This consultation opens at {london_text(consultation.opens_at)} "
            f"and closes at {london_text(consultation.closes_at)}."
        )
    return f"This consultation closes at {london_text(consultation.closes_at)}."


def stations_by_borough(stations: list[Station]) -> list[tuple[str, list[Station]]]:
    ordered = sorted(stations, key=lambda station: (station.borough.name, station.name))
    return [(borough, list(group)) for borough, group in groupby(ordered, key=lambda station: station.borough.name)]
