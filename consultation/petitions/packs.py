"""Paper petition packs and signatures that arrive in files.

A pack is registered when it goes out to a volunteer, and tallied when it comes back: the counter writes down
how many signatures it holds. Keying its signatures in (name and postcode, from a CSV or XLSX file) replaces
that tally with the de-duplicated figure: a keyed-in signature whose name and postcode already count, online
or on paper, is kept but flagged, and the pack shows the difference. A pack received at or after the
petition's closing time is kept and marked late.

Signatures exported from another petition site (name, email, postcode, signed_at) are imported as confirmed:
an email already on this petition is skipped, and a name and postcode already counted is flagged.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.catalog import postcodes
from consultation.clock import as_utc, now
from consultation.common import counted
from consultation.errors import ApiError, Conflict, NotFound, ValidationFailed
from consultation.petitions import identity
from consultation.petitions.models import IMPORT_MODES as MODES
from consultation.petitions.models import Petition, PetitionPack, Signature
from consultation.petitions.service import ensure_owner, get_petition
from consultation.petitions.totals import COUNTED, pack_figures
from consultation.tabular import cell_text, parse_moment, read_rows

MAX_ROWS = 100_000
PAPER_DUPLICATE = "Same name and postcode as a signature already counted"
KEYED_COLUMNS = {"required": ("name", "postcode"), "optional": ("signed_at",)}
IMPORT_COLUMNS = {"required": ("name", "email", "postcode", "signed_at"), "optional": ()}


@dataclass
class RowsReport:
    petition: int
    filename: str
    mode: str
    pack: str | None = None
    rows_total: int = 0
    rows_valid: int = 0
    rows_invalid: int = 0
    imported: int = 0
    flagged: int = 0
    skipped_existing: int = 0  # imports: emails already on the petition
    problems: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class RowsRejected(ApiError):
    def __init__(self, report: RowsReport, message: str):
        super().__init__(422, "import_rejected", message, errors={"rows": report.problems})
        self.report = report


def _problem(row: int, column: str, message: str) -> dict:
    return {"row": row, "field": column, "message": message}


# Packs -------------------------------------------------------------------------------------------------------


def get_pack(session: Session, petition: Petition, code: str) -> PetitionPack:
    pack = session.scalar(
        select(PetitionPack).where(PetitionPack.petition_id == petition.id, PetitionPack.code == code)
    )
    if pack is None:
        raise NotFound("petition pack", code)
    return pack


def pack_item(figures: dict, pack: PetitionPack) -> dict:
    item = figures.get(pack.id, {})
    return {
        "code": pack.code,
        "issued_to": pack.issued_to,
        "issued_at": pack.issued_at,
        "signatures_counted": pack.signatures_counted,
        "sheets": pack.sheets,
        "received_at": pack.received_at,
        "counted_by": pack.counted_by,
        "late": pack.late,
        "keyed_in": item.get("keyed_in", 0),
        "counts_for": item.get("figure", 0),
        "difference": item.get("difference"),
    }


def list_packs(session: Session, user: User, petition_id) -> list[dict]:
    petition = get_petition(session, petition_id)
    ensure_owner(user, petition)
    figures = pack_figures(session, petition)
    return [pack_item(figures, pack) for pack in petition.packs]


def describe_pack(session: Session, petition: Petition, pack: PetitionPack) -> dict:
    return pack_item(pack_figures(session, petition), pack)


def register_pack(session: Session, user: User, petition_id, *, code: str, issued_to: str, issued_at: datetime) -> dict:
    """A pack going out to a volunteer; its code is unique within the petition."""
    petition = get_petition(session, petition_id)
    ensure_owner(user, petition)
    issued_at = as_utc(issued_at)
    if issued_at > now():
        raise ValidationFailed({"issued_at": ["Cannot be in the future."]})
    pack = PetitionPack(petition_id=petition.id, code=code.strip(), issued_to=issued_to.strip(), issued_at=issued_at)
    try:
        session.add(pack)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"This petition already has a pack {code!r}.", code="pack_exists") from None
    record_audit(session, user, "register_pack", "petition", petition.id, {"pack": pack.code})
    session.commit()
    return describe_pack(session, petition, pack)


def record_tally(
    session: Session,
    user: User,
    petition_id,
    code: str,
    *,
    signatures_counted: int,
    sheets: int,
    received_at: datetime,
    counted_by: str,
) -> dict:
    """A returned pack's count; recorded again, it replaces the earlier count (the audit log keeps both)."""
    petition = get_petition(session, petition_id)
    ensure_owner(user, petition)
    pack = get_pack(session, petition, code)
    received_at = as_utc(received_at)
    errors = {}
    if received_at > now():
        errors["received_at"] = ["Cannot be in the future."]
    elif received_at < pack.issued_at:
        errors["received_at"] = ["Cannot be before the pack was issued."]
    if errors:
        raise ValidationFailed(errors)
    previous = pack.signatures_counted
    pack.signatures_counted = signatures_counted
    pack.sheets = sheets
    pack.received_at = received_at
    pack.counted_by = counted_by.strip()
    pack.late = received_at >= petition.closes_at
    record_audit(
        session,
        user,
        "tally_pack",
        "petition",
        petition.id,
        {"pack": pack.code, "signatures_counted": signatures_counted, "previous": previous, "late": pack.late},
    )
    session.commit()
    return describe_pack(session, petition, pack)


# Rows from files -----------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    name: str
    email: str | None
    place: postcodes.PostcodeInfo
    signed_at: datetime | None


def _read(filename: str, content: bytes, columns: dict, report: RowsReport) -> list[_Row]:
    rows = read_rows(filename, content)
    header_row = next(rows, None)
    if header_row is None:
        raise ValidationFailed({"file": ["The file is empty: it needs a header row."]})
    names = [cell_text(cell).lower() for cell in header_row[1]]
    known = set(columns["required"]) | set(columns["optional"])
    problems = [_problem(1, name, "Required column missing.") for name in columns["required"] if name not in names]
    problems += [_problem(1, name, "Unknown column.") for name in names if name and name not in known]
    if problems:
        report.problems = problems
        raise RowsRejected(report, "The header row is not right: nothing was stored.")
    checked = []
    for number, cells in rows:
        if not any(cell_text(cell) for cell in cells):
            continue
        report.rows_total += 1
        if report.rows_total > MAX_ROWS:
            raise ValidationFailed({"file": [f"At most {MAX_ROWS} rows in one file."]})
        values = {name: cells[index] if index < len(cells) else None for index, name in enumerate(names)}
        row, row_problems = _check(number, values)
        report.problems += row_problems
        if row is not None:
            checked.append(row)
    report.rows_valid = len(checked)
    report.rows_invalid = report.rows_total - report.rows_valid
    return checked


def _check(number: int, values: dict) -> tuple[_Row | None, list[dict]]:
    problems = []
    name = cell_text(values.get("name"))
    if not name:
        problems.append(_problem(number, "name", "Required."))
    elif len(name) > 200:
        problems.append(_problem(number, "name", "At most 200 characters."))
    email = None
    if "email" in values:
        email = cell_text(values.get("email"))
        if not identity.valid_email(email):
            problems.append(_problem(number, "email", "Not an email address."))
    place = None
    postcode = cell_text(values.get("postcode"))
    if postcodes.normalise_postcode(postcode) is None:
        problems.append(_problem(number, "postcode", postcodes.BAD_POSTCODE))
    else:
        place = postcodes.lookup(postcode)
        if place is None:
            problems.append(_problem(number, "postcode", postcodes.UNKNOWN_POSTCODE))
    signed_at = None
    if "signed_at" in values and (cell_text(values.get("signed_at")) or "email" in values):
        signed_at, problem = parse_moment(values.get("signed_at"))
        if problem:
            problems.append(_problem(number, "signed_at", problem))
        elif signed_at > now():
            problems.append(_problem(number, "signed_at", "Cannot be in the future."))
    if problems:
        return None, problems
    return _Row(number, name, email, place, signed_at), []


def _refuse_if_needed(report: RowsReport, rows: list[_Row], mode: str) -> None:
    if mode not in MODES:
        raise ValidationFailed({"mode": [f"Must be one of: {', '.join(MODES)}."]})
    if report.problems and mode == "all_or_nothing":
        verb = "has" if report.rows_invalid == 1 else "have"
        raise RowsRejected(
            report, f"{report.rows_invalid} of {counted(report.rows_total, 'row')} {verb} problems: nothing stored."
        )
    if not rows:
        raise RowsRejected(report, "No row could be stored.")


def _lock_and_counted_people(session: Session, petition: Petition) -> set[str]:
    """Takes the petition's row lock (as confirmations do), then reads who already counts."""
    session.execute(select(Petition.id).where(Petition.id == petition.id).with_for_update())
    return set(session.scalars(select(Signature.person_key).where(Signature.petition_id == petition.id, *COUNTED)))


def key_in_pack(
    session: Session, user: User, petition_id, code: str, *, filename: str, content: bytes, mode: str = MODES[0]
) -> RowsReport:
    """Key in a returned pack's signatures; duplicates of counted signatures are flagged, not counted."""
    petition = get_petition(session, petition_id)
    ensure_owner(user, petition)
    pack = get_pack(session, petition, code)
    if pack.received_at is None:
        raise Conflict(
            "Record the pack's tally (when it came back) before keying in its signatures.", "pack_not_returned"
        )
    if session.scalar(select(Signature.id).where(Signature.pack_id == pack.id).limit(1)) is not None:
        raise Conflict(f"Pack {code!r} has already been keyed in.", code="pack_already_keyed_in")
    report = RowsReport(petition=petition.id, filename=filename, mode=mode, pack=pack.code)
    rows = _read(filename, content, KEYED_COLUMNS, report)
    _refuse_if_needed(report, rows, mode)
    at = now()
    counted = _lock_and_counted_people(session, petition)
    for row in rows:
        key = identity.person_key(row.name, row.place.postcode)
        duplicate = key in counted
        counted.add(key)
        session.add(
            _signature(
                petition, row, "paper", key, at, duplicate, pack_id=pack.id, signed_at=row.signed_at or pack.received_at
            )
        )
        report.imported += 1
        report.flagged += duplicate
    record_audit(session, user, "key_in_pack", "petition", petition.id, {"pack": pack.code, "rows": report.imported})
    session.commit()
    return report


def import_signatures(
    session: Session, user: User | None, petition_id, *, filename: str, content: bytes, mode: str = MODES[0]
) -> RowsReport:
    """Signatures exported from another petition site, taken as confirmed; `user` None means the CLI (trusted)."""
    petition = get_petition(session, petition_id)
    if user is not None:
        ensure_owner(user, petition)
    report = RowsReport(petition=petition.id, filename=filename, mode=mode)
    rows = _read(filename, content, IMPORT_COLUMNS, report)
    late = [row for row in rows if row.signed_at >= petition.closes_at]
    for row in late:
        report.problems.append(_problem(row.number, "signed_at", "Signed after this petition closed."))
    rows = [row for row in rows if row not in late]
    report.rows_valid -= len(late)
    report.rows_invalid += len(late)
    _refuse_if_needed(report, rows, mode)
    at = now()
    counted = _lock_and_counted_people(session, petition)
    present = set(session.scalars(select(Signature.email_key).where(Signature.petition_id == petition.id)))
    for row in rows:
        email_key = identity.email_key(row.email)
        if email_key in present:
            report.skipped_existing += 1
            continue
        present.add(email_key)
        key = identity.person_key(row.name, row.place.postcode)
        duplicate = key in counted
        counted.add(key)
        session.add(
            _signature(petition, row, "imported", key, at, duplicate, email_key=email_key, signed_at=row.signed_at)
        )
        report.imported += 1
        report.flagged += duplicate
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "Someone signed online with one of these addresses during the import, so nothing was stored. "
            "Run the import again: addresses already on the petition are skipped.",
            code="import_raced",
        ) from None
    record_audit(
        session, user, "import_signatures", "petition", petition.id, {"file": filename, "rows": report.imported}
    )
    session.commit()
    return report


def _signature(petition, row, channel, key, at, duplicate, *, signed_at, pack_id=None, email_key=None) -> Signature:
    return Signature(
        petition_id=petition.id,
        pack_id=pack_id,
        channel=channel,
        name=row.name,
        email=row.email,
        postcode=row.place.postcode,
        email_key=email_key,
        person_key=key,
        sector=row.place.sector,
        gss_code=row.place.gss_code,
        signed_at=signed_at,
        confirmed_at=at,
        flagged=duplicate,
        flag_reason=PAPER_DUPLICATE if duplicate else None,
    )
