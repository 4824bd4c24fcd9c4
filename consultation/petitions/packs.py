"""Paper petition packs and signatures that arrive in files.

A pack is registered when it goes out to a volunteer, and tallied when it comes back: the counter writes down
how many signatures it holds, and on how many sheets. A tally is bounded by its sheets: at most the stated
number of signatures per sheet (PETITION_SIGNATURES_PER_SHEET, 20 lines on our packs). Until its signatures
are keyed in, a tally is shown as counted, not checked. Keying its signatures in (name and postcode, from a CSV
or XLSX file) replaces that tally with the de-duplicated figure: a keyed-in signature whose name and postcode
already count, online or on paper, is kept but flagged, and the pack shows the difference. A pack received at or
after the petition's closing time is kept and marked late. Reviewers (the consulting body), like the owner, may set a
pack aside with a reason, audited, and restore it: a pack set aside counts for nothing.

Signatures exported from another petition site (name, email, postcode, signed_at) are imported on the site's
word, in their own channel (`imported`, never confirmed by us): an email already on this petition is skipped,
and one from a mailbox, or with a name at a postcode, already counted is flagged (duplicates.py).
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.accounts import permissions
from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.catalog import postcodes
from consultation.clock import as_utc, now
from consultation.common import IMPORT_MODES as MODES
from consultation.common import counted
from consultation.errors import ApiError, Conflict, NotFound, ValidationFailed
from consultation.petitions import identity
from consultation.petitions.duplicates import CountedPeople
from consultation.petitions.models import Petition, PetitionPack, Signature
from consultation.petitions.service import get_petition
from consultation.petitions.totals import pack_figures
from consultation.tabular import cell_text, parse_moment, read_rows

MAX_ROWS = 100_000
DEFAULT_SIGNATURES_PER_SHEET = 20
PACK_ACTIONS = ("set_aside", "restore")
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
        "set_aside": pack.set_aside_at is not None,
        "set_aside_reason": pack.set_aside_reason,
        "checked": bool(item.get("keyed_in")),
        "keyed_in": item.get("keyed_in", 0),
        "counts_for": 0 if pack.set_aside_at is not None else item.get("figure", 0),
        "difference": item.get("difference"),
    }


def list_packs(session: Session, user: User, petition_id) -> list[dict]:
    """The petition's packs with their figures (the owner, reviewers, admins)."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_read(user, petition, "petition")
    figures = pack_figures(session, petition)
    return [pack_item(figures, pack) for pack in petition.packs]


def describe_pack(session: Session, petition: Petition, pack: PetitionPack) -> dict:
    return pack_item(pack_figures(session, petition), pack)


def register_pack(session: Session, user: User, petition_id, *, code: str, issued_to: str, issued_at: datetime) -> dict:
    """A pack going out to a volunteer; its code is unique within the petition."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_change(user, petition, "petition")
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
    signatures_per_sheet: int = DEFAULT_SIGNATURES_PER_SHEET,
) -> dict:
    """A returned pack's count, at most `signatures_per_sheet` a sheet; recorded again, it replaces the earlier
    count (the audit log keeps both)."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_change(user, petition, "petition")
    pack = get_pack(session, petition, code)
    received_at = as_utc(received_at)
    errors = {}
    if signatures_counted > sheets * signatures_per_sheet:
        errors["signatures_counted"] = [
            f"A pack's sheets hold at most {signatures_per_sheet} signatures each: {sheets} sheets hold at most "
            f"{sheets * signatures_per_sheet}. Check the count, or the number of sheets."
        ]
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


def review_packs(session: Session, user: User, petition_id, *, action: str, codes: list[str], reason: str) -> dict:
    """Set packs aside (they then count for nothing) or restore them, with a reason (the owner, reviewers,
    admins); audited."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_read(user, petition, "petition")
    if action not in PACK_ACTIONS:
        raise ValidationFailed({"action": [f"Must be one of: {', '.join(PACK_ACTIONS)}."]})
    if not reason.strip():
        raise ValidationFailed({"reason": ["Give a reason: it is kept in the audit log."]})
    wanted = sorted({code.strip() for code in codes})
    found = dict(
        session.execute(
            select(PetitionPack.code, PetitionPack.id).where(
                PetitionPack.petition_id == petition.id, PetitionPack.code.in_(wanted)
            )
        ).all()
    )
    missing = [code for code in wanted if code not in found]
    if missing:
        raise ValidationFailed({"codes": [f"Not packs of this petition: {', '.join(missing)}."]})
    statement = update(PetitionPack).where(PetitionPack.id.in_(list(found.values())))
    if action == "set_aside":
        statement = statement.where(PetitionPack.set_aside_at.is_(None)).values(
            set_aside_at=now(), set_aside_reason=reason.strip()
        )
    else:
        statement = statement.where(PetitionPack.set_aside_at.is_not(None)).values(
            set_aside_at=None, set_aside_reason=None
        )
    changed = session.execute(statement).rowcount
    details = {"packs": wanted, "reason": reason.strip(), "changed": changed}
    record_audit(session, user, f"{action}_packs", "petition", petition.id, details)
    session.commit()
    return {"action": action, "requested": len(wanted), "changed": changed}


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


def _lock_and_counted_people(session: Session, petition: Petition) -> CountedPeople:
    """Takes the petition's row lock (as confirmations do), then reads who already counts."""
    session.execute(select(Petition.id).where(Petition.id == petition.id).with_for_update())
    return CountedPeople.load(session, petition.id)


def key_in_pack(
    session: Session, user: User, petition_id, code: str, *, filename: str, content: bytes, mode: str = MODES[0]
) -> RowsReport:
    """Key in a returned pack's signatures; duplicates of counted signatures are flagged, not counted."""
    petition = get_petition(session, petition_id)
    permissions.ensure_may_change(user, petition, "petition")
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
        reason = counted.reason(row.name, row.place.postcode, None)
        if reason is None:
            counted.add(row.name, row.place.postcode, None)
        signed_at = row.signed_at or pack.received_at
        session.add(_signature(petition, row, "paper", at, reason, pack_id=pack.id, signed_at=signed_at))
        report.imported += 1
        report.flagged += reason is not None
    record_audit(session, user, "key_in_pack", "petition", petition.id, {"pack": pack.code, "rows": report.imported})
    session.commit()
    return report


def import_signatures(
    session: Session, user: User | None, petition_id, *, filename: str, content: bytes, mode: str = MODES[0]
) -> RowsReport:
    """Signatures exported from another petition site, taken as confirmed; `user` None means the CLI (trusted)."""
    petition = get_petition(session, petition_id)
    if user is not None:
        permissions.ensure_may_change(user, petition, "petition")
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
        mailbox_key = identity.mailbox_key(row.email)
        reason = counted.reason(row.name, row.place.postcode, mailbox_key)
        if reason is None:
            counted.add(row.name, row.place.postcode, mailbox_key)
        session.add(_signature(petition, row, "imported", at, reason, email_key=email_key, signed_at=row.signed_at))
        report.imported += 1
        report.flagged += reason is not None
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


def _signature(petition, row, channel, at, reason, *, signed_at, pack_id=None, email_key=None) -> Signature:
    return Signature(
        petition_id=petition.id,
        pack_id=pack_id,
        channel=channel,
        name=row.name,
        email=row.email,
        postcode=row.place.postcode,
        email_key=email_key,
        mailbox_key=identity.mailbox_key(row.email) if row.email else None,
        person_key=identity.person_key(row.name, row.place.postcode),
        sector=row.place.sector,
        gss_code=row.place.gss_code,
        signed_at=signed_at,
        confirmed_at=at,
        flagged=reason is not None,
        flag_reason=reason,
    )
