"""Storing one online response in as few round trips as the database allows.

On PostgreSQL the respondent, the response, its answers, its first revision and the idempotency key go in one
statement (data-modifying CTEs) on an autocommit connection: one round trip, durable when it returns, all or
nothing. The statement also re-checks the deadline window against the time the request arrived, so the
consultation's dates need no read of their own; when it stores nothing, the caller reads the consultation to
say why. SQLite has no data-modifying CTEs and one writer at a time, so there the ORM writes as before.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session

from consultation.catalog.models import Consultation
from consultation.catalog.service import consultation_status
from consultation.clock import iso_utc
from consultation.intake.idempotency import IdempotencyRequest, remember
from consultation.intake.models import Answer, Respondent, Response, ResponseRevision
from consultation.intake.validation import CheckedAnswer

# The window test repeats catalog's consultation_status() in SQL (open from opens_at, closed from closes_at on);
# the refusal itself is always worded by check_open() in Python.
INSERT_ONLINE_RESPONSE = text(
    """
WITH open_consultation AS (
    SELECT id FROM consultations
    WHERE id = :consultation_id AND slug = :slug AND opens_at <= :received_at AND closes_at > :received_at
),
new_respondent AS (
    INSERT INTO respondents (name, email, postcode, address, created_at)
    SELECT :name, :email, :postcode, :address, :received_at FROM open_consultation WHERE :has_respondent
    RETURNING id
),
new_response AS (
    INSERT INTO responses (consultation_id, station_id, reference, respondent_id, respondent_type, channel,
                           received_at, late, status, consent_to_publish, edit_token_hash, version,
                           created_at, updated_at)
    SELECT id, :station_id, :reference, (SELECT id FROM new_respondent), :respondent_type, 'online',
           :received_at, false, 'active', :consent_to_publish, :edit_token_hash, 1, :received_at, :received_at
    FROM open_consultation
    RETURNING id
),
new_answers AS (
    INSERT INTO answers (response_id, question_id, value, text)
    SELECT new_response.id, item.question_id, item.value, item.text
    FROM new_response, json_to_recordset(CAST(:answers AS json)) AS item(question_id integer, value json, text text)
),
new_revision AS (
    INSERT INTO response_revisions (response_id, version, change, station_id, answers, status, changed_at)
    SELECT id, 1, 'created', :station_id, CAST(:snapshot AS json), 'active', :received_at FROM new_response
),
new_key AS (
    INSERT INTO idempotency_keys (scope, key, request_hash, caller_hash, response_status, response_body, created_at)
    SELECT :scope, :key, :request_hash, :caller_hash, 201, CAST(:key_body AS json), :received_at
    FROM new_response WHERE :has_key
)
SELECT id FROM new_response
"""
)


@dataclass(frozen=True)
class OnlineResponseRow:
    consultation_id: int
    slug: str
    station_id: int
    reference: str
    received_at: datetime
    personal: dict  # name, email, postcode, address (any may be missing)
    respondent_type: str | None
    consent_to_publish: bool
    edit_token_hash: str
    answers: list[dict]  # {"question_id", and "value" or "text"}: only the column a question's kind uses
    snapshot: dict
    idempotency: dict | None  # scope, key, request_hash, caller_hash, body


def insert_online_response(connection: Connection, row: OnlineResponseRow) -> int | None:
    """Store the response in one statement; its id, or None when the consultation was not open (nothing stored)."""
    key = row.idempotency or {}
    return connection.scalar(
        INSERT_ONLINE_RESPONSE,
        {
            "consultation_id": row.consultation_id,
            "slug": row.slug,
            "received_at": row.received_at,
            "has_respondent": bool(row.personal),
            "name": row.personal.get("name"),
            "email": row.personal.get("email"),
            "postcode": row.personal.get("postcode"),
            "address": row.personal.get("address"),
            "station_id": row.station_id,
            "reference": row.reference,
            "respondent_type": row.respondent_type,
            "consent_to_publish": row.consent_to_publish,
            "edit_token_hash": row.edit_token_hash,
            "answers": json.dumps(row.answers),
            "snapshot": json.dumps(row.snapshot),
            "has_key": bool(key),
            "scope": key.get("scope"),
            "key": key.get("key"),
            "request_hash": key.get("request_hash"),
            "caller_hash": key.get("caller_hash"),
            "key_body": json.dumps(key.get("body")),
        },
    )


def answer_fields(answer: CheckedAnswer) -> dict:
    """An answer's columns; only the one its question's kind uses is set, so the other stays SQL NULL."""
    if answer.text is not None:
        return {"question_id": answer.question_id, "text": answer.text}
    return {"question_id": answer.question_id, "value": answer.value}


def key_fields(idempotency: IdempotencyRequest | None, reference: str, received_at: datetime) -> dict | None:
    """The idempotency row to store with the response (its result, and who asked), or None without a key."""
    if idempotency is None:
        return None
    return {
        "scope": idempotency.scope,
        "key": idempotency.key,
        "request_hash": idempotency.request_hash,
        "caller_hash": idempotency.caller_hash,
        "body": {"reference": reference, "received_at": iso_utc(received_at)},
    }


def store_in_one_statement(session: Session, row: OnlineResponseRow, _idempotency) -> int | None:
    """PostgreSQL: one statement, one round trip; the response's id, or None when it was not open."""
    current = session() if isinstance(session, scoped_session) else session
    if current.in_transaction():
        # The request already holds a connection (it read the consultation): write through it and commit, rather
        # than take a second connection, which under load would let requests wait on each other for the pool.
        response_id = insert_online_response(session.connection(), row)
        session.commit()
        return response_id
    # A connection of its own in autocommit: the one statement is its own transaction, with no BEGIN or COMMIT.
    with session.get_bind().connect() as connection:
        return insert_online_response(connection.execution_options(isolation_level="AUTOCOMMIT"), row)


def store_with_orm(session: Session, row: OnlineResponseRow, idempotency: IdempotencyRequest | None) -> int | None:
    """SQLite: the same rows through the ORM in one transaction; the response's id, or None when it was not open."""
    consultation = session.get(Consultation, row.consultation_id)
    if consultation is None or consultation.slug != row.slug:
        return None
    if consultation_status(consultation, row.received_at) != "open":
        return None
    response = Response(
        consultation_id=row.consultation_id,
        station_id=row.station_id,
        reference=row.reference,
        respondent=Respondent(**row.personal, created_at=row.received_at) if row.personal else None,
        respondent_type=row.respondent_type,
        channel="online",
        received_at=row.received_at,
        late=False,
        status="active",
        consent_to_publish=row.consent_to_publish,
        edit_token_hash=row.edit_token_hash,
        version=1,
        created_at=row.received_at,
        updated_at=row.received_at,
        answers=[Answer(**fields) for fields in row.answers],
    )
    session.add(response)
    session.flush()  # the revision needs the response's id
    session.add(
        ResponseRevision(
            response_id=response.id,
            version=1,
            change="created",
            station_id=row.station_id,
            answers=row.snapshot,
            status="active",
            changed_at=row.received_at,
        )
    )
    if idempotency is not None:
        remember(session, idempotency, 201, row.idempotency["body"])
    session.commit()
    return response.id
