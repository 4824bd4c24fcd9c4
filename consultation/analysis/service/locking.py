"""One analysis run per consultation at a time, across threads, processes and machines.

Two runs of one consultation would both regroup its campaigns and insert the same (consultation, key) rows, so
the run entry point (service/run.py) holds this lock for the whole run. On PostgreSQL it is an advisory lock
held on a connection of its own (the run commits per batch, and a transaction-level lock would end at the first
commit); the server drops it when that connection dies, so a killed worker never leaves it behind. Elsewhere
(SQLite) it is a row in `analysis_locks`, written through the run's own session; a row older than `STALE_AFTER`
is taken to belong to a process that died, and is taken over.
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.analysis.models import AnalysisLock
from consultation.clock import now
from consultation.errors import ApiError

# First key of PostgreSQL's two-integer advisory lock: this lock's namespace, so other advisory locks don't clash.
ADVISORY_NAMESPACE = 0x0A7A
STALE_AFTER = timedelta(hours=1)
DEFAULT_WAIT_SECONDS = 300.0
POLL_SECONDS = 0.1


class AnalysisBusy(ApiError):
    def __init__(self, consultation_id: int):
        super().__init__(
            409,
            "analysis_running",
            "Another analysis of this consultation is running; it will have coded these responses or will be "
            "followed by the next run.",
            errors={"consultation_id": [str(consultation_id)]},
        )


def _holder() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 10**9}"


@contextmanager
def analysis_lock(session: Session, consultation_id: int, *, wait: float = DEFAULT_WAIT_SECONDS) -> Iterator[None]:
    """Hold the consultation's analysis lock, waiting up to `wait` seconds for it; AnalysisBusy if it stays taken."""
    if session.get_bind().dialect.name == "postgresql":
        with _advisory_lock(session, consultation_id, wait):
            yield
    else:
        with _row_lock(session, consultation_id, wait):
            yield


def _poll(try_once, wait: float, consultation_id: int) -> None:
    deadline = time.monotonic() + wait
    while not try_once():
        if time.monotonic() >= deadline:
            raise AnalysisBusy(consultation_id)
        time.sleep(POLL_SECONDS)


@contextmanager
def _advisory_lock(session: Session, consultation_id: int, wait: float) -> Iterator[None]:
    connection = session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        keys = {"namespace": ADVISORY_NAMESPACE, "id": consultation_id}
        _poll(
            lambda: connection.scalar(text("SELECT pg_try_advisory_lock(:namespace, :id)"), keys),
            wait,
            consultation_id,
        )
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:namespace, :id)"), keys)
    finally:
        connection.close()


@contextmanager
def _row_lock(session: Session, consultation_id: int, wait: float) -> Iterator[None]:
    holder = _holder()

    def try_once() -> bool:
        stale = session.scalar(
            select(AnalysisLock).where(
                AnalysisLock.consultation_id == consultation_id, AnalysisLock.acquired_at < now() - STALE_AFTER
            )
        )
        if stale is not None:
            session.delete(stale)
        session.add(AnalysisLock(consultation_id=consultation_id, holder=holder, acquired_at=now()))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
        return True

    session.commit()  # the run commits per batch anyway; a refused lock must not roll back the caller's work
    _poll(try_once, wait, consultation_id)
    try:
        yield
    finally:
        session.rollback()  # a failed run leaves its transaction open; the lock row must still go
        session.execute(
            delete(AnalysisLock).where(AnalysisLock.consultation_id == consultation_id, AnalysisLock.holder == holder)
        )
        session.commit()
