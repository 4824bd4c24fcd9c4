"""Storing one online response: one write path, built with SQLAlchemy Core, shaped per dialect.

The same Core inserts (respondent, response, answers, first revision, idempotency key) serve both databases:

- PostgreSQL runs them as ONE statement, each insert a data-modifying CTE feeding the next its id, on an
  autocommit connection: one round trip for the write, durable when it returns, all or nothing.
- SQLite has no data-modifying CTEs (and one writer at a time), so there the same inserts run one after the other
  in the session's transaction, each taking the id the one before returned.

Either way the response is inserted only while the consultation's window is open at the time the request
arrived, tested in SQL by catalog's `window_open`, the one statement of the deadline rule: a deadline moved
after intake cached the consultation is still obeyed. When nothing was stored, the caller reads the consultation
to say why.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import JSON, Boolean, Integer, Text, bindparam, column, exists, func, insert, literal, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session

from consultation.catalog.models import Consultation
from consultation.catalog.service import window_open
from consultation.clock import iso_utc
from consultation.common import UTCDateTime
from consultation.intake.idempotency import IdempotencyRequest
from consultation.intake.models import Answer, IdempotencyKey, Respondent, Response, ResponseRevision
from consultation.intake.references import draw_reference
from consultation.intake.validation import PERSONAL_FIELDS, CheckedAnswer

RESPONSE_FIELDS = (
    "consultation_id",
    "station_id",
    "reference",
    "respondent_id",
    "respondent_type",
    "channel",
    "received_at",
    "late",
    "status",
    "consent_to_publish",
    "edit_token_hash",
    "version",
    "created_at",
    "updated_at",
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


RowMaker = Callable[[str], OnlineResponseRow]  # the row to store, given its allocated reference


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


def _arrival_param():
    return bindparam("received_at", type_=UTCDateTime())


def _open_consultation():
    """The consultation's id while its window is open at the arrival time (no row otherwise)."""
    consultation = Consultation.__table__
    return select(consultation.c.id).where(
        consultation.c.id == bindparam("consultation_id"),
        consultation.c.slug == bindparam("slug"),
        window_open(consultation.c.opens_at, consultation.c.closes_at, _arrival_param()),
    )


def _respondent_insert(guard):
    values = [bindparam(field, type_=Text()) for field in PERSONAL_FIELDS] + [_arrival_param()]
    chosen = select(*values).where(guard, bindparam("has_respondent", type_=Boolean()))
    return insert(Respondent).from_select([*PERSONAL_FIELDS, "created_at"], chosen).returning(Respondent.id)


def _response_insert(open_consultation, respondent_id):
    values = [
        open_consultation.c.id,
        bindparam("station_id"),
        bindparam("reference"),
        respondent_id,
        bindparam("respondent_type"),
        literal("online"),
        _arrival_param(),
        literal(False),
        literal("active"),
        bindparam("consent_to_publish"),
        bindparam("edit_token_hash"),
        literal(1),
        _arrival_param(),
        _arrival_param(),
    ]
    chosen = select(*values).select_from(open_consultation)
    return insert(Response).from_select(RESPONSE_FIELDS, chosen).returning(Response.id)


def _revision_insert(response_id, source=None):
    chosen = select(
        response_id,
        literal(1),
        literal("created"),
        bindparam("station_id"),
        bindparam("snapshot", type_=JSON()),
        literal("active"),
        _arrival_param(),
    )
    if source is not None:
        chosen = chosen.select_from(source)
    fields = ["response_id", "version", "change", "station_id", "answers", "status", "changed_at"]
    return insert(ResponseRevision).from_select(fields, chosen)


def _key_insert(guard):
    chosen = select(
        bindparam("scope"),
        bindparam("key"),
        bindparam("request_hash"),
        bindparam("caller_hash"),
        literal(201),
        bindparam("key_body", type_=JSON()),
        _arrival_param(),
    ).where(guard, bindparam("has_key", type_=Boolean()))
    fields = ["scope", "key", "request_hash", "caller_hash", "response_status", "response_body", "created_at"]
    return insert(IdempotencyKey).from_select(fields, chosen)


@cache
def _one_statement():
    """PostgreSQL: the five inserts as data-modifying CTEs of one statement, which returns the response's id."""
    open_consultation = _open_consultation().cte("open_consultation")
    is_open = exists(select(open_consultation.c.id))
    new_respondent = _respondent_insert(is_open).cte("new_respondent")
    new_response = _response_insert(open_consultation, select(new_respondent.c.id).scalar_subquery()).cte(
        "new_response"
    )
    items = (
        func.json_to_recordset(bindparam("answers", type_=JSON()))
        .table_valued(column("question_id", Integer), column("value", JSON), column("text", Text))
        .render_derived(name="item", with_types=True)
    )
    answers = insert(Answer).from_select(
        ["response_id", "question_id", "value", "text"],
        select(new_response.c.id, items.c.question_id, items.c.value, items.c.text).select_from(
            new_response.join(items, true())
        ),
    )
    stored = exists(select(new_response.c.id))
    return (
        select(new_response.c.id)
        .add_cte(answers.cte("new_answers"))
        .add_cte(_revision_insert(new_response.c.id, new_response).cte("new_revision"))
        .add_cte(_key_insert(stored).cte("new_key"))
    )


@cache
def _statements_in_turn():
    """SQLite: the same inserts, run one after the other in one transaction."""
    is_open = exists(_open_consultation())
    return {
        "respondent": _respondent_insert(is_open),
        "response": _response_insert(_open_consultation().subquery("open_consultation"), bindparam("respondent_id")),
        "answers": insert(Answer),
        "revision": _revision_insert(bindparam("response_id")),
        "key": _key_insert(true()),
    }


def _parameters(row: OnlineResponseRow) -> dict:
    key = row.idempotency or {}
    return {
        "consultation_id": row.consultation_id,
        "slug": row.slug,
        "received_at": row.received_at,
        "has_respondent": bool(row.personal),
        **{field: row.personal.get(field) for field in PERSONAL_FIELDS},
        "station_id": row.station_id,
        "reference": row.reference,
        "respondent_type": row.respondent_type,
        "consent_to_publish": row.consent_to_publish,
        "edit_token_hash": row.edit_token_hash,
        "answers": row.answers,
        "snapshot": row.snapshot,
        "has_key": bool(key),
        "scope": key.get("scope"),
        "key": key.get("key"),
        "request_hash": key.get("request_hash"),
        "caller_hash": key.get("caller_hash"),
        "key_body": key.get("body"),
    }


def _store_in_turn(connection: Connection, row: OnlineResponseRow) -> int | None:
    statements, parameters = _statements_in_turn(), _parameters(row)
    respondent_id = connection.scalar(statements["respondent"], parameters)
    response_id = connection.scalar(statements["response"], {**parameters, "respondent_id": respondent_id})
    if response_id is None:
        return None
    for column_name in ("value", "text"):  # one executemany per column, so the other stays SQL NULL (not JSON null)
        answers = [{**answer, "response_id": response_id} for answer in row.answers if column_name in answer]
        if answers:
            connection.execute(statements["answers"], answers)
    connection.execute(statements["revision"], {**parameters, "response_id": response_id})
    if row.idempotency:
        connection.execute(statements["key"], parameters)
    return response_id


def _allocate_and_store(connection: Connection, make_row: RowMaker) -> tuple[int | None, OnlineResponseRow]:
    row = make_row(draw_reference())
    if connection.dialect.name == "postgresql":
        return connection.scalar(_one_statement(), _parameters(row)), row
    return _store_in_turn(connection, row), row


def store_online_response(session: Session, make_row: RowMaker) -> tuple[int | None, OnlineResponseRow]:
    """Draw a reference, build the row with it and store it (an IntegrityError if the reference is taken); returns
    the response's id (None when the consultation was not open at arrival, and nothing was stored) and the row."""
    current = session() if isinstance(session, scoped_session) else session
    if session.get_bind().dialect.name == "postgresql" and not current.in_transaction():
        # A connection of its own in autocommit: the one statement needs no BEGIN or COMMIT,
        # and the statement is its own transaction.
        with session.get_bind().connect() as connection:
            return _allocate_and_store(connection.execution_options(isolation_level="AUTOCOMMIT"), make_row)
    # The request already holds a connection (it read the consultation), or SQLite: write through the session's
    # connection and commit, rather than take a second connection, which under load would let requests wait on
    # each other for the pool.
    response_id, row = _allocate_and_store(session.connection(), make_row)
    if response_id is None:
        session.rollback()
    else:
        session.commit()
    return response_id, row
