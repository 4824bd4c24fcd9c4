"""Keeping the summary tables exact, and checking them against a full recount.

How they are kept: by triggers on `responses`, `response_analyses` and `theme_assignments`, so each change to a
counted fact updates the summaries in the same transaction as the write itself. We chose this over updating them
from each write function, and over an incremental job with a watermark:

- every write path is covered, including the ones no one wrote with the summaries in mind: intake's one-statement
  insert, imports through COPY, amendments and withdrawals, the lateness re-judged when a deadline moves (a bulk
  UPDATE), reviewer coding, the engine's bulk writes, campaign regrouping (and the SET NULL when a campaign goes),
  theme deletion (a cascade), and tests or scripts writing rows directly;
- a rollback takes the summary change with it, and a reader sees the summaries and the rows of one snapshot,
  so the figures are exact at every moment, with no lag to explain and no job to run;
- a watermark job would need a change column on three tables, a lag on every figure, and its own worker.

The cost is one small upsert per changed row, spread over SUMMARY_SLOTS rows per combination so that concurrent
writers do not queue on one row lock. `flask check-summaries` recounts everything from the rows and compares;
`--repair` replaces the summaries with the recount.

The trigger statements are written once here for both dialects (PostgreSQL runs them in PL/pgSQL functions, SQLite
in trigger bodies); the migration that creates the tables installs them with `install_triggers`.
"""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from consultation.reporting.models import SUMMARY_SLOTS

RESPONSE_KEY = (
    "consultation_id",
    "station_id",
    "channel",
    "respondent_type",
    "late",
    "status",
    "stance",
    "campaign_id",
)
THEME_KEY = ("consultation_id", "station_id", "late", "status", "theme_id")
RESPONSE_COLUMNS = ("consultation_id", "station_id", "channel", "respondent_type", "late", "status")
THEME_TRIGGER_COLUMNS = ("response_id", "theme_id")
ANALYSIS_COLUMNS = ("stance", "campaign_id")


def _slot(dialect: str) -> str:
    return f"pg_backend_pid() % {SUMMARY_SLOTS}" if dialect == "postgresql" else "0"


def _upsert(table: str, key: tuple[str, ...], select_sql: str) -> str:
    columns = ", ".join((*key, "slot", "responses"))
    conflict = ", ".join((*key, "slot"))
    return (
        f"INSERT INTO {table} ({columns}) {select_sql} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET responses = {table}.responses + excluded.responses"
    )


def _count_response(dialect: str, sign: int, row: str) -> list[str]:
    """A response row (NEW or OLD) counted with `sign`, with its analysis and its themes as they are now."""
    slot = _slot(dialect)
    counts = _upsert(
        "response_counts",
        RESPONSE_KEY,
        f"SELECT {row}.consultation_id, {row}.station_id, {row}.channel, coalesce({row}.respondent_type, ''), "
        f"{row}.late, {row}.status, coalesce(a.stance, ''), coalesce(a.campaign_id, 0), {slot}, {sign} "
        f"FROM (SELECT 1 AS one) AS one LEFT JOIN response_analyses AS a ON a.response_id = {row}.id WHERE true",
    )
    themes = _upsert(
        "theme_counts",
        THEME_KEY,
        f"SELECT {row}.consultation_id, {row}.station_id, {row}.late, {row}.status, t.theme_id, {slot}, {sign} "
        f"FROM theme_assignments AS t WHERE t.response_id = {row}.id",
    )
    return [counts, themes]


def _count_analysis(dialect: str, sign: int, response_id: str, stance: str, campaign_id: str) -> str:
    """The response's row counted with `sign` under the given stance and campaign (none when the row is gone)."""
    return _upsert(
        "response_counts",
        RESPONSE_KEY,
        f"SELECT r.consultation_id, r.station_id, r.channel, coalesce(r.respondent_type, ''), r.late, r.status, "
        f"coalesce({stance}, ''), coalesce({campaign_id}, 0), {_slot(dialect)}, {sign} "
        f"FROM responses AS r WHERE r.id = {response_id}",
    )


def _count_theme(dialect: str, sign: int, row: str) -> str:
    return _upsert(
        "theme_counts",
        THEME_KEY,
        f"SELECT r.consultation_id, r.station_id, r.late, r.status, {row}.theme_id, {_slot(dialect)}, {sign} "
        f"FROM responses AS r WHERE r.id = {row}.response_id",
    )


@dataclass(frozen=True)
class Trigger:
    name: str
    timing: str  # "AFTER INSERT", "BEFORE DELETE", ...
    table: str
    changed: tuple[str, ...]  # UPDATE triggers: fire only when one of these columns changes
    statements: list[str]
    returns: str  # what a PostgreSQL BEFORE trigger gives back (ignored for AFTER triggers)


def _triggers(dialect: str) -> list[Trigger]:
    """A response is counted out BEFORE it is deleted, while its analysis and themes can still be read; the cascades
    that follow find no response and count nothing. Analyses and themes count their response as it is now."""
    no_analysis = ("NULL", "NULL")
    return [
        Trigger("responses_counted_insert", "AFTER INSERT", "responses", (), _count_response(dialect, 1, "NEW"), "NEW"),
        Trigger(
            "responses_counted_update",
            "AFTER UPDATE",
            "responses",
            RESPONSE_COLUMNS,
            _count_response(dialect, -1, "OLD") + _count_response(dialect, 1, "NEW"),
            "NEW",
        ),
        Trigger(
            "responses_counted_delete", "BEFORE DELETE", "responses", (), _count_response(dialect, -1, "OLD"), "OLD"
        ),
        Trigger(
            "analyses_counted_insert",
            "AFTER INSERT",
            "response_analyses",
            (),
            [
                _count_analysis(dialect, -1, "NEW.response_id", *no_analysis),
                _count_analysis(dialect, 1, "NEW.response_id", "NEW.stance", "NEW.campaign_id"),
            ],
            "NEW",
        ),
        Trigger(
            "analyses_counted_update",
            "AFTER UPDATE",
            "response_analyses",
            ANALYSIS_COLUMNS,
            [
                _count_analysis(dialect, -1, "OLD.response_id", "OLD.stance", "OLD.campaign_id"),
                _count_analysis(dialect, 1, "NEW.response_id", "NEW.stance", "NEW.campaign_id"),
            ],
            "NEW",
        ),
        Trigger(
            "analyses_counted_delete",
            "AFTER DELETE",
            "response_analyses",
            (),
            [
                _count_analysis(dialect, -1, "OLD.response_id", "OLD.stance", "OLD.campaign_id"),
                _count_analysis(dialect, 1, "OLD.response_id", *no_analysis),
            ],
            "OLD",
        ),
        Trigger(
            "themes_counted_insert", "AFTER INSERT", "theme_assignments", (), [_count_theme(dialect, 1, "NEW")], "NEW"
        ),
        Trigger(
            "themes_counted_update",
            "AFTER UPDATE",
            "theme_assignments",
            THEME_TRIGGER_COLUMNS,
            [_count_theme(dialect, -1, "OLD"), _count_theme(dialect, 1, "NEW")],
            "NEW",
        ),
        Trigger(
            "themes_counted_delete", "AFTER DELETE", "theme_assignments", (), [_count_theme(dialect, -1, "OLD")], "OLD"
        ),
    ]


def _when(dialect: str, columns: tuple[str, ...]) -> str:
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{column} {differs} NEW.{column}" for column in columns)


def trigger_ddl(dialect: str) -> list[str]:
    """CREATE statements for every summary trigger (and its function on PostgreSQL)."""
    statements = []
    for trigger in _triggers(dialect):
        event = f"{trigger.timing} OF {', '.join(trigger.changed)}" if trigger.changed else trigger.timing
        when = f" WHEN ({_when(dialect, trigger.changed)})" if trigger.changed else ""
        body = "; ".join(trigger.statements)
        if dialect == "postgresql":
            statements.append(
                f"CREATE FUNCTION {trigger.name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body}; RETURN {trigger.returns}; END $$"
            )
            statements.append(
                f"CREATE TRIGGER {trigger.name} {event} ON {trigger.table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {trigger.name}()"
            )
        else:
            statements.append(
                f"CREATE TRIGGER {trigger.name} {event} ON {trigger.table} FOR EACH ROW{when} BEGIN {body}; END"
            )
    return statements


def drop_trigger_ddl(dialect: str) -> list[str]:
    statements = []
    for trigger in _triggers(dialect):
        statements.append(
            f"DROP TRIGGER IF EXISTS {trigger.name}" + (f" ON {trigger.table}" if dialect == "postgresql" else "")
        )
        if dialect == "postgresql":
            statements.append(f"DROP FUNCTION IF EXISTS {trigger.name}()")
    return statements


def install_triggers(connection: Connection) -> None:
    for statement in trigger_ddl(connection.dialect.name):
        connection.execute(text(statement))


def remove_triggers(connection: Connection) -> None:
    for statement in drop_trigger_ddl(connection.dialect.name):
        connection.execute(text(statement))


RECOUNT_RESPONSES = """
SELECT r.consultation_id, r.station_id, r.channel, coalesce(r.respondent_type, ''), r.late, r.status,
       coalesce(a.stance, ''), coalesce(a.campaign_id, 0), count(*)
FROM responses AS r LEFT JOIN response_analyses AS a ON a.response_id = r.id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""
RECOUNT_THEMES = """
SELECT r.consultation_id, r.station_id, r.late, r.status, t.theme_id, count(*)
FROM theme_assignments AS t JOIN responses AS r ON r.id = t.response_id
GROUP BY 1, 2, 3, 4, 5
"""


def _stored(table: str, key: tuple[str, ...]) -> str:
    columns = ", ".join(key)
    return f"SELECT {columns}, sum(responses) FROM {table} GROUP BY {columns} HAVING sum(responses) <> 0"


def _as_counts(rows) -> dict[tuple, int]:
    # Booleans come back as 0/1 from SQLite and as bool from PostgreSQL: compare them as ints.
    return {tuple(int(v) if isinstance(v, bool) else v for v in row[:-1]): int(row[-1]) for row in rows}


@dataclass(frozen=True)
class SummaryCheck:
    responses: int  # responses counted by the recount
    theme_assignments: int
    wrong_response_rows: int  # combinations whose stored count differs from the recount
    wrong_theme_rows: int
    repaired: bool = False

    @property
    def agrees(self) -> bool:
        return not (self.wrong_response_rows or self.wrong_theme_rows)

    def sentence(self) -> str:
        counted = f"{self.responses:,} responses and {self.theme_assignments:,} theme assignments"
        if self.agrees:
            return f"The summaries agree with a full recount of {counted}."
        wrong = f"{self.wrong_response_rows} response count(s) and {self.wrong_theme_rows} theme count(s)"
        if self.repaired:
            return f"The summaries differed from a full recount of {counted} in {wrong}; they now hold the recount."
        return f"The summaries differ from a full recount of {counted} in {wrong}; run with --repair to fix them."


def _differences(expected: dict, stored: dict) -> int:
    return sum(1 for key in set(expected) | set(stored) if expected.get(key, 0) != stored.get(key, 0))


def check_summaries(session: Session, *, repair: bool = False) -> SummaryCheck:
    """Compare the summaries with a full recount from the rows; with `repair`, replace them by the recount."""
    if repair and session.get_bind().dialect.name == "postgresql":
        # Writers wait while the summaries are rebuilt; the recount then sees every committed change.
        session.execute(text("LOCK TABLE response_counts, theme_counts IN EXCLUSIVE MODE"))
    expected = _as_counts(session.execute(text(RECOUNT_RESPONSES)))
    expected_themes = _as_counts(session.execute(text(RECOUNT_THEMES)))
    stored = _as_counts(session.execute(text(_stored("response_counts", RESPONSE_KEY))))
    stored_themes = _as_counts(session.execute(text(_stored("theme_counts", THEME_KEY))))
    result = SummaryCheck(
        responses=sum(expected.values()),
        theme_assignments=sum(expected_themes.values()),
        wrong_response_rows=_differences(expected, stored),
        wrong_theme_rows=_differences(expected_themes, stored_themes),
    )
    if repair and not result.agrees:
        rebuild_summaries(session)
        session.commit()
        return SummaryCheck(**{**result.__dict__, "repaired": True})
    session.rollback()
    return result


def rebuild_summaries(session_or_connection) -> None:
    """Replace the summaries with a full recount (the migration's backfill, and `check-summaries --repair`)."""
    execute = session_or_connection.execute
    execute(text("DELETE FROM response_counts"))
    execute(text("DELETE FROM theme_counts"))
    for table, key, recount in (
        ("response_counts", RESPONSE_KEY, RECOUNT_RESPONSES),
        ("theme_counts", THEME_KEY, RECOUNT_THEMES),
    ):
        # Slot 0 goes before the count, as the summary table's columns run.
        columns = ", ".join((*key, "slot", "responses"))
        execute(text(f"INSERT INTO {table} ({columns}) {recount.replace(', count(*)', ', 0, count(*)')}"))
