"""Reviewers and organisers reading responses: filters, cursor pagination and audited personal data."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from consultation.accounts.models import User
from consultation.accounts.permissions import PERSONAL_DATA_ROLES, ensure_borough_access, has_role, visible_borough_ids
from consultation.accounts.service import record_audit
from consultation.boroughs import Borough
from consultation.catalog.models import Station
from consultation.catalog.service import get_consultation
from consultation.clock import as_utc, iso_utc, supported_instant
from consultation.errors import Forbidden, ValidationFailed
from consultation.intake import search
from consultation.intake.models import MAX_LIST_LIMIT, Response
from consultation.intake.service import attach_answer_values, question_codes

# Row ids are INTEGER columns (32 bits on PostgreSQL); a larger one in a forged cursor cannot even be bound.
MAX_ROW_ID = 2**31 - 1


@dataclass
class ResponsePage:
    responses: list[dict]
    next_cursor: str | None
    include_personal_data: bool
    match_count: int | None = None  # with a word search: how many responses match, over all pages
    match_count_exact: bool | None = None  # False when match_count is the database's estimate


def encode_cursor(received_at: datetime, response_id: int) -> str:
    raw = json.dumps([iso_utc(received_at), response_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Opaque to clients: base64 of (received_at, id) of the last response on the previous page."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        received_at, response_id = json.loads(raw)
        moment = datetime.fromisoformat(received_at)
        if moment.tzinfo is None or not isinstance(response_id, int) or not 0 <= response_id <= MAX_ROW_ID:
            raise ValueError(cursor)
        return supported_instant(moment), response_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ValidationFailed({"cursor": ["Not a valid cursor: use next_cursor from the previous page."]}) from None


def _filters(
    session: Session,
    user: User,
    consultation,
    *,
    station: str | None,
    borough: str | None,
    channel: str | None,
    late: bool | None,
    status: str | None,
    received_from: datetime | None,
    received_to: datetime | None,
) -> list[ColumnElement]:
    """WHERE clauses on responses joined to their station: the caller's reach, then each filter asked for (the
    words `q` are the caller's, see search.py)."""
    clauses: list[ColumnElement] = [Response.consultation_id == consultation.id]
    allowed = visible_borough_ids(user)
    if allowed is not None:
        clauses.append(Station.borough_id.in_(allowed))
    if station is not None:
        station_row = next((row for row in consultation.stations if row.slug == station), None)
        if station_row is None:
            raise ValidationFailed({"station": [f"No station {station!r} in this consultation."]})
        ensure_borough_access(user, station_row.borough_id)
        clauses.append(Response.station_id == station_row.id)
    if borough is not None:
        borough_row = session.scalar(select(Borough).where(Borough.gss_code == borough))
        if borough_row is None:
            raise ValidationFailed({"borough": [f"No borough with GSS code {borough!r}."]})
        ensure_borough_access(user, borough_row.id)
        clauses.append(Station.borough_id == borough_row.id)
    if channel is not None:
        clauses.append(Response.channel == channel)
    if late is not None:
        clauses.append(Response.late.is_(late))
    if status is not None:
        clauses.append(Response.status == status)
    if received_from is not None:
        clauses.append(Response.received_at >= as_utc(received_from))
    if received_to is not None:
        clauses.append(Response.received_at < as_utc(received_to))
    return clauses


def list_responses(
    session: Session,
    user: User,
    *,
    slug: str,
    station: str | None = None,
    borough: str | None = None,
    channel: str | None = None,
    late: bool | None = None,
    status: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
    include_personal_data: bool = False,
) -> ResponsePage:
    """One page of a consultation's responses, oldest first; `q` keeps those whose free text holds every word (and
    the page then says how many match); personal data only when asked for, and audited."""
    if include_personal_data and not has_role(user, PERSONAL_DATA_ROLES):
        raise Forbidden("Only reviewers and admins may read respondents' personal data.")
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValidationFailed({"limit": [f"Must be between 1 and {MAX_LIST_LIMIT}."]})
    consultation = get_consultation(session, slug)
    asked = {
        "station": station,
        "borough": borough,
        "channel": channel,
        "late": late,
        "status": status,
        "received_from": received_from,
        "received_to": received_to,
        "q": q,
    }
    clauses = _filters(session, user, consultation, **{name: value for name, value in asked.items() if name != "q"})
    rows, matches = _read_page(session, clauses, _after_cursor(cursor), q, limit, include_personal_data)
    page, more = rows[:limit], len(rows) > limit
    attach_answer_values(page, question_codes(consultation))
    # Plain data before any commit: a commit expires ORM objects, and dumping them would reload each one.
    items = [_review_item(consultation.slug, response, include_personal_data) for response in page]
    if include_personal_data:
        _audit_personal_data(session, user, slug, asked, page)
    next_cursor = encode_cursor(page[-1].received_at, page[-1].id) if more else None
    return ResponsePage(
        items,
        next_cursor,
        include_personal_data,
        match_count=matches.count if matches else None,
        match_count_exact=matches.exact if matches else None,
    )


def _read_page(
    session: Session,
    clauses: list[ColumnElement],
    after: list[ColumnElement],
    q: str | None,
    limit: int,
    include_personal_data: bool,
) -> tuple[list[Response], search.MatchCount | None]:
    """One more row than the page holds, and with words the count of matches. The count comes first: how many
    match decides how the page is read (see `search.page_matching`), and the page then refines an estimate."""
    if q is None:
        return list(session.scalars(_page_query([*clauses, *after], limit, include_personal_data)).unique()), None
    responses = select(Response.id).join(Station, Station.id == Response.station_id).where(*clauses)
    matches = search.count_matches(session, q, responses)

    def read(words: ColumnElement) -> list[Response]:
        return list(session.scalars(_page_query([*clauses, *after, words], limit, include_personal_data)).unique())

    rows = search.read_matching_page(session, q, matches, read)
    if rows:
        through = _up_to(rows[-1].received_at, rows[-1].id)
        matches = search.estimate_from_page(
            session, matches, responses, [*after, through], len(rows), len(rows) > limit
        )
    return rows, matches


def _after_cursor(cursor: str | None) -> list[ColumnElement]:
    """The responses after the cursor in page order (oldest first)."""
    if not cursor:
        return []
    after_at, after_id = decode_cursor(cursor)
    return [or_(Response.received_at > after_at, and_(Response.received_at == after_at, Response.id > after_id))]


def _up_to(received_at: datetime, response_id: int) -> ColumnElement:
    """The responses up to and including this one in page order."""
    at_or_before = and_(Response.received_at == received_at, Response.id <= response_id)
    return or_(Response.received_at < received_at, at_or_before)


def _page_query(clauses: list[ColumnElement], limit: int, include_personal_data: bool):
    """The responses the clauses keep, oldest first, one more than the page holds (to tell whether more follow)."""
    query = (
        select(Response)
        .join(Station, Station.id == Response.station_id)
        .where(*clauses)
        .options(selectinload(Response.answers), joinedload(Response.station))
        .order_by(Response.received_at, Response.id)
        .limit(limit + 1)
    )
    if include_personal_data:
        query = query.options(joinedload(Response.respondent))
    return query


def _audit_personal_data(session: Session, user: User, slug: str, asked: dict, page: list[Response]) -> None:
    filters = {
        name: iso_utc(value) if isinstance(value, datetime) else value
        for name, value in asked.items()
        if value is not None
    }
    record_audit(
        session,
        user,
        "read_personal_data",
        "consultation_responses",
        slug,
        {"filters": filters, "references": [response.reference for response in page]},
    )
    session.commit()


def _review_item(slug: str, response: Response, include_personal_data: bool) -> dict:
    item = {
        "reference": response.reference,
        "consultation": slug,
        "station": response.station.slug,
        "borough": response.station.borough.gss_code,
        "channel": response.channel,
        "received_at": response.received_at,
        "late": response.late,
        "status": response.status,
        "version": response.version,
        "respondent_type": response.respondent_type,
        "consent_to_publish": response.consent_to_publish,
        "answers": response.answer_values,
        "respondent": None,
    }
    respondent = response.respondent if include_personal_data else None
    if respondent is not None:
        item["respondent"] = {
            "name": respondent.name,
            "email": respondent.email,
            "postcode": respondent.postcode,
            "address": respondent.address,
        }
    return item
