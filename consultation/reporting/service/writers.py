"""Writers of export tables: CSV, JSON and NDJSON text streamed batch by batch, XLSX through a file.

A table (`TableExport`) carries its header and its rows in batches, read lazily, so memory holds one batch
whatever the size of the export. Spreadsheet cells that would start a formula are neutralised.
"""

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from consultation.clock import now
from consultation.tabular import neutralise


@dataclass
class TableExport:
    """A table to write: its header, a way to count its rows, and its rows in batches (read lazily)."""

    name: str
    header: list[str]
    batches: Callable[[], Iterator[list[list]]]
    count: Callable[[], int]
    document: Callable[[], dict] | None = None

    def filename(self, file_format: str) -> str:
        return f"{self.name}-{now():%Y%m%dT%H%M%SZ}.{file_format}"


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


def csv_chunks(table: TableExport, on_rows: Callable[[int], None] | None = None) -> Iterator[str]:
    """The CSV text, one chunk per batch, with formula cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    for batch in table.batches():
        writer.writerows([_csv_cell(value) for value in row] for row in batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if on_rows:
            on_rows(len(batch))
    if buffer.getvalue():
        yield buffer.getvalue()  # the header alone, when there were no rows


def json_chunks(table: TableExport, on_rows: Callable[[int], None] | None = None) -> Iterator[str]:
    """A JSON array of row objects (or, for aggregates, the aggregates document), written batch by batch."""
    if table.document is not None:
        yield json.dumps(table.document(), indent=2)
        if on_rows:
            on_rows(table.count())
        return
    yield "["
    first = True
    for batch in table.batches():
        parts = [json.dumps(dict(zip(table.header, row, strict=True)), ensure_ascii=False) for row in batch]
        if parts:
            yield ("\n" if first else ",\n") + ",\n".join(parts)
            first = False
        if on_rows:
            on_rows(len(batch))
    yield "\n]\n"


def ndjson_chunks(table: TableExport, on_rows: Callable[[int], None] | None = None) -> Iterator[str]:
    """One JSON object per line."""
    for batch in table.batches():
        yield "".join(json.dumps(dict(zip(table.header, row, strict=True)), ensure_ascii=False) + "\n" for row in batch)
        if on_rows:
            on_rows(len(batch))


def _xlsx_cell(value):
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def write_xlsx(table: TableExport, path: str, on_rows: Callable[[int], None] | None = None) -> None:
    """An XLSX file written by openpyxl in write-only mode, so rows go to disk as they come."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name[:31])
    sheet.append(table.header)
    for batch in table.batches():
        for row in batch:
            sheet.append([_xlsx_cell(value) for value in row])
        if on_rows:
            on_rows(len(batch))
    workbook.save(path)


def xlsx_temporary_file(table: TableExport) -> io.BufferedReader:
    """Write the XLSX to a temporary file and return it open for reading; the name is already unlinked."""
    handle, path = tempfile.mkstemp(prefix="export-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(table, path)
        # On POSIX an unlinked file lives until its last handle closes: nothing is left behind on disk.
        return open(path, "rb")  # noqa: SIM115  (closed by the response that sends it)
    finally:
        os.unlink(path)


def text_chunks(table: TableExport, file_format: str, on_rows: Callable[[int], None] | None = None) -> Iterable[str]:
    """CSV, JSON or NDJSON text chunks for `file_format`."""
    writers = {"csv": csv_chunks, "json": json_chunks, "ndjson": ndjson_chunks}
    return writers[file_format](table, on_rows)


def write_file(table: TableExport, file_format: str, path: str, on_rows: Callable[[int], None] | None = None) -> None:
    """Write an export to `path` (used by the CLI)."""
    if file_format == "xlsx":
        write_xlsx(table, path, on_rows)
        return
    with open(path, "w", encoding="utf-8", newline="") as output:
        for chunk in text_chunks(table, file_format, on_rows):
            output.write(chunk)
