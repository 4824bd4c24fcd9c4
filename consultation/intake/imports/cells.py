"""Parsing the cells of an import row: text, booleans and received times (London local unless an offset is given)."""

import re
from datetime import datetime

from consultation.clock import RANGE_MESSAGE, OutOfRange, as_utc, supported_instant
from consultation.tabular import cell_text, london_moment

TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0", ""}
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}/\d{1,2}/\d{4}$")
UK_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def parse_received_at(cell) -> tuple[datetime | None, str | None]:
    """A received date-time cell -> aware UTC; naive values are London local time."""
    try:
        moment, problem = _parse_received_at(cell)
        return (supported_instant(moment), None) if moment is not None else (None, problem)
    except (OutOfRange, OverflowError):
        return None, RANGE_MESSAGE


def _parse_received_at(cell) -> tuple[datetime | None, str | None]:
    if isinstance(cell, datetime):
        if cell.tzinfo is not None:
            return as_utc(cell), None
        if (cell.hour, cell.minute, cell.second, cell.microsecond) == (0, 0, 0, 0):
            return None, "Give the time the response was received as well as the date."
        return london_moment(cell)
    text = cell_text(cell)
    if not text:
        return None, "Required."
    if DATE_ONLY.match(text):
        return None, "Give the time the response was received as well as the date."
    parsed = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for layout in UK_FORMATS:
            try:
                parsed = datetime.strptime(text, layout)
                break
            except ValueError:
                continue
    if parsed is None:
        return None, "Not a date and time: use 2017-10-06 17:29 or 06/10/2017 17:29 (London time)."
    if parsed.tzinfo is not None:
        return as_utc(parsed), None
    return london_moment(parsed)


def parse_boolean(cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    word = cell_text(cell).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
