"""Charts for the console as plain geometry for an inline SVG (no script, no outside fetch), always shown with
the numbers in a table beside them."""

from datetime import date

WIDTH, HEIGHT, BASELINE = 600, 220, 190


def day_chart(per_day: list[tuple[date, int, int]]) -> dict:
    """Stacked bars (on time, then late) for each London day, scaled to the busiest day."""
    busiest = max((on_time + late for _, on_time, late in per_day), default=0)
    if not per_day or not busiest:
        return {"bars": [], "width": WIDTH, "height": HEIGHT, "busiest": 0}
    step = WIDTH / len(per_day)
    bar = max(1.0, step * 0.8)
    scale = (BASELINE - 10) / busiest
    bars = []
    for index, (day, on_time, late) in enumerate(per_day):
        on_time_height, late_height = on_time * scale, late * scale
        bars.append(
            {
                "x": round(index * step, 1),
                "width": round(bar, 1),
                "on_time_y": round(BASELINE - on_time_height, 1),
                "on_time_height": round(on_time_height, 1),
                "late_y": round(BASELINE - on_time_height - late_height, 1),
                "late_height": round(late_height, 1),
                "label": f"{day:%d %b}: {on_time} on time, {late} late",
            }
        )
    return {
        "bars": bars,
        "width": WIDTH,
        "height": HEIGHT,
        "baseline": BASELINE,
        "busiest": busiest,
        "first": per_day[0][0],
        "last": per_day[-1][0],
    }
