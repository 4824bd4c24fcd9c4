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

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.catalog.service import get_consultation
from consultation.clock import describe_london, now
from consultation.common import IMPORT_MODES, counted
from consultation.errors import ApiError, Conflict, ValidationFailed
from consultation.intake import events
from consultation.intake.idempotency import IdempotencyRequest, find_previous, remember
from consultation.intake.imports.bulk_store import store_rows
from consultation.intake.imports.cells import cell_text
from consultation.intake.imports.rows import CheckedRows, RowChecker
from consultation.intake.models import CHANNELS, ImportedFile
from consultation.metrics import count_accepted_responses
from consultation.tabular import read_rows

MAX_ROWS = 250_000  # a compressed XLSX can hold far more rows than its size suggests; all are checked in memory
CHECK_CHUNK = 10_000  # rows checked (column by column) between two reports of progress

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


def refuse_duplicate(session: Session, consultation_id: int, digest: str) -> None:
    """409 duplicate_file when a file with this content was imported into the consultation before."""
    earlier = session.scalar(
        select(ImportedFile)
        .where(ImportedFile.consultation_id == consultation_id, ImportedFile.sha256 == digest)
        .order_by(ImportedFile.imported_at)
        .limit(1)
    )
    if earlier is not None:
        raise Conflict(
            f"A file with exactly this content ({earlier.filename}) was imported on "
            f"{describe_london(earlier.imported_at)} (London time), {earlier.imported} responses. Importing it "
            "again would count them twice; confirm only if that is meant.",
            code="duplicate_file",
        )


class ImportRejected(ApiError):
    """The file (all_or_nothing) or every row of it (valid_only) was refused; nothing was stored."""

    def __init__(self, report: ImportReport, message: str):
        super().__init__(422, "import_rejected", message, errors={"rows": report.problems})
        self.report = report


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
    check_only: bool = False,
    allow_duplicate_file: bool = False,
) -> ImportReport:
    """Check every row, then store the valid ones in one transaction (none at all if any row is bad in
    all_or_nothing mode). Raises ImportRejected, carrying the report, when nothing is stored.

    A file whose content was imported into this consultation before is refused (409 duplicate_file) unless
    allow_duplicate_file says the second import is meant. With check_only, nothing is stored: the report says
    what an import would do."""
    if mode not in IMPORT_MODES:
        raise ValidationFailed({"mode": [f"Must be one of: {', '.join(IMPORT_MODES)}."]})
    if max_bytes is not None and len(content) > max_bytes:
        raise ApiError(413, "payload_too_large", f"Import files may be at most {max_bytes // (1024 * 1024)} MiB.")
    if idempotency is not None:
        stored = find_previous(session, idempotency)
        if stored is not None:
            return ImportReport(**stored.response_body, replayed=True)
    started_at = now()
    consultation = get_consultation(session, slug)
    report = ImportReport(consultation=slug, filename=filename, mode=mode)
    digest = hashlib.sha256(content).hexdigest()
    if not allow_duplicate_file:
        refuse_duplicate(session, consultation.id, digest)

    valid = _checked_rows(consultation, report, filename, content, started_at, progress)
    if check_only:
        report.late = sum(valid.late())
        return report
    replayed, response_ids = _store(
        session, user, consultation.id, report, valid, digest, started_at, progress, idempotency
    )
    if replayed is not None:
        return replayed
    for channel in CHANNELS:
        count_accepted_responses(channel, valid.count("channel", channel))
    events.responses_changed(response_ids)
    return report


def _checked_rows(
    consultation, report: ImportReport, filename: str, content: bytes, started_at, progress
) -> CheckedRows:
    """Read and check every row into the report; the valid rows, or ImportRejected when nothing may be stored."""
    mode = report.mode
    rows_iter = read_rows(filename, content)
    first = next(rows_iter, None)
    if first is None:
        raise ValidationFailed({"file": ["The file is empty: the first row must name the columns."]})
    checker = RowChecker(consultation, first[1], started_at)
    report.problems = checker.header_problems()
    if report.problems:
        raise ImportRejected(report, "The header row has problems; nothing was imported.")

    data_rows = []
    for number, cells in rows_iter:
        if any(cell_text(cell) for cell in cells):
            data_rows.append((number, cells))
            if len(data_rows) > MAX_ROWS:
                raise ValidationFailed({"file": [f"More than {MAX_ROWS:,} responses: split the file."]})
    report.rows_total = len(data_rows)
    if not data_rows:
        raise ValidationFailed({"file": ["The file has a header row but no responses."]})
    for start in range(0, len(data_rows), CHECK_CHUNK):
        report.problems.extend(checker.check(data_rows[start : start + CHECK_CHUNK]))
        if progress:
            progress("checking", min(start + CHECK_CHUNK, len(data_rows)), len(data_rows))
    valid = checker.checked({problem["row"] for problem in report.problems})
    report.rows_valid = len(valid)
    report.rows_invalid = report.rows_total - report.rows_valid
    if report.rows_invalid and mode == "all_or_nothing":
        raise ImportRejected(
            report,
            f"{report.rows_invalid} of {counted(report.rows_total, 'row')} "
            f"{'has' if report.rows_invalid == 1 else 'have'} problems; nothing was imported.",
        )
    if not valid:
        raise ImportRejected(report, "No row could be imported.")

    return valid


def _store(session, user, consultation_id, report, valid, digest, started_at, progress, idempotency):
    """Store the valid rows, the file's hash, the audit event and the idempotency record in one commit; the first
    import's report when a concurrent retry with the same key won the race (else None), and the ids stored."""
    filename, mode, slug = report.filename, report.mode, report.consultation
    response_ids = store_rows(session, consultation_id, valid, started_at, progress)
    report.imported = len(response_ids)
    report.late = sum(valid.late())
    session.add(
        ImportedFile(
            consultation_id=consultation_id,
            sha256=digest,
            filename=filename[:255],
            imported=report.imported,
            user_id=user.id if user is not None else None,
            imported_at=started_at,
        )
    )
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
            "sha256": digest,
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
        return ImportReport(**stored.response_body, replayed=True), []
    return None, response_ids
