"""The fast intake path: the questionnaire and stations cached per process once frozen, one statement per
submission on PostgreSQL, and the deadline never served from the cache."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consultation.catalog.models import Station
from consultation.extensions import db
from consultation.intake import service
from consultation.intake.models import Response
from consultation.intake.structure import intake_structure
from tests.intake.conftest import GOOD_ANSWERS, assert_error


def test_a_consultation_without_responses_is_read_afresh_every_time(session, consultation, during):
    first = intake_structure(session, "library-hours")
    assert intake_structure(session, "library-hours") is not first  # not frozen yet: its stations may change


def test_once_responses_exist_the_structure_is_cached_until_this_process_changes_it(
    session, submit, consultation, during
):
    assert submit().status_code == 201
    cached = intake_structure(session, "library-hours")
    assert intake_structure(session, "library-hours") is cached
    station = session.scalar(select(Station).where(Station.slug == "barking"))
    station.name = "Barking (renamed)"
    session.commit()
    assert intake_structure(session, "library-hours") is not cached


def test_a_submission_with_a_cached_structure_writes_in_one_statement_on_postgresql(
    session, submit, consultation, during, count_queries, without_analysis
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the one-statement write is PostgreSQL's (SQLite runs the same inserts one after the other)")
    assert submit().status_code == submit().status_code == 201  # the second finds responses, and caches
    session.remove()
    statements = count_queries(lambda: submit(headers={"Idempotency-Key": "one-trip"}))
    # The write alone: the reference is drawn with no lookup (its unique constraint decides), no BEGIN or COMMIT,
    # no other read.
    assert statements == 1, count_queries.statements
    assert count_queries.statements[0].startswith("WITH open_consultation")
    assert session.scalar(select(func.count(Response.id))) == 3


def test_the_deadline_is_checked_on_every_submission_even_with_a_cached_structure(
    session, submit, consultation, freeze
):
    freeze(datetime(2017, 6, 1, 12, 0, tzinfo=UTC))
    assert submit().status_code == 201
    intake_structure(session, "library-hours")  # cached now
    closes_at = consultation.closes_at
    freeze(closes_at)
    assert_error(submit(), 409, "consultation_closed")
    freeze(closes_at - timedelta(milliseconds=1))
    assert submit().status_code == 201


def test_a_replay_after_the_deadline_still_returns_the_first_result(session, submit, consultation, freeze):
    freeze(datetime(2017, 6, 1, 12, 0, tzinfo=UTC))
    first = submit(headers={"Idempotency-Key": "before-close"})
    freeze(consultation.closes_at + timedelta(hours=1))
    again = submit(headers={"Idempotency-Key": "before-close"})
    assert again.status_code == 201 and again.get_json()["reference"] == first.get_json()["reference"]


def test_the_receipt_names_the_station_and_the_stored_response(session, consultation, during):
    receipt = service.submit_response(session, slug="library-hours", station="woodford", answers=GOOD_ANSWERS)
    stored = service.get_response_by_reference(session, receipt.reference)
    assert (receipt.station, receipt.response_id) == ("woodford", stored.id)
