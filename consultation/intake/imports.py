"""Paper and email responses imported from a CSV or XLSX file, with a row-level report.

One row per response. Columns (header row first, names case-insensitive):
  channel          paper or email (online responses come through the API or the web form)
  received_at      when the consulting body received it: ISO 8601 (2017-10-06 17:29 or 2017-10-06T17:29:59+01:00)
                   or day-first UK style (06/10/2017 17:29); without an offset it is London local time
  station          the station's slug
  <question code>  one column per question; multiple choice options separated by ';' or '|'
  name, email, postcode, address, respondent_type, consent_to_publish   optional
Rows received at or after closes_at are stored with late = true, never dropped. A row received before the
consultation opened, or in the future, is refused as a likely typing error in the date.
"""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import JSON, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.catalog.service import get_consultation
from consultation.clock import LONDON, RANGE_MESSAGE, OutOfRange, as_utc, describe_london, now, supported_instant
from consultation.errors import ApiError, ValidationFailed
from consultation.intake import events
from consultation.intake.idempotency import IdempotencyRequest, find_previous, remember
from consultation.intake.models import CHANNELS, Answer, Respondent, Response, ResponseRevision
from consultation.intake.service import new_references
from consultation.intake.validation import PERSONAL_FIELDS, check_answers, check_respondent, rules_for
from consultation.metrics import count_accepted_responses

MODES = ("all_or_nothing", "valid_only")
IMPORT_CHANNELS = ("paper", "email")
REQUIRED_COLUMNS = ("channel", "received_at", "station")
OPTIONAL_COLUMNS = (*PERSONAL_FIELDS, "respondent_type", "consent_to_publish")
MULTIPLE_CHOICE_SEPARATOR = re.compile(r"[;|]")
TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0", ""}
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}/\d{1,2}/\d{4}$")
UK_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")
BATCH_SIZE = 5000
MAX_ROWS = 250_000  # a compressed XLSX can hold far more rows than its size suggests; all are checked in memory
ZIP_MAGIC = b"PK\x03\x04"

Progress = Callable[[str, int, int], None]  # (phase, done, total), phases "checking" then "storing"


@dataclass
class ImportReport:
    consultation: str
    filename: str
    mode: str
    rows_total: int = 0
    rows_valid: int = 0
    rows_invalid: int = 0
    imported: int = 0
    late: int = 0
    problems: list[dict] = field(default_factory=list)  # [{"row", "field", "message"}], header = row 1
    replayed: bool = False

    def to_dict(self) -> dict:
        body = asdict(self)
        body.pop("replayed")
        return body


class ImportRejected(ApiError):
    """The file (all_or_nothing) or every row of it (valid_only) was refused; nothing was stored."""

    def __init__(self, report: ImportReport, message: str):
        super().__init__(422, "import_rejected", message, errors={"rows": report.problems})
        self.report = report


def _problem(row: int, column: str, message: str) -> dict:
    return {"row": row, "field": column, "message": message}


# Reading the file ---------------------------------------------------------------------------------------


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


# Checking cells ------------------------------------------------------------------------------------------


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _london(naive: datetime) -> tuple[datetime | None, str | None]:
    """A naive London wall-clock time as aware UTC; refused when the clocks change make it missing or double."""
    local = naive.replace(tzinfo=LONDON)
    if local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
        return None, "This time does not exist in London (the clocks went forward); add the UTC offset."
    if local.utcoffset() != naive.replace(tzinfo=LONDON, fold=1).utcoffset():
        return None, "This time happened twice in London (the clocks went back); add the UTC offset (+01:00 or Z)."
    return local.astimezone(UTC), None


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
        return _london(cell)
    text = _text(cell)
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
    return _london(parsed)


def _boolean(cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    word = _text(cell).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


@dataclass
class _Row:
    number: int
    station_id: int
    channel: str
    received_at: datetime
    late: bool
    consent_to_publish: bool
    respondent_type: str | None
    personal: dict
    answers: list


class _Checker:
    def __init__(self, consultation, header: list, checked_at: datetime):
        self.consultation = consultation
        self.rules = rules_for(consultation)
        self.stations = {station.slug: station.id for station in consultation.stations}
        self.checked_at = checked_at
        self.columns = [_text(name).lower() for name in header]
        while self.columns and not self.columns[-1]:
            self.columns.pop()

    def header_problems(self) -> list[dict]:
        problems = []
        known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS) | set(self.rules)
        seen: set[str] = set()
        for name in self.columns:
            if not name:
                problems.append(_problem(1, name, "A column has no name."))
            elif name in seen:
                problems.append(_problem(1, name, "This column appears twice."))
            elif name not in known:
                problems.append(_problem(1, name, "Unknown column: not a question code or a respondent field."))
            seen.add(name)
        for name in REQUIRED_COLUMNS:
            if name not in seen:
                problems.append(_problem(1, name, "Required column missing."))
        for code, rule in self.rules.items():
            if rule.required and code not in seen:
                problems.append(_problem(1, code, "Required question has no column."))
        return problems

    def check(self, number: int, cells: list) -> tuple[_Row | None, list[dict]]:
        problems = []
        extra = [cell for cell in cells[len(self.columns) :] if _text(cell)]
        if extra:
            problems.append(_problem(number, "row", f"{len(extra)} more cells than the header has columns."))
        values = dict(zip(self.columns, cells, strict=False))

        channel = _text(values.get("channel")).lower()
        if channel not in IMPORT_CHANNELS:
            message = "Required." if not channel else "Must be paper or email."
            if channel == "online":
                message = "Online responses come through the API or web form; import only paper or email."
            problems.append(_problem(number, "channel", message))

        received_at, message = parse_received_at(values.get("received_at"))
        if message:
            problems.append(_problem(number, "received_at", message))
        elif received_at < self.consultation.opens_at:
            opened = describe_london(self.consultation.opens_at)
            problems.append(
                _problem(number, "received_at", f"Before the consultation opened at {opened} (London time).")
            )
        elif received_at > self.checked_at:
            problems.append(_problem(number, "received_at", "In the future: check the date."))

        station_slug = _text(values.get("station"))
        station_id = self.stations.get(station_slug)
        if station_id is None:
            problems.append(
                _problem(number, "station", "Required." if not station_slug else f"No station {station_slug!r}.")
            )

        answers = {}
        for code, rule in self.rules.items():
            text = values.get(code)
            if rule.kind == "free_text":
                answers[code] = _text(text) if not isinstance(text, str) else text
            elif rule.kind == "multiple_choice":
                answers[code] = [part.strip() for part in MULTIPLE_CHOICE_SEPARATOR.split(_text(text)) if part.strip()]
            else:
                answers[code] = _text(text)
        checked_answers, answer_errors = check_answers(self.rules, answers)
        for key, messages in answer_errors.items():
            problems.append(_problem(number, key.partition(".")[2], messages[0]))

        respondent = {name: _text(values.get(name)) for name in (*PERSONAL_FIELDS, "respondent_type")}
        checked_respondent, respondent_errors = check_respondent(respondent)
        for key, messages in respondent_errors.items():
            problems.append(_problem(number, key.partition(".")[2], messages[0]))

        consent = _boolean(values.get("consent_to_publish"))
        if consent is None:
            problems.append(_problem(number, "consent_to_publish", "Must be yes or no."))

        if problems:
            return None, problems
        return (
            _Row(
                number=number,
                station_id=station_id,
                channel=channel,
                received_at=received_at,
                late=received_at >= self.consultation.closes_at,
                consent_to_publish=consent,
                respondent_type=checked_respondent.respondent_type,
                personal=checked_respondent.personal,
                answers=checked_answers,
            ),
            [],
        )


# Storing -------------------------------------------------------------------------------------------------


def _references(session: Session, count: int) -> list[str]:
    """`count` new references, unique among themselves and against the database."""
    chosen: set[str] = set()
    while len(chosen) < count:
        candidates = set(new_references(count - len(chosen))) - chosen
        batch = sorted(candidates)
        for start in range(0, len(batch), 500):
            chunk = batch[start : start + 500]
            candidates -= set(session.scalars(select(Response.reference).where(Response.reference.in_(chunk))))
        chosen |= candidates
    return list(chosen)


def _copy_rows(session: Session, table, rows: list[dict]) -> None:
    """PostgreSQL's COPY, inside the session's transaction: about ten times faster than batched INSERTs."""
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    driver_connection = session.connection().connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[name]) if name in json_columns and row[name] is not None else row[name]
                    for name in columns
                ]
            )


def _insert_rows(session: Session, table, rows: list[dict], *, with_ids: bool = False) -> list[int]:
    """Insert many rows; with_ids returns their new ids in the order of `rows`."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        ids: list[int] = []
        if with_ids:
            ids = list(
                session.scalars(
                    text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
                    {"table": table.name, "count": len(rows)},
                )
            )
            rows = [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)]
        _copy_rows(session, table, rows)
        return ids
    if with_ids:
        return list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    session.execute(insert(table), rows)
    return []


def _store(session: Session, consultation_id: int, rows: list[_Row], stored_at: datetime, progress) -> list[int]:
    """Bulk inserts (COPY on PostgreSQL, executemany elsewhere): no ORM objects, no per-row flush."""
    references = _references(session, len(rows))
    respondents, responses = Respondent.__table__, Response.__table__
    answers, revisions = Answer.__table__, ResponseRevision.__table__
    response_ids: list[int] = []
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        with_person = [row for row in batch if row.personal]
        respondent_ids: dict[int, int] = {}
        if with_person:
            ids = _insert_rows(
                session,
                respondents,
                [{**dict.fromkeys(PERSONAL_FIELDS), **row.personal, "created_at": stored_at} for row in with_person],
                with_ids=True,
            )
            respondent_ids = {row.number: respondent_id for row, respondent_id in zip(with_person, ids, strict=True)}
        ids = _insert_rows(
            session,
            responses,
            [
                {
                    "consultation_id": consultation_id,
                    "station_id": row.station_id,
                    "reference": references[start + index],
                    "respondent_id": respondent_ids.get(row.number),
                    "respondent_type": row.respondent_type,
                    "channel": row.channel,
                    "received_at": row.received_at,
                    "late": row.late,
                    "status": "active",
                    "consent_to_publish": row.consent_to_publish,
                    "edit_token_hash": None,
                    "version": 1,
                    "created_at": stored_at,
                    "updated_at": stored_at,
                }
                for index, row in enumerate(batch)
            ],
            with_ids=True,
        )
        # Choices and free text go in separate statements so the column a kind does not use stays SQL NULL
        # (a JSON column would otherwise store None as the JSON value null).
        pairs = [(response_id, answer) for row, response_id in zip(batch, ids, strict=True) for answer in row.answers]
        choices = [
            {"response_id": response_id, "question_id": answer.question_id, "value": answer.value}
            for response_id, answer in pairs
            if answer.text is None
        ]
        texts = [
            {"response_id": response_id, "question_id": answer.question_id, "text": answer.text}
            for response_id, answer in pairs
            if answer.text is not None
        ]
        _insert_rows(session, answers, choices)
        _insert_rows(session, answers, texts)
        _insert_rows(
            session,
            revisions,
            [
                {
                    "response_id": response_id,
                    "version": 1,
                    "change": "created",
                    "station_id": row.station_id,
                    "answers": {answer.code: answer.shown for answer in row.answers},
                    "status": "active",
                    "changed_at": stored_at,
                }
                for row, response_id in zip(batch, ids, strict=True)
            ],
        )
        response_ids.extend(ids)
        if progress:
            progress("storing", len(response_ids), len(rows))
    return response_ids


def import_responses(
    session: Session,
    user: User | None,
    *,
    slug: str,
    filename: str,
    content: bytes,
    mode: str = "all_or_nothing",
    progress: Progress | None = None,
    max_bytes: int | None = None,
    idempotency: IdempotencyRequest | None = None,
) -> ImportReport:
    """Check every row, then store the valid ones in one transaction (none at all if any row is bad in
    all_or_nothing mode). Raises ImportRejected, carrying the report, when nothing is stored."""
    if mode not in MODES:
        raise ValidationFailed({"mode": [f"Must be one of: {', '.join(MODES)}."]})
    if max_bytes is not None and len(content) > max_bytes:
        raise ApiError(413, "payload_too_large", f"Import files may be at most {max_bytes // (1024 * 1024)} MiB.")
    if idempotency is not None:
        stored = find_previous(session, idempotency)
        if stored is not None:
            return ImportReport(**stored.response_body, replayed=True)
    started_at = now()
    consultation = get_consultation(session, slug)
    report = ImportReport(consultation=slug, filename=filename, mode=mode)

    rows_iter = read_rows(filename, content)
    first = next(rows_iter, None)
    if first is None:
        raise ValidationFailed({"file": ["The file is empty: the first row must name the columns."]})
    checker = _Checker(consultation, first[1], started_at)
    report.problems = checker.header_problems()
    if report.problems:
        raise ImportRejected(report, "The header row has problems; nothing was imported.")

    data_rows = []
    for number, cells in rows_iter:
        if any(_text(cell) for cell in cells):
            data_rows.append((number, cells))
            if len(data_rows) > MAX_ROWS:
                raise ValidationFailed({"file": [f"More than {MAX_ROWS:,} responses: split the file."]})
    report.rows_total = len(data_rows)
    if not data_rows:
        raise ValidationFailed({"file": ["The file has a header row but no responses."]})
    valid: list[_Row] = []
    for index, (number, cells) in enumerate(data_rows, start=1):
        row, problems = checker.check(number, cells)
        if row is not None:
            valid.append(row)
        report.problems.extend(problems)
        if progress and (index % 1000 == 0 or index == len(data_rows)):
            progress("checking", index, len(data_rows))
    report.rows_valid = len(valid)
    report.rows_invalid = report.rows_total - report.rows_valid
    if report.rows_invalid and mode == "all_or_nothing":
        raise ImportRejected(
            report, f"{report.rows_invalid} of {report.rows_total} rows have problems; nothing was imported."
        )
    if not valid:
        raise ImportRejected(report, "No row could be imported.")

    consultation_id = consultation.id
    response_ids = _store(session, consultation_id, valid, started_at, progress)
    report.imported = len(response_ids)
    report.late = sum(1 for row in valid if row.late)
    record_audit(
        session,
        user,
        "import",
        "consultation_responses",
        slug,
        {
            "filename": filename,
            "mode": mode,
            "imported": report.imported,
            "late": report.late,
            "rows_invalid": report.rows_invalid,
        },
    )
    if idempotency is not None:
        remember(session, idempotency, 201, report.to_dict())
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        stored = find_previous(session, idempotency) if idempotency is not None else None
        if stored is None:
            raise
        return ImportReport(**stored.response_body, replayed=True)
    for channel in CHANNELS:
        count_accepted_responses(channel, sum(1 for row in valid if row.channel == channel))
    events.responses_changed(response_ids)
    return report
