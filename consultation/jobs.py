"""Where Celery tasks run: one mechanism, three places, chosen by BACKGROUND_JOBS.

Every piece of background work (analysis, renders, filing, sweeps) is a Celery task, sent with `.delay()`:

- `thread`, the embedded default (SQLite, no broker): Celery's own worker runs on a thread of this process, over
  Celery's in-memory broker, with Celery beat on a second thread for the periodic tasks. A task is never run
  inside the request that sent it; it waits for the worker thread, which runs one task at a time (like a
  production worker with one process). Both threads start with the first task sent (or the first request) in
  each process, so a forked server process starts its own, and CLI commands that send nothing start none.
- `celery`, production: a separate `celery worker` (and `celery beat`) over Redis; this process only sends.
- `eager`, tests: Celery's `task_always_eager`, so a task runs inline in the caller and a test sees its effect.

Why Celery's real worker on a thread rather than a hand-made queue: retries with a countdown, back-off,
acknowledgement and the beat schedule behave exactly as on a production worker, with no second implementation
of any of them to keep in step.
"""

import logging
import os
import threading
import time
from collections import Counter

from celery import Celery
from celery.beat import EmbeddedService
from celery.utils.nodenames import anon_nodename
from celery.worker import WorkController
from celery.worker import state as worker_state
from sqlalchemy.exc import DisconnectionError, InterfaceError
from sqlalchemy.exc import OperationalError as DatabaseUnavailable

log = logging.getLogger(__name__)

BACKGROUND_MODES = ("thread", "celery", "eager")
IN_PROCESS_BROKER = "memory://"
IN_PROCESS_RESULTS = "cache+memory://"
# How often the in-memory broker is polled for a new message: what a task waits at most before it starts.
POLLING_SECONDS = 0.05
START_TIMEOUT = 30.0

# What a cut or restarting database raises: worth another try shortly, with growing gaps between tries.
CONNECTION_ERRORS = (DatabaseUnavailable, DisconnectionError, InterfaceError, ConnectionError)
# Every task's delivery: acknowledged only once done and requeued if its worker process dies mid-job (a rerun
# skips what was already done), and retried with exponential back-off (2, 4, 8 ... up to 300 s) on a cut connection.
RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": CONNECTION_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 20,
}


class EmbeddedWorker:
    """Celery's worker and beat on daemon threads of this process (the `thread` mode), started once per process."""

    def __init__(self) -> None:
        self.enabled = False
        self._pid: int | None = None
        self._controller: WorkController | None = None
        self._thread: threading.Thread | None = None
        self._beat = None
        self._mutex = threading.Lock()
        self._outstanding: Counter[str] = Counter()
        self._settled = threading.Condition(self._mutex)

    def running(self) -> bool:
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def start(self, app: Celery) -> None:
        """Start the worker and beat threads in this process unless they run already; a no-op when not enabled."""
        if not self.enabled or self.running():
            return
        with self._mutex:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            if self._pid != os.getpid():  # forked: the parent's threads and counts did not come along
                self._outstanding.clear()
            self._pid = os.getpid()
            worker_state.should_terminate = None
            _declare_queues(app)
            self._controller = WorkController(
                app=app,
                concurrency=1,
                pool="solo",
                hostname=anon_nodename(),
                without_heartbeat=True,
                without_mingle=True,
                without_gossip=True,
            )
            self._thread = threading.Thread(target=self._controller.start, name="celery-worker", daemon=True)
            self._thread.start()
            self._beat = EmbeddedService(app, thread=True, scheduler_cls="celery.beat:Scheduler")
            self._beat.start()
        self._wait_until_consuming()

    def _wait_until_consuming(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.running():
            consumer = self._controller.consumer if self._controller is not None else None
            if consumer is not None and consumer.task_consumer is not None:
                return
            time.sleep(0.01)
        log.warning("The embedded Celery worker did not start within %g seconds", START_TIMEOUT)

    def stop(self) -> None:
        """Stop both threads (tests that switched to this mode, and a clean exit)."""
        with self._mutex:
            thread, beat = self._thread, self._beat
            self._thread = self._beat = self._controller = None
            self._pid = None
        if beat is not None:
            beat.stop()
        if thread is not None:
            worker_state.should_terminate = 0
            thread.join(START_TIMEOUT)
            worker_state.should_terminate = None

    def note_sent(self, task_id: str) -> None:
        with self._mutex:
            self._outstanding[task_id] += 1

    def note_finished(self, task_id: str) -> None:
        with self._mutex:
            if self._outstanding[task_id] <= 1:
                del self._outstanding[task_id]
            else:
                self._outstanding[task_id] -= 1
            self._settled.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        """True once every task sent in this process (retries included) has finished; False after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._settled:
            while self._outstanding:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._settled.wait(remaining)
        return True


embedded = EmbeddedWorker()


def _declare_queues(app: Celery) -> None:
    """Declare the task queues (with their exchange and binding) before anything is sent: the in-memory broker
    drops a message sent to an exchange that no queue is bound to yet."""
    with app.connection_for_write() as connection:
        for queue in app.amqp.queues.values():
            queue(connection.default_channel).declare()


def celery_settings(config: dict) -> dict:
    """Celery's settings for the app's BACKGROUND_JOBS mode."""
    mode = config["BACKGROUND_JOBS"]
    if mode not in BACKGROUND_MODES:
        raise RuntimeError(f"BACKGROUND_JOBS={mode!r}; choose one of {', '.join(BACKGROUND_MODES)}")
    if mode == "thread":
        return {
            "broker_url": IN_PROCESS_BROKER,
            "result_backend": IN_PROCESS_RESULTS,
            "task_always_eager": False,
            "broker_transport_options": {"polling_interval": POLLING_SECONDS},
        }
    return {
        "broker_url": config["CELERY_BROKER_URL"],
        "result_backend": config["CELERY_RESULT_BACKEND"],
        "task_always_eager": mode == "eager",
        "broker_transport_options": {},
    }
