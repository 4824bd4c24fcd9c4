"""Parsing the cells of an import row: text, booleans and received times (London local unless an offset is given)."""

from datetime import datetime

from consultation.tabular import cell_text, parse_moment

TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0", ""}
TIME_REQUIRED = "Give the time the response was received as well as the date."
NOT_A_RECEIVED_TIME = "Not a date and time: use 2017-10-06 17:29 or 06/10/2017 17:29 (London time)."


def parse_received_at(cell) -> tuple[datetime | None, str | None]:
    """A received date-time cell -> aware UTC; naive values are London local time, and the time is required."""
    return parse_moment(cell, time_required=TIME_REQUIRED, not_a_date=NOT_A_RECEIVED_TIME)


def parse_boolean(cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    word = cell_text(cell).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
