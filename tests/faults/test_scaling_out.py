"""Scaling out on one machine: two gunicorn app servers and two Celery workers against one PostgreSQL and one
Redis, submissions spread over both servers. Every 201 is stored once, and every response is coded once."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from consultation.analysis.models import CodingEvent, ResponseAnalysis
from consultation.intake.models import Response
from tests.faults.support import POSTGRES_ONLY, submit, wait_for

pytestmark = POSTGRES_ONLY
SUBMISSIONS = 120


def test_two_app_servers_and_two_workers_store_every_201_once_and_code_it_once(
    processes, broker, open_consultation, session
):
    ports = [processes.gunicorn(workers=2), processes.gunicorn(workers=2)]
    processes.worker("one")
    processes.worker("two")

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda number: submit(ports[number % 2], number), range(SUBMISSIONS)))

    assert [status for status, _ in results] == [201] * SUBMISSIONS, [r for r in results if r[0] != 201][:3]
    references = [body["reference"] for _, body in results]
    stored = session.scalars(select(Response.reference)).all()
    assert sorted(stored) == sorted(references) and len(set(stored)) == SUBMISSIONS

    def all_coded() -> bool:
        session.expire_all()
        return session.scalar(select(func.count(ResponseAnalysis.response_id))) == SUBMISSIONS

    wait_for(all_coded, 120, "the two workers to code every response")
    machine_codings = session.scalar(
        select(func.count(func.distinct(CodingEvent.response_id))).where(CodingEvent.source == "machine")
    )
    assert machine_codings == SUBMISSIONS
    assert session.scalar(select(func.count(CodingEvent.id)).where(CodingEvent.source == "machine")) == SUBMISSIONS
