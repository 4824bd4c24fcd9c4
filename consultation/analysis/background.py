"""Analysis off the request path: new responses are gathered in batches by a thread in each web process.

Intake announces the ids it committed; `BatchingDispatcher.submit` only adds them to a set, so the request
pays a lock and a set update, nothing else. A thread per process wakes on the first id, waits
`ANALYSIS_BATCH_WINDOW` seconds for others to arrive, and hands the whole batch to its handler:

- embedded default (`BACKGROUND_JOBS=thread`): the handler codes the batch in this process, through the
  pipeline's entry point. A batch rather than one run per response, because a run has a fixed cost (loading the
  models, regrouping campaigns) that a batch pays once; a thread rather than a timer, so a quiet site codes a
  response within a second of its arrival and a busy one codes ever larger batches instead of falling behind.
  The same thread sweeps every `ANALYSIS_SWEEP_SECONDS` for responses whose analysis never ran.
- production (`BACKGROUND_JOBS=celery`): the handler sends one Celery message per batch to the worker, and
  Celery beat runs the sweep.

A process that dies between commit and hand-over, or a broker that is down, loses only the notice, never the
response: the sweep (`pending_response_ids`) finds every response with no analysis and codes it.
"""

import logging
import os
import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from consultation.analysis.models import ResponseAnalysis
from consultation.analysis.service import analyse, consultations_of
from consultation.catalog.models import Consultation
from consultation.intake.models import Response

log = logging.getLogger(__name__)

SWEEP_LIMIT = 50_000  # per sweep; the next sweep takes the rest


def pending_response_ids(session: Session, limit: int = SWEEP_LIMIT) -> list[int]:
    """Responses whose analysis never ran (active, no analysis) or is out of date: withdrawn but still analysed, or
    changed (amended) after their analysis. A run that finds a response's input unchanged stamps `analysed_at`,
    so a response whose row changed in some other way is picked up once, not by every sweep."""
    analysis = ResponseAnalysis.__table__
    statement = (
        select(Response.id)
        .outerjoin(analysis, analysis.c.response_id == Response.id)
        .where(
            or_(
                and_(Response.status == "active", analysis.c.response_id.is_(None)),
                and_(Response.status != "active", analysis.c.response_id.is_not(None)),
                and_(Response.status == "active", analysis.c.analysed_at < Response.updated_at),
            )
        )
        .order_by(Response.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def analyse_response_ids(session: Session, response_ids: list[int], *, workers: int = 1) -> list[dict]:
    """Run the pipeline for these responses, one run per consultation they belong to; the runs' summaries."""
    summaries = []
    try:
        for consultation_id, ids in sorted(consultations_of(session, response_ids).items()):
            consultation = session.get(Consultation, consultation_id)
            summaries.append(analyse(session, consultation, response_ids=ids, workers=workers).as_dict())
    except Exception:
        session.rollback()
        raise
    return summaries


def analyse_consultation_slug(session: Session, slug: str, *, force: bool = False, workers: int = 1) -> dict | None:
    """A whole consultation's incremental run (everything if `force`); None if the consultation is gone."""
    try:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        if consultation is None:
            return None
        return analyse(session, consultation, force=force, workers=workers).as_dict()
    except Exception:
        session.rollback()
        raise


def sweep(session: Session, *, workers: int = 1) -> list[dict]:
    """Code whatever a lost notice left behind."""
    ids = pending_response_ids(session)
    return analyse_response_ids(session, ids, workers=workers) if ids else []


BatchHandler = Callable[[list[int], list[tuple[str, bool]]], None]


class BatchingDispatcher:
    """Collects response ids (and whole-consultation runs) and hands them, in batches, to a handler off the request.

    With `threaded=False` nothing runs until `run_pending()` is called: the test configuration, where the test
    decides when the background work happens.
    """

    def __init__(self) -> None:
        self.app: Flask | None = None
        self.handler: BatchHandler | None = None
        self.sweeper: Callable[[], None] | None = None
        self.threaded = False
        self.batch_window = 0.2
        self.sweep_seconds = 60.0
        self._reset()

    def _reset(self) -> None:
        # A thread started before this reset belongs to the old configuration: wake it so it sees it must stop.
        self._generation = getattr(self, "_generation", 0) + 1
        if getattr(self, "_wake", None) is not None:
            self._wake.set()
        self._pid = os.getpid()
        self._mutex = threading.Lock()
        self._wake = threading.Event()
        self._ids: set[int] = set()
        self._runs: set[tuple[str, bool]] = set()
        self._thread: threading.Thread | None = None
        self._running = 0
        self._next_sweep = time.monotonic() + self.sweep_seconds
        self.last_error: BaseException | None = None

    def configure(
        self,
        app: Flask,
        handler: BatchHandler,
        *,
        sweeper: Callable[[], None] | None,
        threaded: bool,
        batch_window: float,
        sweep_seconds: float,
    ) -> None:
        self.app, self.handler, self.sweeper = app, handler, sweeper
        self.threaded, self.batch_window, self.sweep_seconds = threaded, batch_window, sweep_seconds
        self._reset()

    def submit(self, response_ids: list[int]) -> None:
        """Called by intake after its commit: cheap, never blocks on the analysis."""
        self._ensure_thread()
        with self._mutex:
            self._ids.update(response_ids)
        self._wake.set()

    def submit_run(self, slug: str, force: bool) -> None:
        """Ask for a whole consultation's run (a reviewer's `analysis/run`)."""
        self._ensure_thread()
        with self._mutex:
            self._runs.add((slug, force))
        self._wake.set()

    def pending(self) -> tuple[list[int], list[tuple[str, bool]]]:
        with self._mutex:
            return sorted(self._ids), sorted(self._runs)

    def run_pending(self) -> bool:
        """Hand everything gathered so far to the handler, in the caller's thread; False if there was nothing."""
        with self._mutex:
            ids, runs = sorted(self._ids), sorted(self._runs)
            self._ids.clear()
            self._runs.clear()
            if not ids and not runs:
                return False
            self._running += 1
        try:
            with self.app.app_context():
                self.handler(ids, runs)
        finally:
            with self._mutex:
                self._running -= 1
        return True

    def wait_until_idle(self, timeout: float) -> bool:
        """For tests and benchmarks: True once nothing is gathered or running, False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._mutex:
                if not self._ids and not self._runs and not self._running and not self._wake.is_set():
                    return True
            time.sleep(0.01)
        return False

    def hand_over_on_exit(self) -> None:
        """At process exit: pass on whatever is still gathered (a lost notice would wait for the sweep)."""
        if self._pid != os.getpid() or self.app is None:
            return
        try:
            self.run_pending()
        except Exception:  # exiting anyway; the sweep codes these responses
            log.exception("Could not hand over the last batch at exit; the sweep will code it")

    def start(self) -> None:
        """Start the thread now rather than on the first submission (so the periodic sweep runs from the start)."""
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._pid != os.getpid():  # forked (e.g. gunicorn): the parent's thread and lock did not come along
            self._reset()
        if not self.threaded or (self._thread is not None and self._thread.is_alive()):
            return
        with self._mutex:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, args=(self._generation, self._wake), name="analysis-batches", daemon=True
                )
                self._thread.start()

    def _loop(self, generation: int, wake: threading.Event) -> None:
        while True:
            woken = wake.wait(timeout=max(0.0, self._next_sweep - time.monotonic()))
            if generation != self._generation:
                return  # reconfigured (a test's app, or a fork): a newer thread takes over
            try:
                if woken:
                    time.sleep(self.batch_window)  # let the rest of a burst arrive: one run codes them all
                    with self._mutex:
                        wake.clear()
                        self._running += 1  # counted as busy from here, so wait_until_idle cannot slip between
                    try:
                        self.run_pending()
                    finally:
                        with self._mutex:
                            self._running -= 1
                if self.sweeper is not None and time.monotonic() >= self._next_sweep:
                    self._next_sweep = time.monotonic() + self.sweep_seconds
                    with self.app.app_context():
                        self.sweeper()
                elif self.sweeper is None:
                    self._next_sweep = time.monotonic() + self.sweep_seconds
            except Exception as error:  # the thread must outlive a failed batch; the sweep retries its responses
                self.last_error = error
                log.exception("Background analysis batch failed; the periodic sweep will pick its responses up")


dispatcher = BatchingDispatcher()
