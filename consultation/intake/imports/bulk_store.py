"""Storing checked import rows in bulk (COPY on PostgreSQL, executemany elsewhere): no ORM objects, no per-row flush."""

from datetime import datetime

from sqlalchemy.orm import Session

from consultation.bulk import insert_rows
from consultation.intake.imports.rows import CheckedRow
from consultation.intake.models import Answer, Respondent, Response, ResponseRevision
from consultation.intake.references import allocate_references
from consultation.intake.validation import PERSONAL_FIELDS

BATCH_SIZE = 5000


def store_rows(
    session: Session, consultation_id: int, rows: list[CheckedRow], stored_at: datetime, progress
) -> list[int]:
    """Bulk inserts (COPY on PostgreSQL, executemany elsewhere): no ORM objects, no per-row flush."""
    references = allocate_references(session, len(rows))
    response_ids: list[int] = []
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        respondent_ids = _store_respondents(session, batch, stored_at)
        ids = insert_rows(
            session,
            Response.__table__,
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
        _store_answers(session, batch, ids)
        _store_first_revisions(session, batch, ids, stored_at)
        response_ids.extend(ids)
        if progress:
            progress("storing", len(response_ids), len(rows))
    return response_ids


def _store_respondents(session: Session, batch: list[CheckedRow], stored_at: datetime) -> dict[int, int]:
    """The respondent records of the rows that carry personal data: {row number: respondent id}."""
    with_person = [row for row in batch if row.personal]
    if not with_person:
        return {}
    ids = insert_rows(
        session,
        Respondent.__table__,
        [{**dict.fromkeys(PERSONAL_FIELDS), **row.personal, "created_at": stored_at} for row in with_person],
        with_ids=True,
    )
    return {row.number: respondent_id for row, respondent_id in zip(with_person, ids, strict=True)}


def _store_answers(session: Session, batch: list[CheckedRow], response_ids: list[int]) -> None:
    """Choices and free text go in separate statements so the column a kind does not use stays SQL NULL (a JSON
    column would otherwise store None as the JSON value null)."""
    pairs = [
        (response_id, answer) for row, response_id in zip(batch, response_ids, strict=True) for answer in row.answers
    ]
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
    insert_rows(session, Answer.__table__, choices)
    insert_rows(session, Answer.__table__, texts)


def _store_first_revisions(
    session: Session, batch: list[CheckedRow], response_ids: list[int], stored_at: datetime
) -> None:
    insert_rows(
        session,
        ResponseRevision.__table__,
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
            for row, response_id in zip(batch, response_ids, strict=True)
        ],
    )
