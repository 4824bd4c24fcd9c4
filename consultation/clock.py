"""The only place that reads the clock, plus London-time helpers.

Tests freeze time with time-machine, which patches `datetime.now`, so everything that needs
"now" must come through `now()` here.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import has_request_context, request

LONDON = ZoneInfo("Europe/London")
# Kept on the request itself, not on `g`: an app context can outlive one request (tests, CLI).
_ARRIVAL_KEY = "consultation.received_at"

# The instants the service accepts from clients and files. Outside them datetime arithmetic overflows (year 1
# with an offset, 9999 with a negative one) and London time before 1847 is local mean time, -00:01:15.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "Must be between 1900-01-01 and 9998-12-31 (UTC)."


class OutOfRange(ValueError):
    """A date-time the service cannot represent or convert; callers turn it into a validation error."""

    def __init__(self):
        super().__init__(RANGE_MESSAGE)


def now() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def note_arrival() -> None:
    """The first thing every request does (registered before CSRF, rate limits and body parsing in create_app):
    a deadline is judged by when the request arrived, not by when its body had been read and checked."""
    request.environ[_ARRIVAL_KEY] = now()


def arrival_time() -> datetime:
    """When the current request arrived; outside a request (CLI, tasks), simply now."""
    if has_request_context() and _ARRIVAL_KEY in request.environ:
        return request.environ[_ARRIVAL_KEY]
    return now()


def as_utc(moment: datetime) -> datetime:
    """Aware UTC for a stored or parsed datetime; naive values are taken to be UTC already (SQLite keeps no offset)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise OutOfRange() from None


def supported_instant(moment: datetime) -> datetime:
    """A client's date-time as aware UTC, or OutOfRange when it lies outside EARLIEST..LATEST."""
    utc = as_utc(moment)
    if not EARLIEST <= utc < LATEST:
        raise OutOfRange()
    return utc


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
