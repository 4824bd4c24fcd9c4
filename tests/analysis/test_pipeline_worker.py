"""Background analysis: the embedded thread codes what intake announced; a Celery worker on Redis runs queued jobs."""

import os

import pytest

from consultation.analysis import tasks
from consultation.analysis.models import ResponseAnalysis
from consultation.intake.events import responses_changed
from tests.analysis.analysis_support import demo_consultation, make_response
from tests.worker_support import redis_worker as worker_on_redis

# TEST_REDIS_URL lets runs that share one Redis (several checkouts on one machine) keep to their own database.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
TEXT = "Please keep Dagenham open. My mum is 84 and could never manage two buses to Barking."


@pytest.fixture
def redis_worker(app, monkeypatch):
    with worker_on_redis(app, monkeypatch, REDIS_URL, results=True):
        yield


def test_the_embedded_worker_thread_codes_what_intake_announced(session, embedded_jobs):
    consultation = demo_consultation(session)
    response_id = make_response(session, consultation, TEXT).id
    session.remove()
    responses_changed([response_id])
    assert embedded_jobs.wait_until_idle(timeout=60)
    analysis = session.get(ResponseAnalysis, response_id)
    assert analysis is not None and analysis.stance == "oppose" and analysis.stance_source == "model"


def test_a_worker_with_a_redis_broker_runs_the_queued_analysis(redis_worker, session):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    queued = tasks.analyse_responses.apply_async(([response.id],), ignore_result=False)
    summaries = queued.get(timeout=60)
    assert summaries[0]["analysed"] == 1 and summaries[0]["consultation"] == "public-access-demo"
    whole = tasks.analyse_consultation.apply_async(("public-access-demo",), ignore_result=False).get(timeout=60)
    assert whole["analysed"] == 0 and whole["unchanged"] == 1
    session.expire_all()
    assert session.get(ResponseAnalysis, response.id).stance == "oppose"
