"""A Celery app for the worker-killed test only: the real worker, whose first attempt at writing a batch of
analysis results stops half-way (before its commit) long enough to be killed. Never used outside tests."""

import os
import time
from pathlib import Path

from consultation.analysis.service import run
from consultation.worker import celery, flask_app  # noqa: F401  (the app Celery loads)

MARKER = Path(os.environ["SLOW_WORKER_MARKER"])
_original_write_batch = run.write_batch


def _write_batch_then_stall(session, *args, **kwargs):
    written = _original_write_batch(session, *args, **kwargs)
    if not MARKER.exists():
        session.flush()  # the rows are written in the transaction, not committed
        MARKER.write_text(str(os.getpid()))
        time.sleep(60)
    return written


run.write_batch = _write_batch_then_stall
