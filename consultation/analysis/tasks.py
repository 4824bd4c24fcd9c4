"""Background analysis: the Celery tasks, and how intake's notices reach them (analysis/background.py).

`BACKGROUND_JOBS` chooses where the coding happens, never inside a request:
- `thread` (the embedded default): a thread in the web process codes batches of new responses and sweeps;
- `celery` (production): the thread sends one message per batch to a Celery worker; Celery beat sweeps;
- `manual` (tests): notices wait until `dispatcher.run_pending()` is called.

The tasks acknowledge late and are rejected back to the queue when their worker dies, so a job killed mid-way is
run again; the pipeline commits per batch and skips what it already coded, so a rerun finishes the job.
"""

import atexit
import logging
import os

from celery.exceptions import OperationalError
from flask import Flask, current_app
from sqlalchemy.orm import Session

from consultation.accounts.models import User
from consultation.accounts.service import record_audit
from consultation.analysis.background import (
    analyse_consultation_slug,
    analyse_response_ids,
    dispatcher,
    sweep,
)
from consultation.analysis.service.locking import AnalysisBusy
from consultation.catalog.service import get_consultation
from consultation.errors import ApiError
from consultation.extensions import celery, db
from consultation.intake import events

log = logging.getLogger(__name__)

BACKGROUND_MODES = ("thread", "celery", "manual")
BUSY_RETRY_SECONDS = 30
SWEEP_TASK = "analysis.sweep_pending"
# Robust delivery: acknowledged only once done, and requeued if the worker process dies mid-job.
RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


def configured_workers() -> int:
    """Processes for coding large runs: ANALYSIS_WORKERS (config or environment), else the machine's cores."""
    value = current_app.config.get("ANALYSIS_WORKERS") or os.environ.get("ANALYSIS_WORKERS")
    return max(1, int(value)) if value else (os.cpu_count() or 1)


@celery.task(name="analysis.analyse_responses", bind=True, max_retries=None, **RELIABLE)
def analyse_responses(self, response_ids: list[int]) -> list[dict]:
    """Analyse the given responses (new, amended or withdrawn), grouped by consultation."""
    try:
        return analyse_response_ids(db.session, response_ids, workers=configured_workers())
    except AnalysisBusy as busy:
        raise self.retry(countdown=BUSY_RETRY_SECONDS, exc=busy) from None


@celery.task(name="analysis.analyse_consultation", bind=True, max_retries=None, **RELIABLE)
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


def _run_in_process(response_ids: list[int], runs: list[tuple[str, bool]]) -> None:
    workers = configured_workers()
    for slug, force in runs:
        analyse_consultation_slug(db.session, slug, force=force, workers=workers)
    if response_ids:
        analyse_response_ids(db.session, response_ids, workers=workers)


def _send_to_worker(response_ids: list[int], runs: list[tuple[str, bool]]) -> None:
    # retry=False: with the broker down this fails at once instead of holding the thread; the sweep catches up.
    try:
        if response_ids:
            analyse_responses.apply_async((response_ids,), retry=False)
    except (OperationalError, OSError) as error:
        log.warning("Could not queue analysis of %d responses (%s); the sweep will code them", len(response_ids), error)


def _sweep_in_process() -> None:
    try:
        sweep(db.session, workers=configured_workers())
    except AnalysisBusy:
        pass  # someone else is coding this consultation now; the next sweep looks again


def notify_analysis(response_ids: list[int]) -> None:
    """Intake listener: note what intake just committed for the background thread (never runs analysis here)."""
    dispatcher.submit(response_ids)


def init_background(app: Flask) -> None:
    """Configure the background dispatcher and Celery beat's sweep for this app; called by create_app()."""
    mode = app.config["BACKGROUND_JOBS"]
    if mode not in BACKGROUND_MODES:
        raise RuntimeError(f"BACKGROUND_JOBS={mode!r}; choose one of {', '.join(BACKGROUND_MODES)}")
    sweep_seconds = float(app.config["ANALYSIS_SWEEP_SECONDS"])
    dispatcher.configure(
        app,
        _send_to_worker if mode == "celery" else _run_in_process,
        sweeper=_sweep_in_process if mode == "thread" else None,
        threaded=mode != "manual",
        batch_window=float(app.config["ANALYSIS_BATCH_WINDOW"]),
        sweep_seconds=sweep_seconds,
    )
    celery.conf.beat_schedule = {"sweep-pending-analysis": {"task": SWEEP_TASK, "schedule": sweep_seconds}}


def register_background(app: Flask) -> None:
    """Called once by create_app(): configure, and start the thread with the first request (not at import, nor in
    CLI commands), so the embedded sweep runs from then on. Starting is a no-op once running, or without a thread."""
    init_background(app)
    app.before_request(dispatcher.start)
    if app.config["BACKGROUND_JOBS"] == "celery":
        # A worker process recycled by gunicorn sends what it gathered in its last batch window on the way out
        # (one cheap message); coding it here would hold the exit, so the thread mode leaves that to the sweep.
        atexit.register(dispatcher.hand_over_on_exit)


def register_listeners() -> None:
    """Called by create_app: note what intake commits for the background thread (registering twice is harmless)."""
    events.on_responses_changed(notify_analysis)


def request_analysis(session: Session, user: User, slug: str, *, force: bool = False) -> dict:
    """Queue a consultation's analysis for a reviewer; it runs in the background, never in this request."""
    consultation = get_consultation(session, slug)
    record_audit(session, user, "analyse", "consultation", consultation.slug, {"force": force})
    session.commit()
    if current_app.config["BACKGROUND_JOBS"] != "celery":
        dispatcher.submit_run(consultation.slug, force)
        return {"consultation": slug, "status": "queued", "task_id": None, "result": None}
    try:
        queued = analyse_consultation.apply_async((consultation.slug, force), retry=False)
    except (OperationalError, OSError) as error:
        raise ApiError(503, "broker_unavailable", "The analysis queue cannot be reached; try again shortly.") from error
    return {"consultation": slug, "status": "queued", "task_id": queued.id, "result": None}
