"""One analysis run per consultation at a time, across threads, processes and machines.

Two runs of one consultation would both regroup its campaigns and insert the same (consultation, key) rows, so
the run entry point (service/run.py) holds this lock for the whole run. On PostgreSQL it is an advisory lock
held on a connection of its own (the run commits per batch, and a transaction-level lock would end at the first
commit); the server drops it when that connection dies, so a killed worker never leaves it behind. Elsewhere
(SQLite) it is a row in `analysis_locks`, written through the run's own session, naming its holder (host, process,
thread). A row outlives a killed process, so:

- a row whose holder is a process on this host that no longer exists is taken over at once;
- any other row is refreshed by its holder (a heartbeat thread, every quarter of the stale limit) and is taken
  over once its last refresh is older than ANALYSIS_LOCK_STALE_SECONDS (the holder's host died, or it hangs).
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultation.analysis.models import AnalysisLock
from consultation.clock import now
from consultation.errors import ApiError

# First key of PostgreSQL's two-integer advisory lock: this lock's namespace, so other advisory locks don't clash.
ADVISORY_NAMESPACE = 0x0A7A
DEFAULT_STALE_SECONDS = 120.0
HOLDER_HOST_LENGTH = 40
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


log = logging.getLogger(__name__)


def _holder() -> str:
    return f"{socket.gethostname()[:HOLDER_HOST_LENGTH]}:{os.getpid()}:{threading.get_ident() % 10**9}"


def stale_seconds() -> float:
    """How long a lock row may go without its holder's refresh before it is taken over."""
    configured = current_app.config.get("ANALYSIS_LOCK_STALE_SECONDS") if has_app_context() else None
    return float(configured or DEFAULT_STALE_SECONDS)


def holder_is_gone(holder: str) -> bool:
    """True when the holder is a process on this host that no longer exists (it cannot release or refresh)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:HOLDER_HOST_LENGTH] or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def refresh_lock(engine: Engine, consultation_id: int, holder: str) -> bool:
    """The holder's heartbeat: stamp its lock row as still held; False once the row is no longer its own."""
    with engine.begin() as connection:
        refreshed = connection.execute(
            update(AnalysisLock)
            .where(AnalysisLock.consultation_id == consultation_id, AnalysisLock.holder == holder)
            .values(refreshed_at=now())
        )
    return refreshed.rowcount == 1


class _Heartbeat:
    """Refreshes a held lock row on its own connection, every quarter of the stale limit, until stopped."""

    def __init__(self, engine: Engine, consultation_id: int, holder: str, interval: float):
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(engine, consultation_id, holder, interval), name="analysis-lock", daemon=True
        )

    def _beat(self, engine: Engine, consultation_id: int, holder: str, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                if not refresh_lock(engine, consultation_id, holder):
                    return
            except Exception:  # a missed beat is survivable: the lock only goes stale after four
                log.warning("Could not refresh the analysis lock of consultation %s", consultation_id, exc_info=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


def _beats(session: Session) -> bool:
    # An in-memory database lives and dies with this process (no other process can see its lock row), and its one
    # connection must not be shared with a second thread.
    return session.get_bind().url.database not in (None, "", ":memory:")


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
    stale_after = stale_seconds()

    def try_once() -> bool:
        existing = session.scalar(
            select(AnalysisLock)
            .where(AnalysisLock.consultation_id == consultation_id)
            .execution_options(populate_existing=True)
        )
        if existing is not None:
            if not _may_take_over(existing, stale_after):
                session.rollback()
                return False
            log.warning("Taking over the analysis lock of consultation %s from %s", consultation_id, existing.holder)
            session.delete(existing)
            session.flush()
        moment = now()
        session.add(
            AnalysisLock(consultation_id=consultation_id, holder=holder, acquired_at=moment, refreshed_at=moment)
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
        return True

    session.commit()  # the run commits per batch anyway; a refused lock must not roll back the caller's work
    _poll(try_once, wait, consultation_id)
    try:
        if _beats(session):
            with _Heartbeat(session.get_bind(), consultation_id, holder, stale_after / 4):
                yield
        else:
            yield
    finally:
        session.rollback()  # a failed run leaves its transaction open; the lock row must still go
        session.execute(
            delete(AnalysisLock).where(AnalysisLock.consultation_id == consultation_id, AnalysisLock.holder == holder)
        )
        session.commit()


def _may_take_over(lock: AnalysisLock, stale_after: float) -> bool:
    last_sign_of_life = lock.refreshed_at or lock.acquired_at
    return holder_is_gone(lock.holder) or last_sign_of_life < now() - timedelta(seconds=stale_after)
