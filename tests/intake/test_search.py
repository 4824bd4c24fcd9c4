"""Word search in the response listing: `q` keeps the responses whose free text holds every word, with a count."""

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from consultation.accounts.models import User
from consultation.extensions import db
from consultation.intake import reading, search, service
from tests.intake.conftest import GOOD_ANSWERS, assert_error

URL = "/api/v1/consultations/library-hours/responses"
TEXTS = [
    ("dagenham", "Keep the station open"),
    ("barking", "The counter helps elderly people"),
    ("woodford", "This station closed before"),
    ("dagenham", "Elderly neighbours use the station"),
    ("barking", "Online reporting works"),
]
on_postgresql = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="stems are PostgreSQL's full-text search; SQLite's embedded search matches parts of words",
)


@pytest.fixture
def texts(session, tokens, consultation):
    start = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)
    receipts = []
    for hour, (station, why) in enumerate(TEXTS):
        receipts.append(
            service.submit_response(
                session,
                slug="library-hours",
                station=station,
                answers={**GOOD_ANSWERS, "why": why},
                received_at=start + timedelta(hours=hour),
            )
        )
    return receipts


def _search(client, auth, query: str) -> dict:
    response = client.get(f"{URL}?{query}", headers=auth("reviewer"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _whys(body: dict) -> list[str]:
    return [item["answers"]["why"] for item in body["responses"]]


def test_every_word_must_be_in_the_text_in_any_order_and_case(client, auth, texts):
    body = _search(client, auth, "q=ELDERLY%20counter")
    assert _whys(body) == ["The counter helps elderly people"]
    assert (body["match_count"], body["match_count_exact"]) == (1, True)


def test_a_word_search_keeps_the_other_filters_and_counts_over_all_pages(client, auth, texts):
    body = _search(client, auth, "q=station&limit=1")
    assert _whys(body) == ["Keep the station open"]
    assert (body["match_count"], body["match_count_exact"]) == (3, True)
    assert body["next_cursor"] is not None
    body = _search(client, auth, "q=station&station=dagenham")
    assert _whys(body) == ["Keep the station open", "Elderly neighbours use the station"]
    assert body["match_count"] == 2


def test_without_a_search_the_page_carries_no_count(client, auth, texts):
    body = _search(client, auth, "limit=2")
    assert body["match_count"] is None and body["match_count_exact"] is None


def test_a_search_that_matches_nothing_is_an_empty_page(client, auth, texts):
    body = _search(client, auth, "q=helicopter")
    assert body["responses"] == [] and body["match_count"] == 0


@pytest.mark.parametrize("query", ["q=", "q=%21%21%21", "q=" + "word%20" * 9, "q=" + "x" * 201])
def test_a_query_without_words_or_too_long_is_a_validation_error(client, auth, texts, query):
    body = assert_error(client.get(f"{URL}?{query}", headers=auth("reviewer")), 422, "validation_error")
    assert "q" in body["errors"]


def test_the_listing_service_takes_the_query_as_a_plain_parameter(session, texts):
    reviewer = session.query(User).filter_by(role="reviewer").one()
    page = reading.list_responses(session, reviewer, slug="library-hours", q="neighbours")
    assert [item["answers"]["why"] for item in page.responses] == ["Elderly neighbours use the station"]
    assert (page.match_count, page.match_count_exact) == (1, True)


def test_an_amended_answer_is_found_by_its_new_words(client, auth, session, texts, freeze):
    freeze(datetime(2017, 6, 2, 9, 0, tzinfo=UTC))
    receipt = texts[4]
    service.amend_response(
        session,
        reference=receipt.reference,
        edit_token=receipt.edit_token,
        answers={**GOOD_ANSWERS, "why": "Buses to the station are slow"},
    )
    assert _search(client, auth, "q=buses")["match_count"] == 1
    assert _search(client, auth, "q=online%20reporting")["match_count"] == 0


@on_postgresql
def test_postgresql_matches_words_by_their_english_stem(client, auth, texts):
    assert _whys(_search(client, auth, "q=closing")) == ["This station closed before"]


@on_postgresql
def test_past_the_exact_limit_postgresql_says_the_count_is_an_estimate(client, auth, texts, monkeypatch):
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 1)
    body = _search(client, auth, "q=station")
    assert body["match_count_exact"] is False
    assert body["match_count"] >= 2
    assert len(body["responses"]) == 3
    db.session.remove()


@on_postgresql
def test_a_response_whose_several_answers_match_is_counted_once_when_the_answers_fill_the_limit(
    client, auth, texts, monkeypatch, session
):
    from sqlalchemy import select

    from consultation.intake.models import Answer

    # The count reads matching answers up to the limit; give one response a second answer holding the same words,
    # so three matching answers come from two responses and the limit (three answers) is reached first.
    why = session.scalar(select(Answer).where(Answer.text == "Keep the station open"))
    other = session.scalar(
        select(Answer).where(Answer.response_id == why.response_id, Answer.id != why.id).order_by(Answer.id).limit(1)
    )
    other.text = "the station again"
    session.commit()
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 2)
    body = _search(client, auth, "q=station")
    assert (body["match_count"], body["match_count_exact"]) == (3, False)
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 3)
    body = _search(client, auth, "q=station")
    assert (body["match_count"], body["match_count_exact"]) == (3, True)


def _statements_during(function) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        function()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


@on_postgresql
def test_past_the_exact_limit_the_page_checks_responses_one_by_one_in_one_process_and_finds_the_same(
    client, auth, texts, monkeypatch
):
    # Few matches: the page is the semi-join on the answers' index. Many (an estimated count): each response, in
    # page order, is checked on its own, without parallel workers. Both give the same page.
    bodies = {}
    statements = {}
    for limit in (100, 1):
        monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", limit)
        statements[limit] = _statements_during(
            lambda limit=limit: bodies.update({limit: _search(client, auth, "q=station")})
        )
        db.session.remove()
    assert _whys(bodies[1]) == _whys(bodies[100]) and len(_whys(bodies[100])) == 3
    assert (bodies[100]["match_count_exact"], bodies[1]["match_count_exact"]) == (True, False)
    for limit, probe_expected in ((100, False), (1, True)):
        page = next(index for index, sql in enumerate(statements[limit]) if sql.startswith("SELECT responses.id,"))
        sql = statements[limit][page]
        assert ("answers.response_id = responses.id" in sql) is probe_expected, sql
        assert statements[limit][page - 2 : page] == [
            "SET LOCAL max_parallel_workers_per_gather = 0",
            "SET LOCAL plan_cache_mode = force_custom_plan",
        ]
        assert statements[limit][page + 2] == "SET LOCAL max_parallel_workers_per_gather TO DEFAULT"


@on_postgresql
def test_past_the_exact_limit_the_estimate_comes_from_the_share_of_the_page_walk_that_matched(
    client, auth, texts, monkeypatch
):
    # Five responses, three with "station": the first page of one (two read) walks three responses and finds
    # two, so two thirds of the five filtered responses are estimated to match: 3.3, so 3.
    db.session.execute(sa.text("ANALYZE responses"))
    db.session.commit()
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 1)
    body = _search(client, auth, "q=station&limit=1")
    assert (body["match_count"], body["match_count_exact"]) == (3, False)
    db.session.remove()


def test_an_estimate_is_given_to_two_significant_figures():
    assert [search._two_figures(n) for n in (3.3, 31_231, 196_498, 10_001)] == [3, 31_000, 200_000, 10_000]


@on_postgresql
@pytest.mark.parametrize("limit", [1, 100])
def test_an_organiser_searches_their_boroughs_past_the_exact_limit_and_within_it(
    client, auth, texts, monkeypatch, limit
):
    # An organiser's scope is an IN list of their boroughs' stations; the estimate explains the query to the
    # planner, which must be given that list expanded.
    db.session.execute(sa.text("ANALYZE responses"))
    db.session.commit()
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", limit)
    response = client.get(f"{URL}?q=station&limit=1", headers=auth("organiser"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [item["station"] for item in body["responses"]] == ["dagenham"]  # Woodford is outside Barking and Dagenham
    assert body["match_count_exact"] is (limit == 100)
    assert body["match_count"] == 2 if limit == 100 else body["match_count"] >= 2
    db.session.remove()


@on_postgresql
def test_a_page_that_fails_in_one_process_surfaces_its_own_error(session):
    from sqlalchemy.exc import DataError

    with pytest.raises(DataError, match="division by zero"):
        with search.one_process_plan(session):
            session.execute(sa.text("SELECT 1 / 0"))  # stands for a page cut short: a timeout, a lost connection
    session.rollback()
    assert session.execute(sa.text("SHOW max_parallel_workers_per_gather")).scalar() != "0"  # undone by the rollback


@on_postgresql
def test_a_walk_past_its_time_limit_gives_way_to_the_page_read_from_the_index(client, auth, texts, monkeypatch):
    exact = _whys(_search(client, auth, "q=station"))
    db.session.remove()
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 1)
    monkeypatch.setattr(search, "WALK_TIME_LIMIT_MS", 50)
    # A walk that cannot finish in time, as when the matches lie far from where it starts.
    monkeypatch.setattr(search, "page_matching", lambda *args: sa.text("pg_sleep(0.2) IS NOT NULL"))
    bodies = []
    statements = _statements_during(lambda: bodies.append(_search(client, auth, "q=station")))
    assert _whys(bodies[0]) == exact and len(exact) == 3
    assert bodies[0]["match_count_exact"] is False
    walk = next(index for index, sql in enumerate(statements) if "pg_sleep" in sql)
    assert statements[walk - 3] == "SET LOCAL statement_timeout = 50"  # inside its savepoint
    assert any(sql.startswith("WITH matches AS MATERIALIZED") for sql in statements[walk + 1 :])  # then the index
    assert db.session.execute(sa.text("SHOW statement_timeout")).scalar() == "0"  # the limit held the walk only
    db.session.remove()
