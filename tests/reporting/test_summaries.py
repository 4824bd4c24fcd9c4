"""The summary tables behind the figures stay equal to a full recount through every write path, and the check
command finds and repairs a difference."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, text, update

from consultation.accounts.models import User
from consultation.accounts.service import create_user_with_token
from consultation.analysis.models import Codebook, Theme
from consultation.analysis.service.campaigns import refresh_campaigns
from consultation.analysis.service.coding import code_response
from consultation.catalog.service import get_consultation, update_consultation
from consultation.clock import london_wall_time
from consultation.extensions import db
from consultation.intake.imports import import_responses
from consultation.intake.models import Response
from consultation.intake.service import amend_response, submit_response, withdraw_response
from consultation.reporting.models import ResponseCount
from consultation.reporting.service import compute_aggregates
from consultation.reporting.summaries import check_summaries
from tests.intake.conftest import GOOD_ANSWERS, make_consultation

SLUG = "library-hours"
IMPORT_CSV = "\n".join(
    [
        "channel,received_at,station,connection,agreement,reporting,why,name,email,postcode,respondent_type",
        "paper,2017-09-06 10:00:00,dagenham,live_nearby,disagree,phone,Keep it,Ann,ann@example.org,rm10 8ab,resident",
        "email,2017-10-05 17:00:00,barking,work_nearby,agree,online,,,,,business",
        "paper,2017-10-09 09:15:00,woodford,live_nearby,neither,,Late by post,,,,",
    ]
)


def assert_agrees(session) -> None:
    result = check_summaries(session)
    assert result.agrees, result.sentence()


@pytest.fixture
def reviewer(boroughs):
    user, _ = create_user_with_token(db.session, name="Summary reviewer", role="reviewer")
    db.session.commit()
    return user


def _codebook(session, consultation_id: int) -> None:
    codebook = Codebook(consultation_id=consultation_id, description="Summary tests", stances={})
    codebook.themes = [Theme(key=key, label=key.title()) for key in ("access", "safety", "savings")]
    session.add(codebook)
    session.commit()


def _submit(session, station: str, moment: datetime):
    return submit_response(session, slug=SLUG, station=station, answers=GOOD_ANSWERS, received_at=moment)


def test_every_write_path_keeps_the_summaries_equal_to_a_recount(session, reviewer, freeze):
    consultation = make_consultation(SLUG)
    _codebook(session, consultation.id)
    freeze(datetime(2017, 6, 1, 12, 0, tzinfo=UTC))
    moment = datetime(2017, 6, 1, 12, 0, tzinfo=UTC)
    receipts = [_submit(session, station, moment) for station in ("dagenham", "dagenham", "barking", "woodford")]
    assert_agrees(session)
    assert compute_aggregates(session, get_consultation(session, SLUG))["overall"]["total"] == 4

    amend_response(session, reference=receipts[0].reference, edit_token=receipts[0].edit_token, station="woodford")
    assert_agrees(session)
    withdraw_response(session, reference=receipts[1].reference, edit_token=receipts[1].edit_token)
    assert_agrees(session)

    freeze(datetime(2017, 11, 1, 12, 0, tzinfo=UTC))
    report = import_responses(session, reviewer, slug=SLUG, filename="paper.csv", content=IMPORT_CSV.encode())
    assert (report.imported, report.late) == (3, 1)
    assert_agrees(session)

    # The deadline moves earlier: the email of 5 October becomes late, the summaries follow in the same transaction.
    update_consultation(session, reviewer, SLUG, {"closes_at": london_wall_time(2017, 9, 30, 17, 30)})
    session.commit()
    assert_agrees(session)
    counted = compute_aggregates(session, get_consultation(session, SLUG))
    assert counted["overall"]["total"] == 4  # three active online responses and the paper of 6 September
    assert counted["overall"]["channels"]["email"] == 0

    code_response(session, reviewer, receipts[2].reference, {"stance": "oppose", "themes": ["access", "safety"]})
    assert_agrees(session)
    code_response(session, reviewer, receipts[2].reference, {"stance": "support", "themes": ["savings"]})
    assert_agrees(session)
    ids = list(session.scalars(select(Response.id).order_by(Response.id)))
    references = dict(session.execute(select(Response.id, Response.reference)).all())
    for response_id in (ids[0], ids[3], ids[4]):
        code_response(session, reviewer, references[response_id], {"stance": "neutral", "themes": ["safety"]})
    refresh_campaigns(
        session,
        consultation,
        [{"key": "one", "size": 2, "sample_text": "Keep it open", "member_ids": ids[2:4]}],
    )
    session.commit()
    assert_agrees(session)
    refresh_campaigns(
        session,
        consultation,
        [{"key": "two", "size": 3, "sample_text": "Save it", "member_ids": [ids[0], ids[3], ids[4]]}],
    )
    session.commit()
    assert_agrees(session)
    once = compute_aggregates(session, get_consultation(session, SLUG), campaigns="once", include_late=True)
    assert once["overall"]["campaigns"]["distinct_campaigns"] == 1

    # Rows written directly, outside any service, are counted too: a direct status change and a deletion.
    session.execute(update(Response).where(Response.id == ids[5]).values(status="withdrawn"))
    session.execute(delete(Response).where(Response.id == ids[2]))
    session.commit()
    assert_agrees(session)


def test_check_summaries_finds_a_difference_and_repair_restores_the_recount(session, runner, freeze):
    make_consultation(SLUG)
    freeze(datetime(2017, 6, 1, 12, 0, tzinfo=UTC))
    for station in ("dagenham", "barking", "barking"):
        _submit(session, station, datetime(2017, 6, 1, 12, 0, tzinfo=UTC))
    result = runner.invoke(args=["check-summaries"])
    assert result.exit_code == 0
    assert result.output.strip() == "The summaries agree with a full recount of 3 responses and 0 theme assignments."

    session.execute(update(ResponseCount).values(responses=ResponseCount.responses + 5))
    session.commit()
    result = runner.invoke(args=["check-summaries"])
    assert result.exit_code == 1
    assert "differ from a full recount of 3 responses" in result.output
    assert "run with --repair" in result.output

    result = runner.invoke(args=["check-summaries", "--repair"])
    assert result.exit_code == 0
    assert "they now hold the recount" in result.output
    assert_agrees(session)
    assert compute_aggregates(session, get_consultation(session, SLUG))["overall"]["total"] == 3


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL: SQLite takes one writer at a time, so concurrent writers prove nothing there "
    "(CI runs this with TEST_DATABASE_URL set)",
)
def test_concurrent_writers_leave_the_summaries_equal_to_a_recount(app, session, reviewer):
    make_consultation(SLUG, opens_at=datetime(2020, 1, 1, tzinfo=UTC), closes_at=datetime(2999, 1, 1, tzinfo=UTC))
    _codebook(session, get_consultation(session, SLUG).id)
    reviewer_id = reviewer.id
    db.session.remove()
    start = threading.Barrier(8)
    stations = ("dagenham", "barking", "woodford")

    def writer(number: int) -> None:
        with app.app_context():
            start.wait()
            for round_number in range(12):
                at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
                receipt = _submit(db.session, stations[(number + round_number) % 3], at)
                if round_number % 3 == 1:
                    withdraw_response(db.session, reference=receipt.reference, edit_token=receipt.edit_token, at=at)
                elif round_number % 3 == 2:
                    user = db.session.get(User, reviewer_id)
                    code_response(db.session, user, receipt.reference, {"stance": "oppose", "themes": ["access"]})
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(writer, number) for number in range(8)]:
            future.result()
    assert_agrees(db.session)
    slots = db.session.scalar(text("SELECT count(DISTINCT slot) FROM response_counts"))
    assert slots >= 1
    assert compute_aggregates(db.session, get_consultation(db.session, SLUG))["overall"]["total"] == 8 * 8
