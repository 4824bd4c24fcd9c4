"""Response intake rules: the deadline, submitting, amending and withdrawing a response.

The deadline is the server's clock, never the client's: a response is on time when that clock, read once when the
request arrived, is before the consultation's `closes_at` (exclusive: 17:30:00.000 London time is late) and not before
its `opens_at`. Times are compared as aware UTC; London time only appears in messages.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from consultation.catalog.models import Consultation, Station
from consultation.catalog.service import consultation_status, get_consultation
from consultation.clock import as_utc, describe_london, iso_utc, now
from consultation.common import counted, token_hash
from consultation.errors import ApiError, Forbidden, NotFound, ValidationFailed
from consultation.intake import events
from consultation.intake.idempotency import IdempotencyRequest, derived_secret, find_previous
from consultation.intake.models import Answer, Response, ResponseRevision
from consultation.intake.online_write import OnlineResponseRow, answer_fields, key_fields, store_online_response
from consultation.intake.references import normalise_reference
from consultation.intake.structure import IntakeStructure, forget_structures, intake_structure
from consultation.intake.validation import CheckedAnswer, check_answers, check_respondent, rules_for
from consultation.metrics import count_accepted_responses

CLOSED_STATUS = 409  # the request is fine; the consultation's state (closed, not open) refuses it
REFERENCE_DRAWS = 3  # a clash of ten random characters twice running means something else is wrong


def responses_lock(consultation: Consultation, *, session: Session) -> str | None:
    """Receiver of the catalog's structure_change_requested (connected by create_app): questions and stations stay
    once responses exist."""
    count = session.scalar(select(func.count(Response.id)).where(Response.consultation_id == consultation.id))
    if count:
        return f"Questions and stations cannot be replaced once responses refer to them ({counted(count, 'response')})."
    return None


class ConsultationClosed(ApiError):
    def __init__(self, consultation: Consultation):
        super().__init__(
            CLOSED_STATUS,
            "consultation_closed",
            f"This consultation closed at {describe_london(consultation.closes_at)} (London time).",
            errors={"closes_at": [iso_utc(consultation.closes_at)]},
        )


class ConsultationNotOpen(ApiError):
    def __init__(self, consultation: Consultation):
        super().__init__(
            CLOSED_STATUS,
            "consultation_not_open",
            f"This consultation opens at {describe_london(consultation.opens_at)} (London time).",
            errors={"opens_at": [iso_utc(consultation.opens_at)]},
        )


@dataclass
class SubmissionReceipt:
    reference: str
    received_at: datetime
    edit_token: str | None
    station: str
    response_id: int
    replayed: bool = False


hash_edit_token = token_hash


def check_open(consultation: Consultation, at: datetime) -> None:
    """Raise consultation_not_open before opens_at and consultation_closed from closes_at on."""
    status = consultation_status(consultation, as_utc(at))
    if status == "closed":
        raise ConsultationClosed(consultation)
    if status == "not_open":
        raise ConsultationNotOpen(consultation)


def question_codes(consultation: Consultation) -> dict[int, str]:
    if consultation.questionnaire is None:
        return {}
    return {question.id: question.code for question in consultation.questionnaire.questions}


def answers_snapshot(answers: list[CheckedAnswer]) -> dict:
    return {answer.code: answer.shown for answer in answers}


def attach_answer_values(responses: list[Response], codes: dict[int, str]) -> None:
    """Give each response `answer_values` ({question code: value}) for schemas to dump."""
    for response in responses:
        response.answer_values = {
            codes.get(answer.question_id, str(answer.question_id)): answer.text
            if answer.text is not None
            else answer.value
            for answer in sorted(response.answers, key=lambda answer: answer.question_id)
        }


def _answer_row(answer: CheckedAnswer) -> Answer:
    return Answer(**answer_fields(answer))


def _find_station(consultation: Consultation, station_slug) -> Station | None:
    for station in consultation.stations:
        if station.slug == station_slug:
            return station
    return None


def _checked_submission(structure: IntakeStructure, station, answers, respondent) -> tuple:
    errors: dict = {}
    station_id = structure.station_ids.get(station) if isinstance(station, str) else None
    if station_id is None:
        errors["station"] = [f"No station {station!r} in this consultation."]
    checked_answers, answer_errors = check_answers(structure.rules, answers)
    checked_respondent, respondent_errors = check_respondent(respondent)
    errors.update(answer_errors)
    errors.update(respondent_errors)
    if errors:
        raise ValidationFailed(errors)
    return station_id, checked_answers, checked_respondent


def _replayed_receipt(session: Session, idempotency: IdempotencyRequest, stored) -> SubmissionReceipt:
    response = get_response_by_reference(session, stored.response_body["reference"])
    # The edit token goes back only to the caller who sent the first request: a key and body that leaked
    # must not hand someone else the power to change the response.
    same_caller = stored.caller_hash is None or hmac.compare_digest(stored.caller_hash, idempotency.caller_hash)
    token = derived_secret(idempotency, "edit-token") if response.edit_token_hash and same_caller else None
    return SubmissionReceipt(
        response.reference, response.received_at, token, response.station.slug, response.id, replayed=True
    )


def _replay_if_known(session: Session, idempotency: IdempotencyRequest | None) -> SubmissionReceipt | None:
    if idempotency is None:
        return None
    stored = find_previous(session, idempotency)
    return _replayed_receipt(session, idempotency, stored) if stored is not None else None


def submit_response(
    session: Session,
    *,
    slug: str,
    station: str,
    answers: dict,
    respondent: dict | None = None,
    consent_to_publish: bool = False,
    received_at: datetime | None = None,
    idempotency: IdempotencyRequest | None = None,
) -> SubmissionReceipt:
    """Accept an online response if the consultation is open and the answers are valid; durable before returning."""
    received_at = as_utc(received_at) if received_at is not None else now()
    submission = {
        "station": station,
        "answers": answers,
        "respondent": respondent,
        "consent_to_publish": bool(consent_to_publish),
        "received_at": received_at,
        "idempotency": idempotency,
    }
    receipt = _submit(session, intake_structure(session, slug), **submission)
    if receipt is None:  # not open at arrival, or the cached structure is out of date: nothing was stored
        replay = _replay_if_known(session, idempotency)  # a retry after the deadline still gets its first result
        if replay is not None:
            return replay
        check_open(get_consultation(session, slug), received_at)
        forget_structures()
        receipt = _submit(session, intake_structure(session, slug), **submission)
        if receipt is None:
            raise ApiError(503, "service_unavailable", "The consultation changed while storing; please try again.")
    return receipt


def _submit(
    session: Session,
    structure: IntakeStructure,
    *,
    station,
    answers,
    respondent,
    consent_to_publish: bool,
    received_at: datetime,
    idempotency: IdempotencyRequest | None,
) -> SubmissionReceipt | None:
    try:
        station_id, checked_answers, checked_respondent = _checked_submission(structure, station, answers, respondent)
    except ValidationFailed:
        check_open(get_consultation(session, structure.slug), received_at)  # closed says more than a bad field
        raise
    edit_token = derived_secret(idempotency, "edit-token") if idempotency else secrets.token_urlsafe(32)

    allocated: list[str] = []

    def make_row(reference: str) -> OnlineResponseRow:
        allocated.append(reference)
        return OnlineResponseRow(
            consultation_id=structure.consultation_id,
            slug=structure.slug,
            station_id=station_id,
            reference=reference,
            received_at=received_at,
            personal=checked_respondent.personal,
            respondent_type=checked_respondent.respondent_type,
            consent_to_publish=consent_to_publish,
            edit_token_hash=hash_edit_token(edit_token),
            answers=[answer_fields(answer) for answer in checked_answers],
            snapshot=answers_snapshot(checked_answers),
            idempotency=key_fields(idempotency, reference, received_at),
        )

    stored = _store_drawing_again(session, make_row, idempotency, allocated)
    if isinstance(stored, SubmissionReceipt) or stored is None:
        return stored
    response_id, row = stored
    if response_id is None:
        return None
    count_accepted_responses("online")
    events.responses_changed([response_id])
    return SubmissionReceipt(row.reference, received_at, edit_token, station, response_id)


def _store_drawing_again(session: Session, make_row, idempotency, allocated: list[str]):
    """Store the row; when its reference was already taken (the write refused by the unique constraint, about one
    chance in 10**9 with a million stored) draw another and store again. A refused idempotency key replays the
    first result instead (a SubmissionReceipt)."""
    for _ in range(REFERENCE_DRAWS):
        try:
            return store_online_response(session, make_row)
        except IntegrityError:
            session.rollback()
            replay = _replay_if_known(session, idempotency)
            if replay is not None:  # the key was used before, or a concurrent retry with it won the race
                return replay
            if session.scalar(select(Response.id).where(Response.reference == allocated[-1])) is None:
                raise
    raise ApiError(503, "service_unavailable", "Could not store the response; please try again.")


def get_response_by_reference(session: Session, reference: str) -> Response:
    response = session.scalar(
        select(Response)
        .where(Response.reference == normalise_reference(reference))
        .options(selectinload(Response.answers), selectinload(Response.station))
    )
    if response is None:
        raise NotFound("response with reference", str(reference))
    return response


def _response_for_token(session: Session, reference: str, edit_token: str, *, lock: bool = False) -> Response:
    query = select(Response).where(Response.reference == normalise_reference(reference))
    if lock:
        query = query.with_for_update()
    response = session.scalar(query)
    if response is None:
        raise NotFound("response with reference", str(reference))
    if response.edit_token_hash is None:
        raise Forbidden(f"This response was received by {response.channel} and cannot be changed online.")
    if not hmac.compare_digest(response.edit_token_hash, hash_edit_token(edit_token or "")):
        raise Forbidden("The edit token does not match this response.")
    return response


def _consultation_of(session: Session, response: Response) -> Consultation:
    return session.get(Consultation, response.consultation_id)


def get_response_for_respondent(session: Session, *, reference: str, edit_token: str) -> Response:
    """The respondent's own view of their response (answers and history, never personal data)."""
    response = _response_for_token(session, reference, edit_token)
    consultation = _consultation_of(session, response)
    attach_answer_values([response], question_codes(consultation))
    response.consultation_slug = consultation.slug
    response.editable_until = consultation.closes_at
    response.history = list(
        session.scalars(
            select(ResponseRevision)
            .where(ResponseRevision.response_id == response.id)
            .order_by(ResponseRevision.version)
        )
    )
    return response


def _add_revision(session: Session, response: Response, change: str, snapshot: dict, at: datetime) -> None:
    response.version += 1
    response.updated_at = at
    session.add(
        ResponseRevision(
            response_id=response.id,
            version=response.version,
            change=change,
            station_id=response.station_id,
            answers=snapshot,
            status=response.status,
            changed_at=at,
        )
    )


def _current_snapshot(response: Response, codes: dict[int, str]) -> dict:
    attach_answer_values([response], codes)
    return dict(response.answer_values)


class ResponseWithdrawn(ApiError):
    def __init__(self, reference: str):
        super().__init__(409, "response_withdrawn", f"Response {reference} has been withdrawn and cannot be changed.")


def amend_response(
    session: Session,
    *,
    reference: str,
    edit_token: str,
    station: str | None = None,
    answers: dict | None = None,
    consent_to_publish: bool | None = None,
    at: datetime | None = None,
) -> Response:
    """Change a response before the deadline; `answers`, when given, replace all answers. Keeps the history."""
    at = as_utc(at) if at is not None else now()
    response = _response_for_token(session, reference, edit_token, lock=True)
    consultation = _consultation_of(session, response)
    if response.status == "withdrawn":
        raise ResponseWithdrawn(response.reference)
    check_open(consultation, at)
    codes = question_codes(consultation)
    errors: dict = {}
    if station is not None:
        station_row = _find_station(consultation, station)
        if station_row is None:
            errors["station"] = [f"No station {station!r} in this consultation."]
        else:
            response.station_id = station_row.id
    if answers is not None:
        checked, answer_errors = check_answers(rules_for(consultation), answers)
        errors.update(answer_errors)
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    if answers is not None:
        # Updated in place, not replaced: the (response, question) pair is unique, and the unit of work
        # would insert the new rows before deleting the old ones.
        existing = {answer.question_id: answer for answer in response.answers}
        wanted = {answer.question_id: answer for answer in checked}
        for question_id, answer in existing.items():
            if question_id not in wanted:
                response.answers.remove(answer)
        for question_id, answer in wanted.items():
            row = existing.get(question_id)
            if row is None:
                response.answers.append(_answer_row(answer))
            elif answer.text is not None:  # a question's kind never changes, so neither does its column
                row.text = answer.text
            else:
                row.value = answer.value
        snapshot = answers_snapshot(checked)
    else:
        snapshot = _current_snapshot(response, codes)
    if consent_to_publish is not None:
        response.consent_to_publish = consent_to_publish
    _add_revision(session, response, "amended", snapshot, at)
    session.commit()
    events.responses_changed([response.id])
    return get_response_for_respondent(session, reference=response.reference, edit_token=edit_token)


def withdraw_response(session: Session, *, reference: str, edit_token: str, at: datetime | None = None) -> Response:
    """Withdraw a response before the deadline; withdrawing twice changes nothing the second time."""
    at = as_utc(at) if at is not None else now()
    response = _response_for_token(session, reference, edit_token, lock=True)
    consultation = _consultation_of(session, response)
    if response.status != "withdrawn":
        check_open(consultation, at)
        response.status = "withdrawn"
        _add_revision(session, response, "withdrawn", _current_snapshot(response, question_codes(consultation)), at)
        session.commit()
        events.responses_changed([response.id])
    return get_response_for_respondent(session, reference=response.reference, edit_token=edit_token)
