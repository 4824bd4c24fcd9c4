"""The triggers that keep the summary tables exact, written once for PostgreSQL and SQLite.

Each trigger adds up the change it sees as signed deltas per summary key and applies them in one upsert per
summary table. On PostgreSQL the triggers run once per statement and read the statement's rows from its transition
tables, so a COPY of 100,000 imported responses or the bulk UPDATE that re-judges lateness costs one grouped upsert,
not 100,000. SQLite has only row triggers; there the same SQL reads a one-row table made of NEW or OLD.

A response is counted out BEFORE it is deleted (a row trigger in both databases), while its analysis and themes can
still be read; the cascades that follow find no response and count nothing. Analyses and themes count their
response as it is now.
"""

from dataclasses import dataclass

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
RESPONSE_ROW = ("id", "consultation_id", "station_id", "channel", "respondent_type", "late", "status")
ANALYSIS_ROW = ("response_id", "stance", "campaign_id")
THEME_ROW = ("id", "response_id", "theme_id")
RESPONSE_COUNTED = "r.consultation_id, r.station_id, r.channel, coalesce(r.respondent_type, '') AS respondent_type, "
THEME_COUNTED = "r.consultation_id, r.station_id, r.late, r.status"


def _responses(source: str, sign: int) -> str:
    """Response rows with their analysis as it is now, for response_counts."""
    return (
        f"SELECT {RESPONSE_COUNTED}r.late, r.status, coalesce(a.stance, '') AS stance, "
        f"coalesce(a.campaign_id, 0) AS campaign_id, {sign} AS delta "
        f"FROM {source} AS r LEFT JOIN response_analyses AS a ON a.response_id = r.id"
    )


def _inserted_responses(source: str) -> str:
    """Newly inserted responses, for response_counts: uncoded, and reading neither response_analyses nor
    theme_assignments. On PostgreSQL their foreign keys mean no analysis or theme assignment can name a response
    before it is stored, so the join `_responses` makes would find nothing, after reading through a whole table of
    analyses for a statement of thousands of rows (an import's COPY)."""
    return f"SELECT {RESPONSE_COUNTED}r.late, r.status, '' AS stance, 0 AS campaign_id, 1 AS delta FROM {source} AS r"


def _response_themes(source: str, sign: int) -> str:
    """Response rows with their theme assignments as they are now, for theme_counts."""
    return (
        f"SELECT {THEME_COUNTED}, t.theme_id, {sign} AS delta "
        f"FROM {source} AS r JOIN theme_assignments AS t ON t.response_id = r.id"
    )


def _analyses(source: str, sign: int, *, coded: bool) -> str:
    """Analysis rows counted under their response (as if uncoded unless `coded`), for response_counts."""
    stance, campaign = ("coalesce(x.stance, '')", "coalesce(x.campaign_id, 0)") if coded else ("''", "0")
    return (
        f"SELECT {RESPONSE_COUNTED}r.late, r.status, {stance} AS stance, {campaign} AS campaign_id, {sign} AS delta "
        f"FROM {source} AS x JOIN responses AS r ON r.id = x.response_id"
    )


def _themes(source: str, sign: int) -> str:
    """Theme assignments counted under their response, for theme_counts."""
    counted = f"SELECT {THEME_COUNTED}, x.theme_id, {sign} AS delta"
    return f"{counted} FROM {source} AS x JOIN responses AS r ON r.id = x.response_id"


def upsert_deltas(dialect: str, table: str, key: tuple[str, ...], parts: list[str]) -> str:
    """One upsert adding the parts' deltas per key (a key left unchanged by the statement adds nothing)."""
    columns = ", ".join(key)
    slot = f"pg_backend_pid() % {SUMMARY_SLOTS}" if dialect == "postgresql" else "0"
    return (
        f"INSERT INTO {table} ({columns}, slot, responses) SELECT {columns}, {slot}, sum(delta) "
        f"FROM ({' UNION ALL '.join(parts)}) AS changes GROUP BY {columns} HAVING sum(delta) <> 0 "
        f"ON CONFLICT ({columns}, slot) DO UPDATE SET responses = {table}.responses + excluded.responses"
    )


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    event: str  # INSERT, UPDATE or DELETE
    row_columns: tuple[str, ...]  # the columns the statements read from the changed rows
    changed: tuple[str, ...]  # UPDATE: the columns whose change matters
    match_on: str  # UPDATE: the column pairing old and new rows
    before_each_row: bool = False


TRIGGERS = (
    Trigger("responses_counted_insert", "responses", "INSERT", RESPONSE_ROW, (), "id"),
    Trigger("responses_counted_update", "responses", "UPDATE", RESPONSE_ROW, RESPONSE_ROW[1:], "id"),
    Trigger("responses_counted_delete", "responses", "DELETE", RESPONSE_ROW, (), "id", before_each_row=True),
    Trigger("analyses_counted_insert", "response_analyses", "INSERT", ANALYSIS_ROW, (), "response_id"),
    Trigger("analyses_counted_update", "response_analyses", "UPDATE", ANALYSIS_ROW, ANALYSIS_ROW[1:], "response_id"),
    Trigger("analyses_counted_delete", "response_analyses", "DELETE", ANALYSIS_ROW, (), "response_id"),
    Trigger("themes_counted_insert", "theme_assignments", "INSERT", THEME_ROW, (), "id"),
    Trigger("themes_counted_update", "theme_assignments", "UPDATE", THEME_ROW, THEME_ROW[1:], "id"),
    Trigger("themes_counted_delete", "theme_assignments", "DELETE", THEME_ROW, (), "id"),
)


def differs(dialect: str, old: str, new: str, columns: tuple[str, ...]) -> str:
    operator = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"{old}.{column} {operator} {new}.{column}" for column in columns)


def changed_rows(dialect: str, trigger: Trigger) -> tuple[str, str]:
    """The old and the new rows as table expressions: transition tables (only rows whose counted columns changed)
    for a PostgreSQL statement trigger, a one-row select of OLD or NEW for a row trigger."""
    if dialect == "postgresql" and not trigger.before_each_row:
        if trigger.event != "UPDATE":
            return "old_rows", "new_rows"
        pair = f"JOIN new_rows AS n ON n.{trigger.match_on} = o.{trigger.match_on}"
        changed = differs(dialect, "o", "n", trigger.changed)
        return (
            f"(SELECT o.* FROM old_rows AS o {pair} WHERE {changed})",
            f"(SELECT n.* FROM old_rows AS o {pair} WHERE {changed})",
        )
    return tuple(
        "(SELECT " + ", ".join(f"{pseudo}.{column} AS {column}" for column in trigger.row_columns) + ")"
        for pseudo in ("OLD", "NEW")
    )


def _statements(dialect: str, trigger: Trigger) -> list[str]:
    old, new = changed_rows(dialect, trigger)
    changes = {"INSERT": [(new, 1)], "UPDATE": [(old, -1), (new, 1)], "DELETE": [(old, -1)]}[trigger.event]
    if trigger.table == "responses" and trigger.event == "INSERT" and dialect == "postgresql":
        counts, themes = [_inserted_responses(new)], []
    elif trigger.table == "responses":
        counts = [_responses(source, sign) for source, sign in changes]
        themes = [_response_themes(source, sign) for source, sign in changes]
    elif trigger.table == "response_analyses":
        # A new analysis moves its response out of the uncoded key; a deleted one moves it back.
        uncoded = {"INSERT": [(new, -1)], "DELETE": [(old, 1)]}.get(trigger.event, [])
        counts = [_analyses(source, sign, coded=True) for source, sign in changes]
        counts += [_analyses(source, sign, coded=False) for source, sign in uncoded]
        themes = []
    else:
        counts, themes = [], [_themes(source, sign) for source, sign in changes]
    statements = [upsert_deltas(dialect, "response_counts", RESPONSE_KEY, counts)] if counts else []
    if themes:
        statements.append(upsert_deltas(dialect, "theme_counts", THEME_KEY, themes))
    return statements


def _postgresql_ddl(trigger: Trigger) -> list[str]:
    body = "; ".join(_statements("postgresql", trigger))
    if trigger.before_each_row:
        timing, returns, each = f"BEFORE {trigger.event} ON {trigger.table}", "OLD", "ROW"
    else:
        timing, returns, each = f"AFTER {trigger.event} ON {trigger.table}", "NULL", "STATEMENT"
        tables = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}
        timing += " REFERENCING " + tables.get(trigger.event, "OLD TABLE AS old_rows NEW TABLE AS new_rows")
    return [
        f"CREATE FUNCTION {trigger.name}() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN {body}; RETURN {returns}; END $$",
        f"CREATE TRIGGER {trigger.name} {timing} FOR EACH {each} EXECUTE FUNCTION {trigger.name}()",
    ]


def _sqlite_ddl(trigger: Trigger) -> list[str]:
    timing = f"{'BEFORE' if trigger.before_each_row else 'AFTER'} {trigger.event}"
    if trigger.changed:
        timing += f" OF {', '.join(trigger.changed)}"
    when = f" WHEN {differs('sqlite', 'OLD', 'NEW', trigger.changed)}" if trigger.changed else ""
    body = "; ".join(_statements("sqlite", trigger))
    return [f"CREATE TRIGGER {trigger.name} {timing} ON {trigger.table} FOR EACH ROW{when} BEGIN {body}; END"]


def trigger_ddl(dialect: str) -> list[str]:
    """CREATE statements for every summary trigger (and its function on PostgreSQL)."""
    make = _postgresql_ddl if dialect == "postgresql" else _sqlite_ddl
    return [statement for trigger in TRIGGERS for statement in make(trigger)]


def drop_trigger_ddl(dialect: str, triggers: tuple[Trigger, ...] | list[Trigger] | None = None) -> list[str]:
    """DROP statements for the summary triggers, or for `triggers` (the campaign summaries' own)."""
    triggers = TRIGGERS if triggers is None else triggers
    if dialect != "postgresql":
        return [f"DROP TRIGGER IF EXISTS {trigger.name}" for trigger in triggers]
    return [
        statement
        for trigger in triggers
        for statement in (
            f"DROP TRIGGER IF EXISTS {trigger.name} ON {trigger.table}",
            f"DROP FUNCTION IF EXISTS {trigger.name}()",
        )
    ]
