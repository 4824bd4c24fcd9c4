"""What a submission's PDF says, gathered as plain data from the services below this floor.

Figures come only through other rooms' services: the catalog (stations and their published figures),
reporting (aggregates and quotes), analysis (how responses were coded, and the measured agreement), intake
(sector counts for the map) and petitions (totals, sectors). Nothing here reads another room's tables, and
the template only ever sees the plain dictionaries built here, never ORM objects.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from consultation.analysis import service as analysis_service
from consultation.catalog import postcodes
from consultation.catalog.models import Station
from consultation.catalog.service import get_consultation
from consultation.catalog.wording import Wording, wording_for
from consultation.clock import describe_london, to_london
from consultation.intake.places import response_sectors
from consultation.petitions import service as petitions_service
from consultation.reporting.service import compute_aggregates, neutralise, representative_quotes
from consultation.submissions import charts
from consultation.submissions.charts import Chart
from consultation.submissions.markup import render_body
from consultation.submissions.models import Submission

TOP_THEMES = 5
QUOTES_PER_THEME = 3
# Quotes fetched per quote shown, so near-repeats can be skipped and three different voices remain.
QUOTE_CHOICE = 4
# The petition totals in the attached CSV: each channel apart (imported rows were never confirmed by us; paper
# tallies not keyed in are counted, not checked), then what is not counted.
PETITION_MEASURES = (
    "confirmed_online",
    "imported",
    "paper_keyed_in",
    "paper_not_checked",
    "total",
    "pending_online",
    "flagged",
    "invalidated",
    "late_paper",
    "set_aside_paper",
)
# How each published figure reads in a comparison sentence ("more crimes reported a day (4.1) than ...").
FIGURE_UNITS = {"crimes_reported_per_day": "crimes reported a day", "visitors_per_day": "visitors a day"}
POSTCODE_IN_ADDRESS = re.compile(r"\b([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})\b")


@dataclass
class DocumentData:
    """Everything the template and the attachments need; `context` is what Jinja sees."""

    context: dict
    charts: list[Chart] = field(default_factory=list)
    attachments: dict[str, str] = field(default_factory=dict)  # file name -> CSV text


def _number(value: float | None) -> str:
    if value is None:
        return "not published"
    return f"{value:g}"


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "none coded yet"


def _comparison(
    station: Station, retained: list[Station], field_name: str, unit: str, site: str = "site", sites: str = "sites"
) -> str | None:
    """How the station's figure stands against the sites that stay open, in a sentence a councillor can quote:
    e.g. 'Dagenham has more crimes reported a day (4.1) than 17 of the 34 stations that stay open with a
    published figure' (in the consultation's own word for its sites). One site, none or all of them read as
    such, not as '1 of the 1'."""
    value = getattr(station, field_name)
    if value is None or station.proposal == "retain_24h":
        return None
    published = [other for other in retained if getattr(other, field_name) is not None]
    if not published:
        return None
    if len(published) == 1:
        other = published[0]
        return (
            f"The one {site} that stays open with a published figure, {other.name}, has "
            f"{getattr(other, field_name):g} {unit}; {station.name} has {value:g}."
        )
    fewer = sum(1 for other in published if getattr(other, field_name) < value)
    those = f"the {len(published)} {sites} that stay open with a published figure"
    if fewer == len(published):
        return f"{station.name} has more {unit} ({value:g}) than every one of {those}."
    if fewer == 0:
        return f"{station.name} has no more {unit} ({value:g}) than any of {those}."
    return f"{station.name} has more {unit} ({value:g}) than {fewer} of {those}."


def _station_point(station: Station) -> tuple[float, float] | None:
    match = POSTCODE_IN_ADDRESS.search((station.address or "").upper())
    if match is None:
        return None
    info = postcodes.lookup(f"{match.group(1)} {match.group(2)}")
    if info is None or info.easting is None:
        return None
    return info.easting, info.northing


def _petitions(session: Session, submission: Submission) -> list[dict]:
    result = []
    for petition_id in submission.petition_ids:
        petition = petitions_service.get_petition(session, petition_id)
        totals = petitions_service.petition_totals(session, petition_id)
        result.append(
            {
                "id": petition_id,
                "title": petition.title,
                "stations": [station.slug for station in petition.stations],
                "totals": totals,
                "sectors": petitions_service.signature_sectors(session, petition_id),
            }
        )
    return result


def _sectors_for_map(session: Session, station: Station, petitions: list[dict]) -> list[dict]:
    counts: dict[str, dict] = {}
    for item in response_sectors(session, [station.id]):
        counts.setdefault(item["sector"], {"responses": 0, "signatures": 0})["responses"] += item["count"]
    for petition in petitions:
        for item in petition["sectors"]:
            counts.setdefault(item["sector"], {"responses": 0, "signatures": 0})["signatures"] += item["count"]
    sectors = []
    for sector, count in sorted(counts.items()):
        location = postcodes.sector_location(sector)
        sectors.append(
            {
                "sector": sector,
                "easting": location[0] if location else None,
                "northing": location[1] if location else None,
                **count,
            }
        )
    return sectors


def _figure_rows(wording: Wording, station: Station, counter: Station | None) -> list[dict]:
    """The figures this consultation publishes, labelled in its words, beside the site that stays open."""
    return [
        {
            "label": label,
            "value": _number(getattr(station, field_name)),
            "counter": _number(getattr(counter, field_name)) if counter is not None else None,
        }
        for field_name, label in wording.figures.items()
    ]


def _comparisons(wording: Wording, station: Station, retained: list[Station]) -> list[str]:
    sentences = (
        _comparison(station, retained, field_name, FIGURE_UNITS[field_name], wording.site, wording.sites)
        for field_name in wording.figures
    )
    return [sentence for sentence in sentences if sentence]


def _opening(text: str) -> str:
    return " ".join(text.lower().split()[:8])


def _themes(session, consultation, station: Station, group: dict, labels: dict) -> list[dict]:
    """The most frequent themes, each with up to three quotes; a quote, or one opening the same way, is shown once."""
    ranked = sorted(
        ((key, value) for key, value in group["themes"].items() if value["count"]),
        key=lambda item: (-item[1]["count"], item[0]),
    )[:TOP_THEMES]
    themes = []
    shown: set[str] = set()
    for key, value in ranked:
        candidates = representative_quotes(
            session, consultation, theme_key=key, station_slug=station.slug, limit=QUOTES_PER_THEME * QUOTE_CHOICE
        )
        quotes = []
        for quote in candidates:
            if quote["reference"] in shown or _opening(quote["text"]) in shown:
                continue
            shown.update((quote["reference"], _opening(quote["text"])))
            quotes.append({"text": quote["text"], "reference": quote["reference"]})
            if len(quotes) == QUOTES_PER_THEME:
                break
        themes.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "count": value["count"],
                "share": _percent(value["count"], group["total"]),
                "quotes": quotes,
            }
        )
    return themes


def _csv(headings: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headings)
    for row in rows:
        writer.writerow([neutralise(value) if isinstance(value, str) else value for value in row])
    return buffer.getvalue()


def build_document(
    session: Session, submission: Submission, *, rendered_at: datetime, filing: dict | None = None
) -> DocumentData:
    """Gather the submission's figures; the same submission and data give the same document but for `rendered_at`."""
    consultation = get_consultation(session, submission.consultation.slug)
    by_slug = {station.slug: station for station in consultation.stations}
    stations = [by_slug[slug] for slug in submission.stations if slug in by_slug]
    aggregates = compute_aggregates(session, consultation, group_by="station")
    groups = {group["key"]: group for group in aggregates["groups"]}
    petitions = _petitions(session, submission)
    document = DocumentData(context={})
    scope = {
        "consultation": consultation,
        "wording": wording_for(consultation),
        "retained": [station for station in consultation.stations if station.proposal == "retain_24h"],
        "groups": groups,
        "labels": {theme["key"]: theme["label"] for theme in aggregates["themes"]},
        "petitions": petitions,
    }
    blocks = [
        _station_block(session, document, submission, scope, station, number)
        for number, station in enumerate(stations, start=1)
    ]
    document.context = _document_context(session, submission, scope, blocks, aggregates, rendered_at, filing)
    _attach_tables(document, stations, groups, petitions, aggregates["themes"])
    return document


def _station_block(session: Session, document: DocumentData, submission: Submission, scope: dict, station, number):
    """One station's part of the document: proposal, figures, responses, themes, petitions and map."""
    wording, retained, petitions = scope["wording"], scope["retained"], scope["petitions"]
    group = scope["groups"].get(station.slug)
    counter = next((other for other in retained if other.borough_id == station.borough_id), None)
    other_counter = counter if counter is not None and counter.id != station.id else None
    block = {
        "number": number,
        "anchor": f"station-{station.slug}",
        "slug": station.slug,
        "name": station.name,
        "borough": station.borough.name,
        "address": station.address,
        "proposal": wording.proposal(station.proposal),
        "proposal_detail": station.proposal_detail,
        "figures": _figure_rows(wording, station, other_counter),
        "counter": {"name": other_counter.name} if other_counter is not None else None,
        "comparisons": _comparisons(wording, station, retained),
        "responses": None,
        "themes": [],
        "petitions": [],
        "map": None,
    }
    if submission.include_aggregates and group is not None:
        chart = charts.stance_chart(f"stance-{station.slug}", station.name, group["stance"])
        document.charts.append(chart)
        block["responses"] = {
            "total": group["total"],
            "share_opposed": _percent(group["stance"]["oppose"], group["total"] - group["stance"]["uncoded"]),
            "chart": chart,
        }
        block["themes"] = _themes(session, scope["consultation"], station, group, scope["labels"])
    about_station = [petition for petition in petitions if station.slug in petition["stations"]]
    for petition in about_station:
        totals = petition["totals"]
        chart = charts.timeline_chart(
            f"timeline-{petition['id']}-{station.slug}", f"signatures to '{petition['title']}'", totals["timeline"]
        )
        document.charts.append(chart)
        block["petitions"].append({"title": petition["title"], "totals": totals, "chart": chart})
    sectors = _sectors_for_map(session, station, about_station)
    map_chart = charts.sector_map(f"map-{station.slug}", station.name, _station_point(station), sectors, wording.site)
    if map_chart is not None:
        document.charts.append(map_chart)
        block["map"] = map_chart
    return block


def _glance(blocks: list[dict], groups: dict, petitions: list[dict]) -> dict:
    """The figures at a glance: responses about the submission's stations and how the coded ones stand."""
    found = [groups[block["slug"]] for block in blocks if block["slug"] in groups]
    opposed = sum(group["stance"]["oppose"] for group in found)
    supporting = sum(group["stance"]["support"] for group in found)
    coded = sum(group["stance"]["oppose"] + group["stance"]["support"] + group["stance"]["neutral"] for group in found)
    return {
        "stations": len(blocks),
        "responses": sum(group["total"] for group in found),
        "share_opposed": _percent(opposed, coded),
        "share_supporting": _percent(supporting, coded),
        "coded": coded,
        "petitions": len(petitions),
        "petition_total": sum(petition["totals"]["total"] for petition in petitions),
    }


def _document_context(session, submission, scope, blocks, aggregates, rendered_at, filing) -> dict:
    """What the template reads: the letter's parts, the glance figures, the stations and the method."""
    consultation, wording = scope["consultation"], scope["wording"]
    measured = analysis_service.agreement(session, consultation.slug)
    return {
        "title": submission.title,
        "organisation": submission.organisation,
        "addressed_to": submission.addressed_to,
        "signatory": {"name": submission.signatory_name, "role": submission.signatory_role},
        "words": {"site": wording.site, "sites": wording.sites},
        "consultation": {
            "title": consultation.title,
            "body": consultation.consulting_body,
            "closes": describe_london(consultation.closes_at),
        },
        "letter_date": f"{to_london(rendered_at).day} {to_london(rendered_at):%B %Y}",
        "rendered_at": describe_london(rendered_at),
        "status": submission.status,
        "filing": {"reference": filing["reference"], "filed_at": describe_london(filing["filed_at"])}
        if filing
        else None,
        "has_letterhead": submission.letterhead is not None,
        "sections": [
            {"heading": section["heading"], "body": render_body(section["body"])} for section in submission.sections
        ],
        "glance": _glance(blocks, scope["groups"], scope["petitions"]),
        "include_aggregates": submission.include_aggregates,
        "stations": blocks,
        "petitions": scope["petitions"],
        "method": {"agreement": measured if measured["n"] else None, "themes": aggregates["themes"]},
        "attachments": [],
    }


def _attach_tables(document: DocumentData, stations, groups, petitions, themes) -> None:
    """The figures the document states, as CSV files attached inside the PDF (and listed in its appendix)."""
    document.attachments["station-figures.csv"] = _csv(
        ["station", "name", "borough", "proposal", "crimes_reported_per_day", "visitors_per_day"],
        [[s.slug, s.name, s.borough.name, s.proposal, s.crimes_reported_per_day, s.visitors_per_day] for s in stations],
    )
    stance_rows = []
    theme_rows = []
    for station in stations:
        group = groups.get(station.slug)
        if group is None:
            continue
        stance = group["stance"]
        stance_rows.append(
            [station.slug, group["total"], stance["oppose"], stance["support"], stance["neutral"], stance["uncoded"]]
        )
        for theme in themes:
            count = group["themes"].get(theme["key"], {}).get("count", 0)
            theme_rows.append([station.slug, theme["key"], theme["label"], count])
    document.attachments["responses-by-station.csv"] = _csv(
        ["station", "responses", "oppose", "support", "neutral", "uncoded"], stance_rows
    )
    document.attachments["themes-by-station.csv"] = _csv(["station", "theme", "label", "responses"], theme_rows)
    if petitions:
        rows = []
        for petition in petitions:
            totals = petition["totals"]
            for measure in PETITION_MEASURES:
                rows.append([petition["id"], petition["title"], measure, "", totals[measure]])
            for item in totals["by_borough"]:
                rows.append([petition["id"], petition["title"], "by_borough", item["name"], item["total"]])
        document.attachments["petition-totals.csv"] = _csv(["petition", "title", "measure", "group", "value"], rows)
    document.context["attachments"] = [
        {"name": name, "rows": max(0, content.count("\n") - 1)} for name, content in document.attachments.items()
    ]
