"""PostgreSQL connections cut mid-load (pg_terminate_backend): every 201 reference is stored, the clients whose
requests were cut saw errors rather than false successes, and the servers recover on their own."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, text

from consultation.extensions import db
from consultation.intake.models import Response
from tests.faults.support import POSTGRES_ONLY, submit

pytestmark = POSTGRES_ONLY
SUBMISSIONS = 300


def _cut_connections(engine, stop: threading.Event, cuts: list[int]) -> None:
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        while not stop.is_set():
            terminated = connection.scalars(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).all()
            cuts.append(sum(1 for done in terminated if done))
            time.sleep(0.05)


def test_connections_cut_mid_load_lose_no_accepted_response(processes, broker, open_consultation, session):
    port = processes.gunicorn(workers=2)
    stop = threading.Event()
    cuts: list[int] = []
    with ThreadPoolExecutor(8) as pool:
        pending = [pool.submit(submit, port, number) for number in range(SUBMISSIONS)]
        while not any(future.done() for future in pending):
            time.sleep(0.01)
        cutter = threading.Thread(target=_cut_connections, args=(db.engine, stop, cuts))
        cutter.start()
        results = [future.result() for future in pending]
        stop.set()
        cutter.join()
    session.remove()
    db.engine.dispose()  # the cuts reached this process's pooled connections too

    accepted = [body["reference"] for status, body in results if status == 201]
    refused = [(status, body) for status, body in results if status != 201]
    assert sum(cuts) > 0 and refused, "no request was ever cut: the test proved nothing"
    assert all(status >= 500 or status == 0 for status, _ in refused), refused[:3]  # errors, never a 4xx lie
    session.expire_all()
    stored = set(session.scalars(select(Response.reference)))
    assert set(accepted) <= stored, "a client was told 201 for a response that is not in the database"
    assert len(stored) <= SUBMISSIONS

    after = [submit(port, SUBMISSIONS + number) for number in range(10)]  # the pool recovers by itself
    assert [status for status, _ in after].count(201) >= 8, after
