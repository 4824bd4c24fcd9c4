"""The only place that reads the clock, plus London-time helpers.

Tests freeze time with time-machine, which patches `datetime.now`, so everything that needs
"now" must come through `now()` here.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC for a stored or parsed datetime; naive values are taken to be UTC already (SQLite keeps no offset)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_london(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(LONDON)


def london_wall_time(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A London wall-clock time as aware UTC; zoneinfo decides between GMT and BST."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def describe_london(moment: datetime) -> str:
    """'17:30 on Friday 6 October 2017' in London time, as residents read a deadline."""
    local = to_london(moment)
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B %Y}"


def iso_utc(moment: datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")
