"""Bulk inserts shared by the rooms that write many rows at once (imports, the analysis pipeline).

On PostgreSQL rows go in by COPY inside the session's transaction (about ten times faster than batched INSERTs);
elsewhere by one executemany INSERT. No ORM objects, no per-row flush.
"""

import json

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session


def _copy_rows(session: Session, table: Table, rows: list[dict]) -> None:
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    driver_connection = session.connection().connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[name]) if name in json_columns and row[name] is not None else row[name]
                    for name in columns
                ]
            )


def _insert_ignoring_conflicts(session: Session, table: Table):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        return insert(table)
    return dialect_insert(table).on_conflict_do_nothing()


def insert_rows(
    session: Session, table: Table, rows: list[dict], *, with_ids: bool = False, ignore_conflicts: bool = False
) -> list[int]:
    """Insert many rows (every row with the same keys); `with_ids` returns their new ids in the order of `rows`.

    `ignore_conflicts` skips rows that would break a unique constraint (INSERT ... ON CONFLICT DO NOTHING, which
    COPY cannot do), for writers that may race another writer of the same rows.
    """
    if not rows:
        return []
    if ignore_conflicts:
        if with_ids:
            raise ValueError("with_ids and ignore_conflicts do not go together: skipped rows have no id")
        session.execute(_insert_ignoring_conflicts(session, table), rows)
        return []
    if session.get_bind().dialect.name == "postgresql":
        ids: list[int] = []
        if with_ids:
            ids = draw_ids(session, table, len(rows))
            rows = [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)]
        _copy_rows(session, table, rows)
        return ids
    if with_ids:
        return list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    session.execute(insert(table), rows)
    return []


# COPY's text format: a backslash, tab, newline or carriage return in a value is written as an escape.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_NULL = "\\N"


def copy_text(value) -> str:
    """One value as COPY's text format writes it: NULL as \\N, booleans as t and f, datetimes in ISO 8601 with their
    offset, JSON-ready values (dicts, lists) as JSON, anything else as its text, escaped."""
    if value is None:
        return COPY_NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return str(value).translate(_COPY_ESCAPES)


def copy_json(value) -> str:
    """A value for a JSON column (a string is stored as a JSON string), or \\N for None."""
    return COPY_NULL if value is None else json.dumps(value).translate(_COPY_ESCAPES)


def copy_lines(session: Session, table: Table, columns: tuple[str, ...], lines) -> None:
    """COPY rows already written in COPY's text format (one string per row, values joined by tabs, see copy_text)
    into `table` inside the session's transaction: the least work per row there is."""
    driver_connection = session.connection().connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) == 2000:
                copy.write("\n".join(block) + "\n")
                block = []
        if block:
            copy.write("\n".join(block) + "\n")


def draw_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` new ids from the table's sequence, in one statement and one row (PostgreSQL)."""
    if count == 0:
        return []
    statement = "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) FROM generate_series(1, %s)"
    with session.connection().connection.driver_connection.cursor() as cursor:
        return cursor.execute(statement, (table.name, count)).fetchone()[0]
