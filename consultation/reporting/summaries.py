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

Each combination is spread over SUMMARY_SLOTS rows so that concurrent writers do not queue on one row lock.
`flask check-summaries` recounts everything from the rows and compares; `--repair` replaces the summaries with the
recount. The cost is one grouped upsert per summary table for each statement that changes counted rows on PostgreSQL
(statement triggers over transition tables: a COPY of 100,000 rows pays once), and per changed row on SQLite.
The triggers are written once for both dialects in `summary_triggers.py`; the migration that creates the tables
installs them with `install_triggers`.

The campaign summaries that `campaigns=once` reads (`campaign_theme_counts`, `campaign_leads`,
`campaign_lead_themes`, described in `models.py`) are kept the same way by the triggers of `campaign_triggers.py`,
which their own migration installs with `install_campaign_triggers`; the check recounts and repairs them too.
"""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from consultation.reporting.campaign_triggers import (
    CAMPAIGN_TABLES,
    LEAD_FACTS,
    LEAD_KEY,
    LEAD_ROW,
    campaign_trigger_ddl,
    drop_campaign_trigger_ddl,
)
from consultation.reporting.summary_triggers import RESPONSE_KEY, THEME_KEY, drop_trigger_ddl, trigger_ddl


def install_triggers(connection: Connection) -> None:
    for statement in trigger_ddl(connection.dialect.name):
        connection.execute(text(statement))


def remove_triggers(connection: Connection) -> None:
    for statement in drop_trigger_ddl(connection.dialect.name):
        connection.execute(text(statement))


def install_campaign_triggers(connection: Connection) -> None:
    for statement in campaign_trigger_ddl(connection.dialect.name):
        connection.execute(text(statement))


def remove_campaign_triggers(connection: Connection) -> None:
    for statement in drop_campaign_trigger_ddl(connection.dialect.name):
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
RECOUNT_CAMPAIGN_THEMES = """
SELECT r.consultation_id, r.station_id, r.late, r.status, t.theme_id, count(*)
FROM theme_assignments AS t JOIN responses AS r ON r.id = t.response_id
JOIN response_analyses AS a ON a.response_id = r.id
WHERE a.campaign_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""
LOWEST_MEMBERS = """
SELECT min(m.id) FROM responses AS m JOIN response_analyses AS ma ON ma.response_id = m.id
WHERE ma.campaign_id IS NOT NULL
GROUP BY m.consultation_id, m.station_id, ma.campaign_id, m.late, m.status
"""
RECOUNT_LEADS = (
    f"SELECT {LEAD_ROW} FROM responses AS r JOIN response_analyses AS a ON a.response_id = r.id "
    f"WHERE r.id IN ({LOWEST_MEMBERS})"
)
RECOUNT_LEAD_THEMES = f"SELECT response_id, theme_id FROM theme_assignments WHERE response_id IN ({LOWEST_MEMBERS})"
STORED_LEADS = f"SELECT {', '.join(LEAD_KEY + LEAD_FACTS)} FROM campaign_leads"
STORED_LEAD_THEMES = "SELECT response_id, theme_id FROM campaign_lead_themes"


def _stored(table: str, key: tuple[str, ...]) -> str:
    columns = ", ".join(key)
    return f"SELECT {columns}, sum(responses) FROM {table} GROUP BY {columns} HAVING sum(responses) <> 0"


def _plain(values) -> tuple:
    # Booleans come back as 0/1 from SQLite and as bool from PostgreSQL: compare them as ints.
    return tuple(int(v) if isinstance(v, bool) else v for v in values)


def _as_counts(rows) -> dict[tuple, int]:
    return {_plain(row[:-1]): int(row[-1]) for row in rows}


def _as_leads(rows) -> dict[tuple, tuple]:
    return {_plain(row[: len(LEAD_KEY)]): _plain(row[len(LEAD_KEY) :]) for row in rows}


@dataclass(frozen=True)
class SummaryCheck:
    responses: int  # responses counted by the recount
    theme_assignments: int
    wrong_response_rows: int  # combinations whose stored count differs from the recount
    wrong_theme_rows: int
    wrong_campaign_rows: int = 0  # campaign theme counts, leads and lead themes that differ from the recount
    repaired: bool = False

    @property
    def agrees(self) -> bool:
        return not (self.wrong_response_rows or self.wrong_theme_rows or self.wrong_campaign_rows)

    def sentence(self) -> str:
        counted = f"{self.responses:,} responses and {self.theme_assignments:,} theme assignments"
        if self.agrees:
            return f"The summaries agree with a full recount of {counted}."
        wrong = (
            f"{self.wrong_response_rows} response count(s), {self.wrong_theme_rows} theme count(s) "
            f"and {self.wrong_campaign_rows} campaign summary row(s)"
        )
        if self.repaired:
            return f"The summaries differed from a full recount of {counted} in {wrong}; they now hold the recount."
        return f"The summaries differ from a full recount of {counted} in {wrong}; run with --repair to fix them."


def _differences(expected: dict, stored: dict) -> int:
    return sum(1 for key in set(expected) | set(stored) if expected.get(key, 0) != stored.get(key, 0))


def _campaign_differences(session: Session) -> int:
    """Campaign summary rows (theme counts, leads, lead themes) that differ from a recount."""
    expected = _as_counts(session.execute(text(RECOUNT_CAMPAIGN_THEMES)))
    stored = _as_counts(session.execute(text(_stored("campaign_theme_counts", THEME_KEY))))
    expected_leads = _as_leads(session.execute(text(RECOUNT_LEADS)))
    stored_leads = _as_leads(session.execute(text(STORED_LEADS)))
    expected_themes = set(session.execute(text(RECOUNT_LEAD_THEMES)).tuples())
    stored_themes = set(session.execute(text(STORED_LEAD_THEMES)).tuples())
    return (
        _differences(expected, stored)
        + sum(1 for key in set(expected_leads) | set(stored_leads) if expected_leads.get(key) != stored_leads.get(key))
        + len(expected_themes ^ stored_themes)
    )


def check_summaries(session: Session, *, repair: bool = False) -> SummaryCheck:
    """Compare the summaries with a full recount from the rows; with `repair`, replace them by the recount."""
    if repair and session.get_bind().dialect.name == "postgresql":
        # Writers wait while the summaries are rebuilt; the recount then sees every committed change.
        tables = ", ".join(("response_counts", "theme_counts", *CAMPAIGN_TABLES))
        session.execute(text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))
    expected = _as_counts(session.execute(text(RECOUNT_RESPONSES)))
    expected_themes = _as_counts(session.execute(text(RECOUNT_THEMES)))
    stored = _as_counts(session.execute(text(_stored("response_counts", RESPONSE_KEY))))
    stored_themes = _as_counts(session.execute(text(_stored("theme_counts", THEME_KEY))))
    result = SummaryCheck(
        responses=sum(expected.values()),
        theme_assignments=sum(expected_themes.values()),
        wrong_response_rows=_differences(expected, stored),
        wrong_theme_rows=_differences(expected_themes, stored_themes),
        wrong_campaign_rows=_campaign_differences(session),
    )
    if repair and not result.agrees:
        rebuild_summaries(session)
        rebuild_campaign_summaries(session)
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


def rebuild_campaign_summaries(session_or_connection) -> None:
    """Replace the campaign summaries with a full recount (their migration's backfill, and `--repair`)."""
    execute = session_or_connection.execute
    for table in CAMPAIGN_TABLES:
        execute(text(f"DELETE FROM {table}"))
    columns = ", ".join((*THEME_KEY, "slot", "responses"))
    recount = RECOUNT_CAMPAIGN_THEMES.replace(", count(*)", ", 0, count(*)")
    execute(text(f"INSERT INTO campaign_theme_counts ({columns}) {recount}"))
    execute(text(f"INSERT INTO campaign_leads ({', '.join(LEAD_KEY + LEAD_FACTS)}) {RECOUNT_LEADS}"))
    execute(text(f"INSERT INTO campaign_lead_themes (response_id, theme_id) {RECOUNT_LEAD_THEMES}"))
