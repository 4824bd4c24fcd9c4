"""The submission's one-line comparison of a station with the counters that stay open reads as plain English
whatever the numbers: one counter, all of them or none of them."""

from consultation.catalog.models import Station
from consultation.submissions.document import _comparison

UNIT = "crimes reported a day"


def _station(name: str, crimes: float | None, proposal: str = "retain_24h") -> Station:
    return Station(slug=name.lower(), name=name, proposal=proposal, crimes_reported_per_day=crimes)


def _says(value: float, *kept: float | None) -> str | None:
    retained = [_station(f"Kept{i}", crimes) for i, crimes in enumerate(kept)]
    return _comparison(
        _station("Dagenham", value, "close"), retained, "crimes_reported_per_day", UNIT, "counter", "counters"
    )


def test_some_of_the_counters_that_stay_open():
    assert _says(4.1, 2.0, 3.0, 5.0, 9.0) == (
        "Dagenham has more crimes reported a day (4.1) than 2 of the 4 counters that stay open with a published figure."
    )


def test_all_and_none_of_them_are_said_as_such():
    assert _says(10, 2.0, 3.0).endswith("than every one of the 2 counters that stay open with a published figure.")
    assert _says(1, 2.0, 3.0) == (
        "Dagenham has no more crimes reported a day (1) than any of the 2 counters that stay open with a "
        "published figure."
    )


def test_one_counter_is_named_not_counted_as_one_of_one():
    said = _says(4.1, None, 2.5)
    assert said == (
        "The one counter that stays open with a published figure, Kept1, has 2.5 crimes reported a day; "
        "Dagenham has 4.1."
    )
    assert "of the 1" not in said


def test_nothing_is_said_without_figures_or_for_a_counter_that_stays():
    assert _says(4.1, None, None) is None
    assert _comparison(_station("Kept", 3.0), [_station("Other", 2.0)], "crimes_reported_per_day", UNIT) is None
