"""A Celery worker process killed in the middle of an analysis job (real Redis): the job goes back to the queue
(late acknowledgement, rejected when its worker is lost), runs again, and nothing the killed attempt wrote is used."""

import os
import signal

from sqlalchemy import func, select

from consultation.analysis.models import CodingEvent, ResponseAnalysis
from consultation.intake.models import Response
from tests.faults.support import POSTGRES_ONLY, submit, wait_for

pytestmark = POSTGRES_ONLY
SUBMISSIONS = 30


def test_a_job_whose_worker_dies_half_way_is_retried_and_its_half_written_rows_are_never_used(
    processes, broker, open_consultation, session, tmp_path
):
    marker = tmp_path / "stalled-pid"
    port = processes.gunicorn(workers=1)
    for number in range(SUBMISSIONS):
        assert submit(port, number)[0] == 201
    processes.worker("slow", app="tests.faults.slow_worker", SLOW_WORKER_MARKER=str(marker))

    wait_for(marker.exists, 60, "the worker to stall half-way through its first batch")
    stalled = int(marker.read_text())
    session.expire_all()
    assert session.scalar(select(func.count(ResponseAnalysis.response_id))) == 0  # written, not committed
    os.kill(stalled, signal.SIGKILL)

    def all_coded() -> bool:
        session.expire_all()
        return session.scalar(select(func.count(ResponseAnalysis.response_id))) == SUBMISSIONS

    wait_for(all_coded, 90, "the retried job to code every response")
    assert session.scalar(select(func.count(Response.id))) == SUBMISSIONS
    # One machine coding per response: the killed attempt's rows died with its transaction.
    assert session.scalar(select(func.count(CodingEvent.id)).where(CodingEvent.source == "machine")) == SUBMISSIONS
