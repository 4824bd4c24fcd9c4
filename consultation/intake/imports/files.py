"""Reading an import file: (row number, cells) for a .csv or .xlsx file, or a clear error for anything else."""

import csv
import io
from collections.abc import Iterator

from consultation.errors import ApiError, ValidationFailed

ZIP_MAGIC = b"PK\x03\x04"


def _decode_csv(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel's "CSV (Comma delimited)" is saved as Windows-1252 on UK machines.
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": ["The CSV file must be UTF-8 (or Windows-1252) text."]}) from None


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    text = _decode_csv(content)
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
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
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
