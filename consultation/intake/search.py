"""Word search over the free-text answers, for the response listing (the console's explorer and the API).

A response matches when one of its free-text answers holds every word searched for. On PostgreSQL that is
full-text search in the English configuration over `answers.search_text` (a generated tsvector behind a GIN index),
so words match their stems ("closing" finds "closed"). On SQLite, the embedded default, each word is looked for as
part of the lower-case text with LIKE ("close" finds "closing", but not the other way round).

The number of matches is exact up to EXACT_COUNT_LIMIT; past it, PostgreSQL's planner estimates it and the page
says it is an estimate, so a common word over a million responses costs no full count.
"""

import json
import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, cast, func, literal, select
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session

from consultation.errors import ValidationFailed
from consultation.intake.models import Answer, Response

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
EXACT_COUNT_LIMIT = 10_000
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


def matching(session: Session, q: str) -> ColumnElement:
    """A WHERE clause on `responses`: one of the response's free-text answers holds every word of `q`."""
    words = search_words(q)
    if session.get_bind().dialect.name == "postgresql":
        query = func.plainto_tsquery(cast(literal(SEARCH_CONFIGURATION), REGCONFIG), " ".join(words))
        answer_matches = Answer.search_text.op("@@")(query)
    else:
        answer_matches = and_(*(Answer.search_text.like(_like_pattern(word), escape="\\") for word in words))
    return Response.id.in_(select(Answer.response_id).where(answer_matches))


def count_matches(session: Session, matches: Select) -> MatchCount:
    """How many rows `matches` selects: exact on SQLite and, on PostgreSQL, up to EXACT_COUNT_LIMIT; past it there,
    the planner's estimate (never below the limit, which is known to be passed)."""
    if session.get_bind().dialect.name != "postgresql":
        return MatchCount(session.scalar(select(func.count()).select_from(matches.subquery())), exact=True)
    capped = select(func.count()).select_from(matches.limit(EXACT_COUNT_LIMIT + 1).subquery())
    count = session.scalar(capped)
    if count <= EXACT_COUNT_LIMIT:
        return MatchCount(count, exact=True)
    compiled = matches.compile(session.get_bind())
    plan = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled.string}", compiled.params).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return MatchCount(max(int(plan[0]["Plan"]["Plan Rows"]), EXACT_COUNT_LIMIT + 1), exact=False)
