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
    respondents, responses = Respondent.__table__, Response.__table__
    answers, revisions = Answer.__table__, ResponseRevision.__table__
    response_ids: list[int] = []
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        with_person = [row for row in batch if row.personal]
        respondent_ids: dict[int, int] = {}
        if with_person:
            ids = insert_rows(
                session,
                respondents,
                [{**dict.fromkeys(PERSONAL_FIELDS), **row.personal, "created_at": stored_at} for row in with_person],
                with_ids=True,
            )
            respondent_ids = {row.number: respondent_id for row, respondent_id in zip(with_person, ids, strict=True)}
        ids = insert_rows(
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
        insert_rows(session, answers, choices)
        insert_rows(session, answers, texts)
        insert_rows(
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
