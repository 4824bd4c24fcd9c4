"""Reading spreadsheets people upload (CSV or XLSX) and writing CSV that spreadsheets open safely.

In the core so that any room can read an upload: intake for paper and email responses, petitions for keyed-in
paper signatures and signatures exported from another petition site.
"""

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from consultation.clock import LONDON, RANGE_MESSAGE, OutOfRange, as_utc, supported_instant
from consultation.errors import ApiError, ValidationFailed

ZIP_MAGIC = b"PK\x03\x04"
# Cells starting with these are read as formulas by spreadsheet programs (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%Y-%m-%d")


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):  # Excel's "CSV (Comma delimited)" is Windows-1252 on UK machines
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed({"file": ["The CSV file must be UTF-8 (or Windows-1252) text."]})


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    text = _decode(content)
    if "\x00" in text:
        raise ValidationFailed({"file": ["The CSV file contains NUL bytes: it is not a text file."]})
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise ValidationFailed({"file": [f"Row {reader.line_num}: {error}"]}) from None


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types (zip, XML, key errors) for a broken workbook
        raise ValidationFailed({"file": ["The XLSX file could not be read: is it a valid Excel workbook?"]}) from None
    try:
        for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()


def read_rows(filename: str, content: bytes) -> Iterator[tuple[int, list]]:
    """(row number as a spreadsheet shows it, cells) for a .csv or .xlsx file; 415 for anything else."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        if not content.startswith(ZIP_MAGIC):
            raise ValidationFailed({"file": ["The file is named .xlsx but is not an Excel workbook."]})
        return _xlsx_rows(content)
    if name.endswith(".csv"):
        if content.startswith(ZIP_MAGIC):
            raise ValidationFailed({"file": ["The file is named .csv but is a ZIP or Excel file."]})
        return _csv_rows(content)
    raise ApiError(
        415,
        "unsupported_media_type",
        "Upload a CSV (.csv) or Excel workbook (.xlsx).",
        errors={"file": [f"Unsupported file type: {filename!r}."]},
    )


def cell_text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


MISSING_HOUR = "This time does not exist in London (the clocks went forward); add the UTC offset."
DOUBLE_HOUR = "This time happened twice in London (the clocks went back); add the UTC offset (+01:00 or Z)."


def london_moment(naive: datetime) -> tuple[datetime | None, str | None]:
    """A naive London wall-clock time as aware UTC; refused when the clocks change make it missing or double.

    Since 1900 London's clocks have changed only on the hour, so a wall-clock hour has one offset (or is missing,
    or happened twice) throughout: that is worked out once per hour, which matters when a file holds many times."""
    if not 1900 <= naive.year < 9999:
        return _london_moment(naive)
    offset, problem = _london_hour(naive.replace(minute=0, second=0, microsecond=0))
    if offset is None:
        return None, problem
    return (naive - offset).replace(tzinfo=UTC), None


@lru_cache(maxsize=8192)
def _london_hour(hour: datetime) -> tuple[timedelta | None, str | None]:
    """The UTC offset of a London wall-clock hour, or why times in it cannot be placed."""
    moment, problem = _london_moment(hour)
    return (None, problem) if moment is None else (hour - moment.replace(tzinfo=None), None)


def _london_moment(naive: datetime) -> tuple[datetime | None, str | None]:
    local = naive.replace(tzinfo=LONDON)
    if local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
        return None, MISSING_HOUR
    if local.utcoffset() != naive.replace(tzinfo=LONDON, fold=1).utcoffset():
        return None, DOUBLE_HOUR
    return local.astimezone(UTC), None


NOT_A_DATE = "Not a date: use 2017-09-14 18:05 or 14/09/2017 18:05 (London time)."
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}/\d{1,2}/\d{4}$")


def parse_moment(
    cell, *, time_required: str | None = None, not_a_date: str = NOT_A_DATE
) -> tuple[datetime | None, str | None]:
    """A date-time cell -> aware UTC; without an offset it is London local time.

    A bare date is its midnight, unless ``time_required`` is given: then it is refused with that message (a
    response's received time decides whether it beat the deadline, so a date alone is not enough).
    """
    try:
        moment, problem = _parse_moment(cell, time_required, not_a_date)
        return (supported_instant(moment), None) if moment is not None else (None, problem)
    except (OutOfRange, OverflowError):
        return None, RANGE_MESSAGE


def _parse_moment(cell, time_required: str | None, not_a_date: str) -> tuple[datetime | None, str | None]:
    if isinstance(cell, datetime):
        if cell.tzinfo is not None:
            return as_utc(cell), None
        if time_required and (cell.hour, cell.minute, cell.second, cell.microsecond) == (0, 0, 0, 0):
            return None, time_required
        return london_moment(cell)
    text = cell_text(cell)
    if not text:
        return None, "Required."
    if time_required and DATE_ONLY.match(text):
        return None, time_required
    parsed = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for layout in DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, layout)
                break
            except ValueError:
                continue
    if parsed is None:
        return None, not_a_date
    if parsed.tzinfo is not None:
        return as_utc(parsed), None
    return london_moment(parsed)


def neutralise(value):
    """Prefix a quote to text a spreadsheet would run as a formula; numbers and other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_text(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise("" if value is None else value) for value in row])
    return buffer.getvalue()
