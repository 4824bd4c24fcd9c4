"""A real Celery worker on Redis for the tests that need one (a thread of the test process, solo pool)."""

from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker

from consultation.extensions import AppContextTask, celery


@contextmanager
def redis_worker(app, monkeypatch, url: str, *, results: bool = False):
    """Point Celery at the Redis database `url` (and keep task results there if `results`), start a worker, and
    undo both after; skipped with a clear reason when Redis cannot be reached."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:  # any failure to reach Redis means there is no broker to test against
        pytest.skip(f"Redis at {url} is unreachable ({error}); the worker test needs a real broker")
    monkeypatch.setattr(AppContextTask, "flask_app", app)
    settings = [("broker_url", url), ("task_always_eager", False), ("worker_hijack_root_logger", False)]
    if results:
        settings.append(("result_backend", url))
    for key, value in settings:
        monkeypatch.setitem(celery.conf, key, value)
    _forget_connections()
    celery.control.purge()
    try:
        with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        _forget_connections()


def _forget_connections() -> None:
    """Drop Celery's cached broker pool and result backend so the changed URLs take effect (and are undone)."""
    celery._pool = None
    celery.amqp._producer_pool = None
    if hasattr(celery._local, "backend"):
        del celery._local.backend
