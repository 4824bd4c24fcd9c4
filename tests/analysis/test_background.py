"""Analysis off the request path: one run per consultation, lost notices swept up, a broker that is down."""

import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError as DatabaseUnavailable

from consultation.analysis import tasks
from consultation.analysis.background import pending_response_ids, sweep
from consultation.analysis.models import AnalysisLock, Campaign, ResponseAnalysis
from consultation.analysis.service import analyse
from consultation.analysis.service.locking import AnalysisBusy, analysis_lock, refresh_lock
from consultation.clock import now
from consultation.extensions import db, init_celery
from tests.analysis.analysis_support import demo_consultation, make_response

TEXT = "Please keep Dagenham open. My mum is 84 and could never manage two buses to Barking."
TEMPLATE = "I object to the closure of my local police station front counter because it keeps us all safe at night."
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def _analysed(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(ResponseAnalysis.response_id)))


def test_a_second_run_of_one_consultation_waits_for_the_first_and_is_refused_when_it_cannot(session):
    consultation = demo_consultation(session)
    make_response(session, consultation, TEXT)
    with analysis_lock(session, consultation.id):
        with pytest.raises(AnalysisBusy) as refused:
            analyse(session, consultation, lock_wait=0)
        assert refused.value.status == 409 and refused.value.code == "analysis_running"
    assert _analysed(session) == 0
    assert analyse(session, consultation, lock_wait=0).analysed == 1  # released when the first run ended


def test_the_lock_is_released_when_the_run_fails(session, monkeypatch):
    consultation = demo_consultation(session)
    make_response(session, consultation, TEXT)

    def broken(*args, **kwargs):
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr("consultation.analysis.service.run._analyse_holding_lock", broken)
    with pytest.raises(RuntimeError):
        analyse(session, consultation)
    monkeypatch.undo()
    assert analyse(session, consultation, lock_wait=0).analysed == 1


def _row_locks_only():
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL's advisory lock dies with its connection; the lock row is the SQLite lock")


def _gone_pid() -> int:
    """The pid of a process that has just ended (waited for, so it no longer exists)."""
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def _lock_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AnalysisLock))


def test_a_lock_row_left_by_a_process_that_no_longer_exists_is_taken_over_at_once(session):
    _row_locks_only()
    consultation = demo_consultation(session)
    make_response(session, consultation, TEXT)
    holder = f"{socket.gethostname()[:40]}:{_gone_pid()}:1"
    session.add(AnalysisLock(consultation_id=consultation.id, holder=holder, acquired_at=now(), refreshed_at=now()))
    session.commit()
    assert analyse(session, consultation, lock_wait=0).analysed == 1  # no waiting for it to go stale
    assert _lock_count(session) == 0


def test_a_lock_whose_holder_stopped_refreshing_it_is_taken_over_once_stale(app, session, freeze):
    _row_locks_only()
    moment = now().replace(microsecond=0)
    freeze(moment)
    consultation = demo_consultation(session)
    make_response(session, consultation, TEXT)
    stale = timedelta(seconds=app.config["ANALYSIS_LOCK_STALE_SECONDS"])
    holder = "another-host:4242:1"  # another machine's process: only its heartbeat says it is alive
    session.add(AnalysisLock(consultation_id=consultation.id, holder=holder, acquired_at=moment, refreshed_at=moment))
    session.commit()
    freeze(moment + stale / 2)
    assert refresh_lock(db.engine, consultation.id, holder)  # its heartbeat: still held
    freeze(moment + stale)
    with pytest.raises(AnalysisBusy):  # refreshed half a stale period ago: left alone
        analyse(session, consultation, lock_wait=0)
    freeze(moment + stale / 2 + stale + timedelta(seconds=1))
    assert analyse(session, consultation, lock_wait=0).analysed == 1  # the refresh stopped: taken over
    assert _lock_count(session) == 0
    assert not refresh_lock(db.engine, consultation.id, holder)  # the old holder learns the lock is gone


def test_flask_analyse_pending_prints_a_sentence_not_a_traceback_when_a_run_holds_the_lock(runner, session):
    consultation = demo_consultation(session)
    make_response(session, consultation, TEXT)
    with analysis_lock(session, consultation.id):
        result = runner.invoke(args=["analyse-pending", "--wait", "0"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: Another analysis of this consultation is running")
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_two_concurrent_runs_of_one_consultation_both_finish_and_regroup_campaigns_once(app, session):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so the campaign race cannot happen there")
    consultation = demo_consultation(session)
    for _ in range(4):
        make_response(session, consultation, TEMPLATE)
    consultation_id = consultation.id
    session.remove()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run():
        with app.app_context():
            try:
                from consultation.catalog.models import Consultation

                start.wait()
                analyse(db.session, db.session.get(Consultation, consultation_id), force=True)
            except BaseException as error:  # collected for the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert session.scalar(select(func.count(Campaign.id))) == 1


def test_the_sweep_codes_responses_whose_notice_was_lost_and_what_was_withdrawn(session):
    consultation = demo_consultation(session)
    coded = make_response(session, consultation, TEXT)
    analyse(session, consultation)
    lost = [make_response(session, consultation, TEXT).id for _ in range(3)]  # committed, never announced
    coded.status = "withdrawn"
    session.commit()
    assert pending_response_ids(session) == sorted([coded.id, *lost])
    summaries = sweep(session)
    assert summaries[0]["analysed"] == 3 and summaries[0]["withdrawn_removed"] == 1
    assert pending_response_ids(session) == []
    assert sweep(session) == []


def test_the_sweep_recodes_an_amendment_whose_notice_was_lost_and_then_leaves_it(session, freeze):
    moment = now().replace(microsecond=0)
    freeze(moment)
    consultation = demo_consultation(session)
    amended = make_response(session, consultation, "Close it, nobody uses the counter any more.")
    untouched = make_response(session, consultation, TEXT)
    analyse(session, consultation)
    assert pending_response_ids(session) == []

    freeze(moment + timedelta(minutes=5))
    [impact] = [answer for answer in amended.answers if answer.text]
    impact.value = impact.text = "Please keep it open. Call me on 07700 900123 if you need to."
    amended.version += 1
    amended.updated_at = now()  # what an amendment does; its notice to the analysis is lost
    untouched.updated_at = now()  # the row changed, the analysed input did not
    session.commit()
    assert pending_response_ids(session) == sorted([amended.id, untouched.id])
    [summary] = sweep(session)
    assert summary["analysed"] == 1 and summary["unchanged"] == 1
    session.expire_all()
    row = session.get(ResponseAnalysis, amended.id)
    assert row.flag_pii and "07700 900123" not in row.redacted_text  # coded from the amended text
    assert pending_response_ids(session) == [] and sweep(session) == []  # neither is picked up again


def test_the_next_flask_analyse_also_codes_responses_whose_notice_was_lost(runner, session):
    consultation = demo_consultation(session)
    make_response(session, consultation, TEXT)
    result = runner.invoke(args=["analyse", "--consultation", consultation.slug])
    assert result.exit_code == 0, result.output
    assert '"analysed": 1' in result.output and _analysed(session) == 1


def test_flask_analyse_pending_codes_lost_notices_in_every_consultation(runner, session):
    consultation = demo_consultation(session)
    make_response(session, consultation, TEXT)
    result = runner.invoke(args=["analyse-pending", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert '"analysed": 1' in result.output and _analysed(session) == 1
    assert runner.invoke(args=["analyse-pending"]).output.strip() == "[]"


@pytest.fixture
def broker_down(app, monkeypatch):
    """Celery mode, with the broker pointed at a closed port (nothing listens on port 1)."""
    monkeypatch.setitem(app.config, "BACKGROUND_JOBS", "celery")
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", CLOSED_PORT_BROKER)
    init_celery(app)
    yield
    monkeypatch.undo()
    init_celery(app)


def test_with_the_broker_down_intake_still_accepts_and_the_sweep_codes_later(broker_down, session, client):
    consultation = demo_consultation(session)
    body = {"station": "dagenham", "answers": {"connection": "live_nearby", "agreement": "disagree", "impact": TEXT}}
    started = time.perf_counter()
    replies = [client.post(f"/api/v1/consultations/{consultation.slug}/responses", json=body) for _ in range(5)]
    assert [reply.status_code for reply in replies] == [201] * 5
    assert time.perf_counter() - started < 10  # intake never waits on the broker (sending fails at once)
    assert _analysed(session) == 0  # the notice could not be sent: nothing was coded
    assert len(pending_response_ids(session)) == 5
    tasks.sweep_pending.run()  # what Celery beat runs once the worker can be reached again
    assert _analysed(session) == 5


def test_with_the_broker_down_a_reviewers_run_is_refused_clearly(broker_down, session, client, auth):
    consultation = demo_consultation(session)
    reply = client.post(f"/api/v1/consultations/{consultation.slug}/analysis/run", headers=auth("reviewer"))
    assert reply.status_code == 503 and reply.get_json()["code"] == "broker_unavailable"


def test_in_the_embedded_default_a_response_is_coded_off_the_request_by_the_worker_thread(
    app, session, client, embedded_jobs, monkeypatch
):
    consultation = demo_consultation(session)
    session.remove()
    started, release = threading.Event(), threading.Event()
    real_batch = tasks.analyse_batch

    def held(*args, **kwargs):  # the analysis waits until the test has its 201
        started.set()
        assert release.wait(60)
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(tasks, "analyse_batch", held)
    body = {"station": "dagenham", "answers": {"connection": "live_nearby", "agreement": "disagree", "impact": TEXT}}
    reply = client.post(f"/api/v1/consultations/{consultation.slug}/responses", json=body)
    assert reply.status_code == 201  # answered while the analysis had not even been allowed to run
    assert started.wait(30), "the worker thread never picked the task up"
    release.set()
    assert embedded_jobs.wait_until_idle(timeout=60)
    assert _analysed(session) == 1


def test_a_task_that_hits_a_cut_database_connection_is_retried(session, monkeypatch):
    consultation = demo_consultation(session)
    response = make_response(session, consultation, TEXT)
    real_batch, calls = tasks.analyse_batch, []

    def cut_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseUnavailable("SELECT 1", {}, ConnectionResetError("server closed the connection"))
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(tasks, "analyse_batch", cut_once)
    result = tasks.analyse_responses.apply(([response.id],), throw=False)
    assert result.successful() and len(calls) == 2  # eager retries run at once; a worker waits with back-off
    assert _analysed(session) == 1
    assert tasks.analyse_responses.retry_backoff and tasks.sweep_pending.autoretry_for


def test_within_the_notice_window_a_process_sends_one_notice_and_the_next_carries_the_ids_held_back(app, monkeypatch):
    sent: list[tuple] = []
    clock = iter([100.0, 100.1, 100.3, 100.6, 100.7])
    monkeypatch.setattr(tasks.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(tasks.analyse_responses, "apply_async", lambda args, **options: sent.append((args, options)))
    monkeypatch.setitem(app.config, "ANALYSIS_NOTICE_SECONDS", 0.5)
    tasks.init_background(app)
    with app.app_context():
        for response_id in (1, 2, 3, 4, 5):
            tasks.queue_analysis("intake", response_ids=[response_id])
    # 1 goes at once, its task waiting out the window; 2 and 3 are held; 4 comes after the window and takes them
    assert sent == [(([1],), {"retry": False, "countdown": 0.75}), (([2, 3, 4],), {"retry": False, "countdown": 0.75})]
    assert tasks._Notices.held == {5}


def test_with_no_notice_window_every_response_sends_its_own_notice_at_once(app, monkeypatch):
    sent: list[tuple] = []
    monkeypatch.setattr(tasks.analyse_responses, "apply_async", lambda args, **options: sent.append((args, options)))
    tasks.init_background(app)
    with app.app_context():
        for response_id in (1, 2):
            tasks.queue_analysis("intake", response_ids=[response_id])
    assert sent == [(([1],), {"retry": False, "countdown": None}), (([2],), {"retry": False, "countdown": None})]
