"""Word search over the free-text answers, for the response listing (the console's explorer and the API).

A response matches when one of its free-text answers holds every word searched for. On PostgreSQL that is
full-text search in the English configuration over `answers.search_text` (a generated tsvector behind a GIN index),
so words match their stems ("closing" finds "closed"). On SQLite, the embedded default, each word is looked for as
part of the lower-case text with LIKE ("close" finds "closing", but not the other way round).

The number of matches is exact up to EXACT_COUNT_LIMIT; past it, PostgreSQL's planner estimates it and the page
says it is an estimate, so a common word over a million responses costs no full count. On PostgreSQL the count is
driven from the answers' index and stops at the limit (a semi-join of responses to the matching answers would
first gather every match: 1.5 s for a word in one response of six at a million, against 0.1 s).
"""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from psycopg.errors import QueryCanceled
from sqlalchemy import ColumnElement, Select, and_, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from consultation.errors import ValidationFailed
from consultation.intake.models import Answer, Response

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
EXACT_COUNT_LIMIT = 10_000
# A page read response by response gives up after this long (the matches lie far from where the walk starts) and
# is read from the answers' index instead.
WALK_TIME_LIMIT_MS = 300
SEARCH_CONFIGURATION = "english"


@dataclass(frozen=True)
class MatchCount:
    count: int
    exact: bool


def search_words(q: str) -> list[str]:
    """The words of a query (letters and digits, lower case); a clear error when there are none."""
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationFailed({"q": [f"At most {MAX_QUERY_LENGTH} characters."]})
    words = re.findall(r"\w+", q.lower())
    if not words:
        raise ValidationFailed({"q": ["Give at least one word to search for."]})
    if len(words) > MAX_WORDS:
        raise ValidationFailed({"q": [f"At most {MAX_WORDS} words."]})
    return words


def _like_pattern(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def answer_matches(session: Session, q: str) -> ColumnElement:
    """A WHERE clause on `answers`: the free text holds every word of `q`."""
    words = search_words(q)
    if session.get_bind().dialect.name == "postgresql":
        query = func.plainto_tsquery(cast(literal(SEARCH_CONFIGURATION), REGCONFIG), " ".join(words))
        return Answer.search_text.op("@@")(query)
    return and_(*(Answer.search_text.like(_like_pattern(word), escape="\\") for word in words))


def matching(session: Session, q: str) -> ColumnElement:
    """A WHERE clause on `responses`: one of the response's free-text answers holds every word of `q`."""
    return Response.id.in_(select(Answer.response_id).where(answer_matches(session, q)))


@contextmanager
def one_process_plan(session: Session) -> Iterator[None]:
    """Run a page of matching responses without parallel workers on PostgreSQL.

    A page walks the responses in date (or id) order and checks each one's answers until it has enough matches.
    With parallel workers each worker walks its own share ahead and the leader waits for them: at a million
    responses a two-word query found in one response of 36 took 216 to 354 ms that way, against 25 to 27 ms walked
    in one process. The count, which reads the index's matches in bulk, keeps its parallel plan: the setting is restored
    for the rest of the transaction. When the page fails, the transaction is rolled back, which undoes the setting
    too; restoring it then would only hide the real error."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    yield
    session.execute(text("SET LOCAL max_parallel_workers_per_gather TO DEFAULT"))
    session.execute(text("SET LOCAL plan_cache_mode TO DEFAULT"))


def page_matching(session: Session, q: str, count: MatchCount) -> ColumnElement:
    """A WHERE clause on `responses` for a page of matches, shaped by how many match.

    Few matches (an exact count): the semi-join, read from the answers' index. Many (past the exact limit): each
    response in page order is checked on its own until the page is full, which ends soon because matches are
    common; the planner, which estimates a query of several words as far rarer than it is, would otherwise read
    every match and sort them (166,469 of them, for a pair found in one response of six at a million)."""
    if count.exact or session.get_bind().dialect.name != "postgresql":
        return matching(session, q)
    probe = select(literal(True)).where(Answer.response_id == Response.id, answer_matches(session, q)).limit(1)
    return probe.scalar_subquery()


def read_matching_page(session: Session, q: str, count: MatchCount, read: Callable[[ColumnElement], list]) -> list:
    """The page `read(clause)` reads with the words' WHERE clause on `responses`, chosen by the count.

    A walk response by response (many matches) is fast when matches are spread through the responses; when they
    cluster far from where it starts (a word of the last week, read oldest first) it could check nearly every
    response. So it runs in a savepoint under WALK_TIME_LIMIT_MS, and past that the page is read from every
    match the answers' index holds, gathered first: slower than a good walk, but bounded by the matches."""
    if count.exact or session.get_bind().dialect.name != "postgresql":
        with one_process_plan(session):
            return read(page_matching(session, q, count))
    try:
        with session.begin_nested():
            session.execute(text(f"SET LOCAL statement_timeout = {int(WALK_TIME_LIMIT_MS)}"))
            with one_process_plan(session):
                rows = read(page_matching(session, q, count))
            session.execute(text("SET LOCAL statement_timeout TO DEFAULT"))
        return rows
    except OperationalError as error:
        if not isinstance(error.orig, QueryCanceled):
            raise
    gathered = select(Answer.response_id).where(answer_matches(session, q)).cte("matches").prefix_with("MATERIALIZED")
    with one_process_plan(session):
        return read(Response.id.in_(select(gathered.c.response_id)))


def count_matches(session: Session, q: str, responses: Select) -> MatchCount:
    """How many of the responses `responses` selects (their ids first, every filter but the words) match `q`: exact on
    SQLite and, on PostgreSQL, up to EXACT_COUNT_LIMIT; past it there, the planner's estimate (never below the
    limit, which is known to be passed)."""
    matches = responses.where(matching(session, q))
    if session.get_bind().dialect.name != "postgresql":
        return MatchCount(session.scalar(select(func.count()).select_from(matches.subquery())), exact=True)
    count = _count_up_to_limit(session, q, responses)
    if count <= EXACT_COUNT_LIMIT:
        return MatchCount(count, exact=True)
    return MatchCount(max(_planned_rows(session, matches), EXACT_COUNT_LIMIT + 1), exact=False)


def estimate_from_page(
    session: Session, count: MatchCount, responses: Select, bounds: list[ColumnElement], found: int, full: bool
) -> MatchCount:
    """A better estimate past the exact limit, from the page just read response by response.

    `responses` selects the ids every filter but the words keeps; `bounds` narrow them to those the page's walk went
    through (from the cursor to the page's last row), and `found` of those matched. The share that matched, times
    the planner's estimate of all the filtered responses, estimates the matches; the planner alone judges a query of
    several words by its words' separate frequencies and can be wrong twentyfold. Unchanged when the count is
    exact, on SQLite, or when the walk reached the end before the page was full."""
    if count.exact or not full or found == 0 or session.get_bind().dialect.name != "postgresql":
        return count
    walked = session.scalar(select(func.count()).select_from(responses.where(*bounds).subquery()))
    if not walked:
        return count
    estimate = _two_figures(_planned_rows(session, responses) * found / walked)  # no more precise than it is
    return MatchCount(max(estimate, EXACT_COUNT_LIMIT + 1), exact=False)


def _two_figures(number: float) -> int:
    """Rounded to two significant figures: 31,231 becomes 31,000."""
    return int(float(f"{number:.2g}"))


def _planned_rows(session: Session, query: Select) -> int:
    """The planner's estimate of how many rows `query` returns (no rows are read)."""
    # The IN lists of a borough scope are expanded at execution; EXPLAIN is given the statement as text, so expand them.
    compiled = query.compile(session.get_bind(), compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled.string}", compiled.params).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _count_up_to_limit(session: Session, q: str, responses: Select) -> int:
    """The matching responses, counted exactly up to EXACT_COUNT_LIMIT + 1, reading matching answers from the
    index until there are that many. A response with several matching answers appears more than once among them,
    so when the answers run out first the distinct responses among them are the exact count; when the limit is
    reached with fewer distinct responses than that, the semi-join counts them instead (slower, and rare)."""
    cap = EXACT_COUNT_LIMIT + 1
    ids = responses.subquery()  # PostgreSQL pulls it up into the join: one plan, driven from the answers' index
    answers = (
        select(Answer.response_id)
        .join(ids, ids.c[0] == Answer.response_id)
        .where(answer_matches(session, q))
        .limit(cap)
        .subquery()
    )
    distinct, seen = session.execute(
        select(func.count(func.distinct(answers.c.response_id)), func.count()).select_from(answers)
    ).one()
    if seen < cap or distinct >= cap:
        return distinct
    capped = responses.where(matching(session, q)).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(capped))
