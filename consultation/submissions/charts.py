"""The submission's charts, drawn as SVG by pygal (pure Python and light; from WeasyPrint's own authors).

Each function returns a `Chart`: the SVG, a text alternative that says what the chart shows in words, and the
numbers it plots as table rows, so the document can print them beside it (a chart is never the only source
of a figure). pygal stamps each SVG with a random id, the date and a script; all three are taken out, so the
same figures always give the same bytes.
"""

import re
from dataclasses import dataclass
from statistics import median

import pygal
from pygal.style import Style

from consultation.common import counted

FONT = "'Source Sans Pro', sans-serif"
TEXT_COLOUR = "#0b0c0c"
STANCE_COLOURS = {"oppose": "#d4351c", "support": "#00703c", "neutral": "#505a5f", "uncoded": "#b1b4b6"}
STANCE_LABELS = {"oppose": "Opposed", "support": "Supporting", "neutral": "Neutral or mixed", "uncoded": "Not coded"}
_RANDOM_ID = re.compile(rb"chart-[0-9a-f]{8}-[0-9a-f-]{27}")
_COMMENT = re.compile(rb"<!--.*?-->", re.S)
# pygal embeds its interactive config (keyed by the random id) in a script; a PDF runs no scripts.
_SCRIPT = re.compile(rb"<script\b.*?</script>", re.S)
MAP_RADIUS = 9000  # metres from the station: the area residents would travel from


@dataclass(frozen=True)
class Chart:
    name: str
    svg: bytes
    alt: str
    headings: tuple[str, ...]
    rows: tuple[tuple, ...]
    across_km: int | None = None  # maps only: how wide the area shown is


def _style(**overrides) -> Style:
    settings = dict(
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
    )
    return Style(**(settings | overrides))


def _svg(chart, name: str) -> bytes:
    svg = chart.render()
    svg = _SCRIPT.sub(b"", _COMMENT.sub(b"", svg))
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
    alt = f"Bar chart of the {counted(total, 'response')} about {station_name} by stance: {parts}."
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
            truncate_label=-1,
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
    name: str,
    station_name: str,
    station_point: tuple[float, float] | None,
    sectors: list[dict],
    site_word: str = "site",
) -> Chart | None:
    """Postcode sectors placed by their British National Grid eastings and northings, sized by count.

    `sectors` carries {"sector", "easting", "northing", "responses", "signatures"}. The axes are equal (a
    kilometre is as long across as up), so the shape of the area is true. The map centres on the station and
    shows sectors within MAP_RADIUS metres; the few from further away are listed in the table only.
    """
    located = [item for item in sectors if item.get("easting") is not None]
    if not located and station_point is None:
        return None
    if station_point is not None:
        centre = station_point
    else:
        centre = (median([item["easting"] for item in located]), median([item["northing"] for item in located]))
    shown = [item for item in located if _distance(item, centre) <= MAP_RADIUS]
    half = max([_distance(item, centre) for item in shown] + [1500]) + 700
    chart = _map_chart(centre, half)
    # Signatures first, so the (usually fewer) responses are drawn on top of them.
    chart.add("Signatures", _map_points(shown, "signatures", "responses"))
    chart.add("Responses", _map_points(shown, "responses", "signatures"))
    if station_point:
        label = site_word.capitalize()
        chart.add(label, [{"value": station_point, "label": label, "node": {"r": 8}}])
    across = round(2 * half / 1000)
    rows = tuple(
        (item["sector"], f"{item['responses']:,}", f"{item['signatures']:,}")
        for item in sorted(sectors, key=lambda item: item["sector"])
    )
    alt = _map_alt(station_name, across, shown, located)
    return Chart(name, _svg(chart, name), alt, ("Postcode sector", "Responses", "Signatures"), rows, across)


def _distance(item: dict, centre: tuple[float, float]) -> float:
    return ((item["easting"] - centre[0]) ** 2 + (item["northing"] - centre[1]) ** 2) ** 0.5


def _map_chart(centre: tuple[float, float], half: float):
    """An empty map of the square `half` metres either way of `centre`, with equal axes."""
    return pygal.XY(
        **_options(
            width=720,
            height=720,
            stroke=False,
            show_x_labels=False,
            show_y_labels=False,
            show_x_guides=False,
            show_y_guides=False,
            legend_at_bottom=True,
            legend_at_bottom_columns=3,
            range=(centre[1] - half, centre[1] + half),
            xrange=(centre[0] - half, centre[0] + half),
            margin=10,
            print_labels=True,
            style=_style(colors=("#f47738", "#1d70b8", "#0b0c0c"), value_label_font_size=16, opacity=0.75),
        )
    )


def _busiest(sectors: list[dict], count: int) -> list[dict]:
    return sorted(sectors, key=lambda item: -(item["responses"] + item["signatures"]))[:count]


def _map_points(shown: list[dict], kind: str, other: str) -> list[dict]:
    """A circle per sector with any `kind`, sized by its count against the largest of either kind."""
    largest = max([max(item["responses"], item["signatures"]) for item in shown] or [1])
    labelled = {item["sector"] for item in _busiest(shown, 12)}
    return [
        {
            "value": (item["easting"], item["northing"]),
            # One label per sector, on whichever circle is larger, and only for the busiest sectors.
            "label": item["sector"] if item["sector"] in labelled and item[kind] >= item[other] else "",
            "node": {"r": 3 + 12 * (item[kind] / largest) ** 0.5},
        }
        for item in shown
        if item[kind]
    ]


def _map_alt(station_name: str, across: int, shown: list[dict], located: list[dict]) -> str:
    described = "; ".join(
        f"{item['sector']} ({counted(item['responses'], 'response')}, {counted(item['signatures'], 'signature')})"
        for item in _busiest(located, 5)
    )
    return (
        f"Map about {across} km across, centred on {station_name}, of {counted(len(shown), 'postcode sector')} "
        f"placed by grid reference, each circle sized by how many responses (blue) or signatures (orange) came from it"
        + (f". The busiest are {described}" if described else "")
        + (
            f". {counted(len(located) - len(shown), 'sector')} further away "
            f"{'is' if len(located) - len(shown) == 1 else 'are'} listed in the table only."
            if len(shown) < len(located)
            else "."
        )
    )


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
