"""Background analysis as Celery tasks: a notice's batch, a reviewer's whole run, the periodic sweep, and the coding
queue's ranking.

Where they run is the app's BACKGROUND_JOBS (consultation/jobs.py): Celery's worker on a thread of the web
process in the embedded default, a separate worker over Redis in production, inline in tests. Never inside the
request that sent them (except `eager`, the tests' mode).

The tasks acknowledge late and are rejected back to the queue when their worker dies, so a job killed mid-way is
run again; the pipeline commits per batch and skips what it already coded, so a rerun finishes the job. A cut
database connection (OperationalError and its kin) is retried with exponential back-off; a busy consultation
(another run holds its lock) is retried after BUSY_RETRY_SECONDS.
"""

import logging
import os
import time

from celery.exceptions import OperationalError as BrokerUnavailable
from flask import Flask, current_app
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.analysis.background import analyse_batch, analyse_consultation_slug, sweep
from consultation.analysis.schemas import NextToCodeSchema
from consultation.analysis.service import next_to_code
from consultation.analysis.service.locking import AnalysisBusy
from consultation.analysis.service.ranking import mark_failed, rank_and_store
from consultation.background_jobs import run_job
from consultation.catalog.service import get_consultation
from consultation.errors import ApiError
from consultation.extensions import celery, db
from consultation.jobs import CONNECTION_ERRORS, RELIABLE

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 30
BROKER_BACK_OFF_SECONDS = 30
TASK_LOCK_WAIT = 5.0  # seconds a task waits for a consultation's lock before it retries later
SWEEP_TASK = "analysis.sweep_pending"
RANKING_TASK = "analysis.rank_coding_queue"
NEXT_TO_CODE = "next_to_code"


def configured_workers() -> int:
    """Processes for coding large runs: ANALYSIS_WORKERS (config or environment), else the machine's cores."""
    value = current_app.config.get("ANALYSIS_WORKERS") or os.environ.get("ANALYSIS_WORKERS")
    return max(1, int(value)) if value else (os.cpu_count() or 1)


@celery.task(name="analysis.analyse_responses", bind=True, **RELIABLE)
def analyse_responses(self, response_ids: list[int]) -> list[dict]:
    """Analyse the given responses (new, amended or withdrawn) and the others still waiting beside them."""
    try:
        return analyse_batch(db.session, response_ids, workers=configured_workers(), lock_wait=TASK_LOCK_WAIT)
    except AnalysisBusy as busy:
        raise self.retry(countdown=BUSY_RETRY_SECONDS, exc=busy) from None


@celery.task(name="analysis.analyse_consultation", bind=True, **RELIABLE)
def analyse_consultation(self, slug: str, force: bool = False) -> dict | None:
    """Analyse a whole consultation: incremental (only what changed) unless `force`."""
    try:
        return analyse_consultation_slug(db.session, slug, force=force, workers=configured_workers())
    except AnalysisBusy as busy:
        raise self.retry(countdown=BUSY_RETRY_SECONDS, exc=busy) from None


@celery.task(name=SWEEP_TASK, **RELIABLE)
def sweep_pending() -> list[dict]:
    """Periodic (Celery beat): code the responses whose notice was lost (broker down, process died)."""
    try:
        return sweep(db.session, workers=configured_workers())
    except AnalysisBusy:
        return []  # a run is going on; the next sweep looks again


class _BrokerBackOff:
    """After a failed send, notices are not sent for BROKER_BACK_OFF_SECONDS: each attempt with the broker down
    costs a request the connection timeout, and the sweep codes whatever was not sent."""

    until = 0.0


@celery.task(name="analysis.next_to_code", **RELIABLE)
def next_to_code_job(job_id: str) -> str:
    """The next-to-code ranking for the user who asked (their boroughs); the result is stored on the job row."""

    def work(params: dict) -> dict:
        user = db.session.get(User, params["user_id"])
        ranked = next_to_code(db.session, user, params["slug"], params["n"])
        return NextToCodeSchema().dump(ranked)

    return run_job(db.session, job_id, work)


@celery.task(name=RANKING_TASK, **RELIABLE)
def rank_coding_queue(consultation_id: int) -> str:
    """Work out the coding queue's next-to-code ranking of a consultation and store it (service/ranking.py).

    A cut database connection is retried with back-off; any other failure is recorded on the ranking's row (the
    queue's quick order serves meanwhile, and asks again later), not raised into whatever sent the task."""
    try:
        return rank_and_store(db.session, consultation_id)
    except CONNECTION_ERRORS:
        db.session.rollback()
        raise
    except ApiError as refusal:
        mark_failed(db.session, consultation_id, refusal.message)
    except Exception as error:
        log.exception("The coding queue's ranking of consultation %s failed", consultation_id)
        mark_failed(db.session, consultation_id, f"{type(error).__name__}: {error}")
    return "failed"


def send_ranking(consultation_id: int, *, session: Session | None = None) -> None:
    """Receiver of the ranking service's ranking_wanted signal (connected by create_app): send the ranking task,
    never rank here. A broker that cannot be reached leaves the quick order serving until the queue asks again."""
    try:
        rank_coding_queue.apply_async((consultation_id,), retry=False)
    except (BrokerUnavailable, OSError) as error:
        log.warning("Could not queue the coding queue's ranking of consultation %s (%s)", consultation_id, error)


class _Notices:
    """This process's last notice. Within ANALYSIS_NOTICE_SECONDS of it, new responses send no notice of their own:
    that notice's task runs once the window has passed and codes every response then waiting in its consultation
    (analyse_batch), so a burst of responses costs one message to the broker, not one each. Ids held back ride on
    the next notice; the sweep codes any left over (a response to another consultation in the same window)."""

    sent_at = float("-inf")
    held: set[int] = set()


def _notice_window(config) -> float:
    """Seconds between one process's notices: only with a separate worker, where each notice is a round trip to
    the broker; the embedded worker's queue is in memory, and there a response is coded as soon as it can be."""
    return float(config["ANALYSIS_NOTICE_SECONDS"]) if config["BACKGROUND_JOBS"] == "celery" else 0.0


def queue_analysis(sender, *, response_ids: list[int]) -> None:
    """Receiver of intake's responses_committed signal: send the analysis task, never run the analysis here."""
    started = time.monotonic()
    if started < _BrokerBackOff.until:
        return
    window = _notice_window(current_app.config)
    if window > 0 and started - _Notices.sent_at < window:
        _Notices.held.update(response_ids)
        return
    ids, _Notices.held = sorted(_Notices.held.union(response_ids)), set()
    try:
        # The task waits out the window (and a little more), so the responses held back meanwhile are committed.
        analyse_responses.apply_async((ids,), retry=False, countdown=window * 1.5 if window > 0 else None)
        _Notices.sent_at = started
    except (BrokerUnavailable, OSError) as error:
        _BrokerBackOff.until = time.monotonic() + BROKER_BACK_OFF_SECONDS
        log.warning("Could not queue analysis of %d responses (%s); the sweep will code them", len(response_ids), error)


def init_background(app: Flask) -> None:
    """Celery beat's sweep for this app (the worker's beat, or the embedded beat thread); called by create_app()."""
    _BrokerBackOff.until = 0.0
    _Notices.sent_at, _Notices.held = float("-inf"), set()
    sweep_seconds = float(app.config["ANALYSIS_SWEEP_SECONDS"])
    celery.conf.beat_schedule = {"sweep-pending-analysis": {"task": SWEEP_TASK, "schedule": sweep_seconds}}


def request_analysis(session: Session, user: User, slug: str, *, force: bool = False) -> dict:
    """Queue a consultation's analysis for a reviewer; it runs in the background, never in this request."""
    consultation = get_consultation(session, slug)
    record_audit(session, user, "analyse", "consultation", consultation.slug, {"force": force})
    session.commit()
    try:
        queued = analyse_consultation.apply_async((consultation.slug, force), retry=False)
    except (BrokerUnavailable, OSError) as error:
        raise ApiError(503, "broker_unavailable", "The analysis queue cannot be reached; try again shortly.") from error
    return {"consultation": slug, "status": "queued", "task_id": queued.id, "result": None}
