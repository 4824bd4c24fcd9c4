"""The submission's charts, drawn as SVG by pygal (pure Python and light; from WeasyPrint's own authors).

Each function returns a `Chart`: the SVG, a text alternative that says what the chart shows in words, and the
numbers it plots as table rows, so the document can print them beside it (a chart is never the only source
of a figure). pygal stamps each SVG with a random id and the date; both are replaced, so the same figures
always give the same bytes.
"""

import re
from dataclasses import dataclass

import pygal
from pygal.style import Style

FONT = "'Source Sans Pro', sans-serif"
TEXT_COLOUR = "#0b0c0c"
STANCE_COLOURS = {"oppose": "#d4351c", "support": "#00703c", "neutral": "#505a5f", "uncoded": "#b1b4b6"}
STANCE_LABELS = {"oppose": "Opposed", "support": "Supporting", "neutral": "Neutral or mixed", "uncoded": "Not coded"}
_RANDOM_ID = re.compile(rb"chart-[0-9a-f-]{36}")
_COMMENT = re.compile(rb"<!--.*?-->", re.S)


@dataclass(frozen=True)
class Chart:
    name: str
    svg: bytes
    alt: str
    headings: tuple[str, ...]
    rows: tuple[tuple, ...]


def _style(**overrides) -> Style:
    return Style(
        font_family=FONT,
        background="white",
        plot_background="white",
        foreground=TEXT_COLOUR,
        foreground_strong=TEXT_COLOUR,
        foreground_subtle="#6f777b",
        colors=("#1d70b8", "#d4351c", "#00703c", "#505a5f"),
        label_font_size=19,
        major_label_font_size=19,
        value_font_size=19,
        legend_font_size=19,
        title_font_size=21,
        tooltip_font_size=12,
        **overrides,
    )


def _svg(chart, name: str) -> bytes:
    svg = chart.render()
    svg = _COMMENT.sub(b"", svg)
    return _RANDOM_ID.sub(f"chart-{name}".encode(), svg)


def _options(**extra) -> dict:
    # js=[]: pygal links a tooltip script from the internet by default; a PDF needs none.
    return {"js": [], "explicit_size": True, "disable_xml_declaration": False, "style": _style(), **extra}


def stance_chart(name: str, station_name: str, stance: dict[str, int]) -> Chart:
    """A horizontal bar per stance: how many responses opposed, supported, were neutral or not yet coded."""
    order = ["oppose", "support", "neutral", "uncoded"]
    chart = pygal.HorizontalBar(
        **_options(width=640, height=340, show_legend=False, print_values=True, margin=10, spacing=12)
    )
    chart.x_labels = [STANCE_LABELS[key] for key in reversed(order)]
    chart.add(
        "Responses",
        [{"value": stance.get(key, 0), "color": STANCE_COLOURS[key]} for key in reversed(order)],
    )
    total = sum(stance.get(key, 0) for key in order)
    parts = ", ".join(f"{stance.get(key, 0):,} {STANCE_LABELS[key].lower()}" for key in order)
    alt = f"Bar chart of the {total:,} responses about {station_name} by stance: {parts}."
    rows = tuple((STANCE_LABELS[key], f"{stance.get(key, 0):,}") for key in order)
    return Chart(name, _svg(chart, name), alt, ("Stance", "Responses"), rows)


def timeline_chart(name: str, title: str, timeline: list[dict]) -> Chart:
    """Cumulative signatures by London day."""
    chart = pygal.Line(
        **_options(
            width=800,
            height=300,
            show_legend=False,
            x_label_rotation=0,
            show_minor_x_labels=False,
            fill=True,
            dots_size=2,
            margin=10,
        )
    )
    dates = [item["date"] for item in timeline]
    chart.x_labels = [_short_date(date) for date in dates]
    if len(dates) > 6:
        step = max(1, len(dates) // 5)
        chart.x_labels_major = [_short_date(date) for date in dates[::step]]
    chart.add("Signatures", [item["total"] for item in timeline])
    if timeline:
        alt = (
            f"Line chart of {title}: cumulative signatures rose from {timeline[0]['total']:,} on "
            f"{_long_date(dates[0])} to {timeline[-1]['total']:,} on {_long_date(dates[-1])}."
        )
    else:
        alt = f"Line chart of {title}: no signatures yet."
    rows = tuple((_long_date(item["date"]), f"{item['total']:,}") for item in timeline)
    return Chart(name, _svg(chart, name), alt, ("Day (London)", "Signatures so far"), rows)


def sector_map(
    name: str, station_name: str, station_point: tuple[float, float] | None, sectors: list[dict]
) -> Chart | None:
    """Postcode sectors placed by their British National Grid eastings and northings, sized by count.

    `sectors` carries {"sector", "easting", "northing", "responses", "signatures"}. The axes are equal (one
    kilometre is the same length across and up), so the shape of the area is true.
    """
    located = [item for item in sectors if item.get("easting") is not None]
    if not located and station_point is None:
        return None
    eastings = [item["easting"] for item in located] + ([station_point[0]] if station_point else [])
    northings = [item["northing"] for item in located] + ([station_point[1]] if station_point else [])
    half = max(max(eastings) - min(eastings), max(northings) - min(northings), 2000) / 2 + 800
    middle_e = (max(eastings) + min(eastings)) / 2
    middle_n = (max(northings) + min(northings)) / 2
    chart = pygal.XY(
        **_options(
            width=640,
            height=640,
            stroke=False,
            show_x_labels=False,
            show_y_labels=False,
            show_x_guides=False,
            show_y_guides=False,
            legend_at_bottom=True,
            legend_at_bottom_columns=3,
            range=(middle_n - half, middle_n + half),
            xrange=(middle_e - half, middle_e + half),
            margin=10,
            print_labels=True,
        )
    )
    chart.style = _style(colors=("#1d70b8", "#f47738", "#0b0c0c"), value_label_font_size=11)
    largest = max([item["responses"] + item["signatures"] for item in located] or [1])

    def points(kind: str) -> list[dict]:
        return [
            {
                "value": (item["easting"], item["northing"]),
                "label": item["sector"],
                "node": {"r": 3 + 11 * (item[kind] / largest) ** 0.5},
            }
            for item in located
            if item[kind]
        ]

    chart.add("Responses", points("responses"))
    chart.add("Signatures", points("signatures"))
    if station_point:
        chart.add("Station", [{"value": station_point, "label": station_name, "node": {"r": 9}}])
    nearest = sorted(located, key=lambda item: -(item["responses"] + item["signatures"]))[:5]
    described = "; ".join(
        f"{item['sector']} ({item['responses']:,} responses, {item['signatures']:,} signatures)" for item in nearest
    )
    alt = (
        f"Map of {len(located)} postcode sectors around {station_name}, placed by grid reference, each sized by "
        f"how many responses and signatures came from it"
        + (f"; the largest are {described}" if described else "")
        + (". The station is marked." if station_point else ".")
    )
    rows = tuple(
        (item["sector"], f"{item['responses']:,}", f"{item['signatures']:,}")
        for item in sorted(sectors, key=lambda item: item["sector"])
    )
    return Chart(name, _svg(chart, name), alt, ("Postcode sector", "Responses", "Signatures"), rows)


def _short_date(iso_date: str) -> str:
    year, month, day = (int(part) for part in iso_date[:10].split("-"))
    return f"{day} {_MONTHS[month - 1][:3]}"


def _long_date(iso_date: str) -> str:
    year, month, day = (int(part) for part in iso_date[:10].split("-"))
    return f"{day} {_MONTHS[month - 1]} {year}"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
