"""Storing checked import rows in bulk: no ORM objects, no per-row flush.

On PostgreSQL every table goes in by COPY, ids included (drawn for a whole table in one statement), with the rows
written straight in COPY's text format: each distinct value of a column (a station, an option, a received time) is
formatted once, and a row is a join of ready strings. Elsewhere the same rows go in by executemany INSERTs.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from consultation.bulk import COPY_NULL, copy_json, copy_lines, copy_text, draw_ids, insert_rows
from consultation.intake.imports.rows import CheckedRows
from consultation.intake.models import Answer, Respondent, Response, ResponseRevision
from consultation.intake.online_write import RESPONSE_FIELDS
from consultation.intake.references import allocate_references
from consultation.intake.validation import PERSONAL_FIELDS

BATCH_SIZE = 10_000
RESPONSE_COLUMNS = ("id", *RESPONSE_FIELDS)
ANSWER_COLUMNS = ("response_id", "question_id", "value", "text")
REVISION_COLUMNS = ("response_id", "version", "change", "station_id", "answers", "status", "changed_at")
RESPONDENT_COLUMNS = ("id", *PERSONAL_FIELDS, "created_at")


def store_rows(session: Session, consultation_id: int, rows: CheckedRows, stored_at: datetime, progress) -> list[int]:
    """Store the responses, their answers, first revisions and respondent records (personal data apart); the new
    responses' ids in the rows' order."""
    references = allocate_references(session, len(rows))
    store = _copy_rows if session.get_bind().dialect.name == "postgresql" else _insert_rows
    return store(session, consultation_id, rows, references, stored_at, progress, rows.questions)


def _with_person(rows: CheckedRows) -> list[bool]:
    """Whether each row carries personal data (any of the personal fields given)."""
    given = [rows.columns[name].mapped(lambda value: value is not None) for name in PERSONAL_FIELDS]
    return list(map(any, zip(*given, strict=True)))


def _copy_rows(session, consultation_id, rows, references, stored_at, progress, question_codes) -> list[int]:
    columns = rows.columns
    with_person = _with_person(rows)
    person_ids = iter(draw_ids(session, Respondent.__table__, sum(with_person)))
    respondent_ids = [str(next(person_ids)) if given else COPY_NULL for given in with_person]
    stored = copy_text(stored_at)
    people = zip(*(columns[name].mapped(copy_text) for name in PERSONAL_FIELDS), strict=True)
    copy_lines(
        session,
        Respondent.__table__,
        RESPONDENT_COLUMNS,
        (
            "\t".join((respondent_id, *person, stored))
            for respondent_id, person in zip(respondent_ids, people, strict=True)
            if respondent_id != COPY_NULL
        ),
    )
    response_ids = draw_ids(session, Response.__table__, len(rows))
    ids = list(map(str, response_ids))
    stations = columns["station"].mapped(copy_text)
    responses = _response_parts(rows, consultation_id, ids, stations, references, respondent_ids, stored)
    tails = [columns[code].mapped(_answer_tail) for code in question_codes]
    entries = [columns[code].mapped(_revision_entry(code)) for code in question_codes]
    # Each batch's lines are written as they are made, so the database stores one block while the next is made.
    for start in range(0, len(rows), BATCH_SIZE):
        window = slice(start, start + BATCH_SIZE)
        lines = map("\t".join, zip(*(part[window] for part in responses), strict=True))
        copy_lines(session, Response.__table__, RESPONSE_COLUMNS, lines)
        lines = _answer_lines(ids[window], [each[window] for each in tails])
        copy_lines(session, Answer.__table__, ANSWER_COLUMNS, lines)
        lines = _revision_lines(ids[window], stations[window], [each[window] for each in entries], stored)
        copy_lines(session, ResponseRevision.__table__, REVISION_COLUMNS, lines)
        if progress:
            progress("storing", min(start + BATCH_SIZE, len(rows)), len(rows))
    return response_ids


def _response_parts(rows, consultation_id, ids, stations, references, respondent_ids, stored) -> tuple[list, ...]:
    """The responses' columns as COPY text, one list per run of columns, each with a string per row."""
    columns = rows.columns
    received = columns["received_at"].mapped(
        lambda moment: f"{copy_text(moment)}\t{copy_text(moment >= rows.closes_at)}\tactive"
    )
    return (
        ids,
        [str(consultation_id)] * len(ids),
        stations,
        references,
        respondent_ids,
        columns["respondent_type"].mapped(copy_text),
        columns["channel"].mapped(copy_text),
        received,
        columns["consent_to_publish"].mapped(copy_text),
        [f"{COPY_NULL}\t1\t{stored}\t{stored}"] * len(ids),
    )


def _answer_tail(answer) -> str:
    """An answer's COPY line after its response id ("" for a question left blank)."""
    if answer is None:
        return ""
    return f"\t{answer.question_id}\t{copy_json(answer.value)}\t{copy_text(answer.text)}"


def _answer_lines(ids: list[str], tails: list[list[str]]):
    """Each response's answers in questionnaire order."""
    for response_id, *ends in zip(ids, *tails, strict=True):
        for end in ends:
            if end:
                yield response_id + end


def _revision_entry(code: str):
    """An answer as its entry in the revision's JSON ('"code": value', as json.dumps writes it), None if blank."""
    return lambda answer: None if answer is None else copy_json({code: answer.shown})[1:-1]


def _revision_lines(ids: list[str], stations: list[str], entries: list[list], stored: str):
    """The first revision of each response, its answers as json.dumps writes the same dict."""
    for response_id, station, *parts in zip(ids, stations, *entries, strict=True):
        document = "{" + ", ".join(filter(None, parts)) + "}"
        yield f"{response_id}\t1\tcreated\t{station}\t{document}\tactive\t{stored}"


def _insert_rows(session, consultation_id, rows, references, stored_at, progress, question_codes) -> list[int]:
    """The same rows by executemany INSERTs (SQLite)."""
    columns = {name: factor.expanded() for name, factor in rows.columns.items()}
    late = rows.late()
    with_person = _with_person(rows)
    people = [
        {name: columns[name][index] for name in PERSONAL_FIELDS} | {"created_at": stored_at}
        for index, given in enumerate(with_person)
        if given
    ]
    person_ids = iter(insert_rows(session, Respondent.__table__, people, with_ids=True))
    response_ids = insert_rows(
        session,
        Response.__table__,
        [
            {
                "consultation_id": consultation_id,
                "station_id": columns["station"][index],
                "reference": references[index],
                "respondent_id": next(person_ids) if with_person[index] else None,
                "respondent_type": columns["respondent_type"][index],
                "channel": columns["channel"][index],
                "received_at": columns["received_at"][index],
                "late": late[index],
                "status": "active",
                "consent_to_publish": columns["consent_to_publish"][index],
                "edit_token_hash": None,
                "version": 1,
                "created_at": stored_at,
                "updated_at": stored_at,
            }
            for index in range(len(rows))
        ],
        with_ids=True,
    )
    answers = [[columns[code][index] for code in question_codes] for index in range(len(rows))]
    _insert_answers(session, response_ids, answers)
    _insert_first_revisions(session, response_ids, columns["station"], answers, stored_at)
    if progress:
        progress("storing", len(rows), len(rows))
    return response_ids


def _insert_answers(session: Session, response_ids: list[int], answers: list[list]) -> None:
    """Choices and free text go in separate statements so the column a kind does not use stays SQL NULL (a JSON
    column would otherwise store None as the JSON value null)."""
    pairs = [
        (response_id, answer)
        for response_id, row in zip(response_ids, answers, strict=True)
        for answer in row
        if answer is not None
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


def _insert_first_revisions(session, response_ids, stations, answers, stored_at) -> None:
    insert_rows(
        session,
        ResponseRevision.__table__,
        [
            {
                "response_id": response_id,
                "version": 1,
                "change": "created",
                "station_id": station_id,
                "answers": {answer.code: answer.shown for answer in row if answer is not None},
                "status": "active",
                "changed_at": stored_at,
            }
            for response_id, station_id, row in zip(response_ids, stations, answers, strict=True)
        ],
    )
