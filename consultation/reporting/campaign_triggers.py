"""The triggers that keep the campaign summaries exact (`campaign_theme_counts`, `campaign_leads` and
`campaign_lead_themes`, described in `reporting/models.py`), written once for PostgreSQL and SQLite with the row
sources and the upsert of `summary_triggers.py`.

Each trigger first turns the rows it sees into campaign *members* as they were (old) and as they are now (new):
a response id and the combination it counts in (consultation, station, campaign, late, status). Then:

- `campaign_theme_counts` takes the old members' theme assignments off and adds the new members' on;
- a lead that left its combination (withdrawn, moved, re-judged late, out of the campaign, deleted) gives way to
  the lowest member still there, found through the campaign's index: the only statement that reads members;
- a new member lower than its combination's lead, or its first, becomes the lead; a lead still there is written
  again, so a change of its stance, channel or respondent type reaches its row;
- a lead left with no member in its combination is deleted;
- the theme rows of the touched combinations' leads are written again.

Nothing runs for rows that are no campaign's members (the guard of each trigger). A response is taken out BEFORE it
is deleted (a row trigger in both databases), while its analysis and themes can still be read, and the member that
replaces it is looked for among the others. Responses are never members when they are inserted (their analysis
comes later), so inserts of responses need no trigger. On PostgreSQL the statement triggers run their statements
through EXECUTE, so each is planned for the number of rows it sees (see `_postgresql_ddl`).
"""

from consultation.reporting.summary_triggers import (
    ANALYSIS_ROW,
    RESPONSE_ROW,
    THEME_KEY,
    THEME_ROW,
    Trigger,
    changed_rows,
    differs,
    drop_trigger_ddl,
    upsert_deltas,
)

LEAD_KEY = ("consultation_id", "station_id", "campaign_id", "late", "status")
LEAD_FACTS = ("response_id", "stance", "channel", "respondent_type")
# The combination of a response apart from its campaign, which comes from its analysis.
RESPONSE_PART = ("consultation_id", "station_id", "late", "status")
# A lead's row, from its response (r) and analysis (a) as they are now.
LEAD_ROW = (
    "r.consultation_id, r.station_id, a.campaign_id, r.late, r.status, "
    "r.id, coalesce(a.stance, ''), r.channel, coalesce(r.respondent_type, '')"
)
CAMPAIGN_TABLES = ("campaign_theme_counts", "campaign_leads", "campaign_lead_themes")

TRIGGERS = (
    Trigger("campaigns_counted_responses_update", "responses", "UPDATE", RESPONSE_ROW, RESPONSE_ROW[1:], "id"),
    Trigger("campaigns_counted_responses_delete", "responses", "DELETE", RESPONSE_ROW, (), "id", before_each_row=True),
    Trigger("campaigns_counted_analyses_insert", "response_analyses", "INSERT", ANALYSIS_ROW, (), "response_id"),
    Trigger(
        "campaigns_counted_analyses_update",
        "response_analyses",
        "UPDATE",
        ANALYSIS_ROW,
        ANALYSIS_ROW[1:],
        "response_id",
    ),
    Trigger("campaigns_counted_analyses_delete", "response_analyses", "DELETE", ANALYSIS_ROW, (), "response_id"),
    Trigger("campaigns_counted_themes_insert", "theme_assignments", "INSERT", THEME_ROW, (), "id"),
    Trigger("campaigns_counted_themes_update", "theme_assignments", "UPDATE", THEME_ROW, THEME_ROW[1:], "id"),
    Trigger("campaigns_counted_themes_delete", "theme_assignments", "DELETE", THEME_ROW, (), "id"),
)

_KEY = ", ".join(LEAD_KEY)
_INSERT_LEAD = (
    f"INSERT INTO campaign_leads ({_KEY}, {', '.join(LEAD_FACTS)}) SELECT {LEAD_ROW} "
    "FROM responses AS r JOIN response_analyses AS a ON a.response_id = r.id WHERE r.id IN "
)
_SET_LEAD = f"ON CONFLICT ({_KEY}) DO UPDATE SET " + ", ".join(f"{fact} = excluded.{fact}" for fact in LEAD_FACTS)


def _match(left: str, right: str, columns: tuple[str, ...] = LEAD_KEY) -> str:
    return " AND ".join(f"{left}.{column} = {right}.{column}" for column in columns)


def _members(table: str, source: str) -> str:
    """The campaign members among rows of `responses` or `response_analyses`: id and combination."""
    if table == "responses":
        return (
            f"SELECT r.id, r.consultation_id, r.station_id, a.campaign_id, r.late, r.status FROM {source} AS r "
            "JOIN response_analyses AS a ON a.response_id = r.id WHERE a.campaign_id IS NOT NULL"
        )
    return (
        f"SELECT r.id, r.consultation_id, r.station_id, x.campaign_id, r.late, r.status FROM {source} AS x "
        "JOIN responses AS r ON r.id = x.response_id WHERE x.campaign_id IS NOT NULL"
    )


def _member_themes(members: str, sign: int) -> str:
    return (
        f"SELECT m.consultation_id, m.station_id, m.late, m.status, t.theme_id, {sign} AS delta "
        f"FROM ({members}) AS m JOIN theme_assignments AS t ON t.response_id = m.id"
    )


def _assigned_to_members(source: str, sign: int) -> str:
    """Theme assignments among rows of `theme_assignments` whose response is a campaign member."""
    return (
        f"SELECT r.consultation_id, r.station_id, r.late, r.status, x.theme_id, {sign} AS delta FROM {source} AS x "
        "JOIN responses AS r ON r.id = x.response_id "
        "JOIN response_analyses AS a ON a.response_id = x.response_id WHERE a.campaign_id IS NOT NULL"
    )


def _replace_lost(old: str, new: str | None, leaving: str) -> str:
    """Leads that left their combination (and are not in it now) give way to the lowest member still there, looked
    for per combination along the campaign's members in response order (an index), stopping at the first.

    Written to stay linear whatever the planner estimates for the changed rows (it cannot know how many): EXCEPT
    rather than NOT EXISTS, and a subquery per combination rather than a join, whose order the planner might get
    wrong (joining a station's responses to the combinations first)."""
    stays = f" EXCEPT SELECT * FROM ({new}) AS n" if new else ""
    leads = f"campaign_leads AS l ON l.response_id = o.id AND {_match('l', 'o')}"
    lost = f"SELECT o.* FROM ({old}) AS o JOIN {leads}{stays}"
    lowest = (
        "SELECT (SELECT m.id FROM response_analyses AS ma JOIN responses AS m ON m.id = ma.response_id "
        f"WHERE ma.campaign_id = k.campaign_id AND {_match('m', 'k', RESPONSE_PART)}{leaving} "
        f"ORDER BY ma.response_id LIMIT 1) FROM (SELECT DISTINCT {_KEY} FROM ({lost}) AS s) AS k"
    )
    return f"{_INSERT_LEAD}({lowest}) {_SET_LEAD}"


def _take_lower(new: str) -> str:
    """New members lower than their combination's lead (or its first) lead it; a lead still there is rewritten."""
    lowest = f"SELECT min(n.id) FROM ({new}) AS n GROUP BY {', '.join(f'n.{column}' for column in LEAD_KEY)}"
    return f"{_INSERT_LEAD}({lowest}) {_SET_LEAD} WHERE excluded.response_id <= campaign_leads.response_id"


def _drop_empty(old: str, leaving: str) -> str:
    """Leads of old members that are no longer members of their combination (none was left to replace them): the
    leads of old members, less those whose response, as it is now, still makes them up."""
    row = (*LEAD_KEY, "response_id")
    leads = f"SELECT {', '.join(f'l.{column}' for column in row)} FROM campaign_leads AS l"
    candidates = f"{leads} WHERE l.response_id IN (SELECT o.id FROM ({old}) AS o)"
    still = (
        "SELECT m.consultation_id, m.station_id, ma.campaign_id, m.late, m.status, m.id "
        f"FROM responses AS m JOIN response_analyses AS ma ON ma.response_id = m.id "
        f"WHERE m.id IN (SELECT o.id FROM ({old}) AS o){leaving}"
    )
    return f"DELETE FROM campaign_leads WHERE ({', '.join(row)}) IN ({candidates} EXCEPT {still})"


def _lead_statements(old: str | None, new: str | None, leaving: str) -> list[str]:
    """Keep the leads of the combinations that `old` members left and `new` members are in, and their themes."""
    touched = " UNION ".join(f"SELECT {_KEY} FROM ({members}) AS s" for members in (old, new) if members)
    leads_touched = f"campaign_leads AS l JOIN ({touched}) AS k ON {_match('l', 'k')}"
    statements = [f"DELETE FROM campaign_lead_themes WHERE response_id IN (SELECT l.response_id FROM {leads_touched})"]
    if old:
        statements.append(_replace_lost(old, new, leaving))
    if new:
        statements.append(_take_lower(new))
    if old:
        statements.append(_drop_empty(old, leaving))
    statements.append(
        "INSERT INTO campaign_lead_themes (response_id, theme_id) SELECT l.response_id, t.theme_id "
        f"FROM {leads_touched} JOIN theme_assignments AS t ON t.response_id = l.response_id WHERE 1 = 1 "
        "ON CONFLICT (response_id, theme_id) DO NOTHING"
    )
    return statements


def _lead_theme_statements(old: str | None, new: str | None) -> list[str]:
    """A lead's theme assignments, copied as they come and go."""
    statements = []
    if old:
        statements.append(
            "DELETE FROM campaign_lead_themes WHERE (response_id, theme_id) IN "
            f"(SELECT o.response_id, o.theme_id FROM {old} AS o)"
        )
    if new:
        statements.append(
            "INSERT INTO campaign_lead_themes (response_id, theme_id) "
            f"SELECT n.response_id, n.theme_id FROM {new} AS n "
            "WHERE n.response_id IN (SELECT response_id FROM campaign_leads) "
            "ON CONFLICT (response_id, theme_id) DO NOTHING"
        )
    return statements


def _plan(dialect: str, trigger: Trigger) -> tuple[str, list[str]]:
    """The guard (some changed row concerns a campaign member) and the statements of one trigger."""
    old, new = changed_rows(dialect, trigger)
    old = old if trigger.event != "INSERT" else None
    new = new if trigger.event != "DELETE" else None
    if trigger.table == "theme_assignments":
        sides = [(source, sign) for source, sign in ((old, -1), (new, 1)) if source]
        parts = [_assigned_to_members(source, sign) for source, sign in sides]
        guard = " OR ".join(f"EXISTS ({_assigned_to_members(source, sign)})" for source, sign in sides)
        statements = [upsert_deltas(dialect, "campaign_theme_counts", THEME_KEY, parts)]
        return guard, statements + _lead_theme_statements(old, new)
    old_members = _members(trigger.table, old) if old else None
    new_members = _members(trigger.table, new) if new else None
    sides = [(members, sign) for members, sign in ((old_members, -1), (new_members, 1)) if members]
    guard = " OR ".join(f"EXISTS ({members})" for members, _ in sides)
    statements = [upsert_deltas(dialect, "campaign_theme_counts", THEME_KEY, [_member_themes(*side) for side in sides])]
    leaving = " AND m.id <> OLD.id" if trigger.before_each_row else ""
    return guard, statements + _lead_statements(old_members, new_members, leaving)


def _postgresql_ddl(trigger: Trigger) -> list[str]:
    """A statement trigger runs its statements through EXECUTE, so each is planned for the rows it sees: a cached
    plan made for a statement of 100,000 rows would scan whole tables for the next one of a single row. The row
    trigger (a deletion) always sees one row, and keeps PL/pgSQL's cached plans."""
    guard, statements = _plan("postgresql", trigger)
    if trigger.before_each_row:
        body = f"IF {guard} THEN {'; '.join(statements)}; END IF"
        timing, returns, each = f"BEFORE {trigger.event} ON {trigger.table}", "OLD", "ROW"
    else:
        run = "".join(f"EXECUTE $sql${statement}$sql$; " for statement in statements)
        body = f"EXECUTE $sql$SELECT {guard}$sql$ INTO concerned; IF concerned THEN {run}END IF"
        timing, returns, each = f"AFTER {trigger.event} ON {trigger.table}", "NULL", "STATEMENT"
        tables = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows"}
        timing += " REFERENCING " + tables.get(trigger.event, "OLD TABLE AS old_rows NEW TABLE AS new_rows")
    return [
        f"CREATE FUNCTION {trigger.name}() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ DECLARE concerned boolean; BEGIN {body}; RETURN {returns}; END $$",
        f"CREATE TRIGGER {trigger.name} {timing} FOR EACH {each} EXECUTE FUNCTION {trigger.name}()",
    ]


def _sqlite_ddl(trigger: Trigger) -> list[str]:
    guard, statements = _plan("sqlite", trigger)
    timing = f"{'BEFORE' if trigger.before_each_row else 'AFTER'} {trigger.event}"
    when = f"({guard})"
    if trigger.changed:
        timing += f" OF {', '.join(trigger.changed)}"
        when = f"({differs('sqlite', 'OLD', 'NEW', trigger.changed)}) AND {when}"
    body = "; ".join(statements)
    return [f"CREATE TRIGGER {trigger.name} {timing} ON {trigger.table} FOR EACH ROW WHEN {when} BEGIN {body}; END"]


def campaign_trigger_ddl(dialect: str) -> list[str]:
    """CREATE statements for every campaign summary trigger (and its function on PostgreSQL)."""
    make = _postgresql_ddl if dialect == "postgresql" else _sqlite_ddl
    return [statement for trigger in TRIGGERS for statement in make(trigger)]


def drop_campaign_trigger_ddl(dialect: str) -> list[str]:
    return drop_trigger_ddl(dialect, TRIGGERS)
