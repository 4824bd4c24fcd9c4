"""Fault and scaling tests: real gunicorn app servers and Celery workers as processes, PostgreSQL and Redis.

They run in CI's PostgreSQL pass and skip, saying why, on SQLite or without Redis. Each test starts its own
processes in its own session group and ends them by that group, so nothing is left running.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consultation.extensions import db
from tests.intake.conftest import make_consultation

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
PORT_BASE = int(os.environ.get("TEST_PORT_BASE", "5520"))
SLUG = "faults"
ANSWERS = {"connection": "live_nearby", "agreement": "disagree", "why": "Too far."}

POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"),
        reason="needs PostgreSQL: set TEST_DATABASE_URL=postgresql://... (CI runs these in its PostgreSQL pass)",
    ),
]


def redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except Exception as error:  # any failure to reach Redis means there is no broker to test against
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({error}); these tests need a real broker")
    return client


def free_port(start: int = PORT_BASE) -> int:
    for port in range(start, start + 80):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def process_env(**extra) -> dict:
    return {
        **os.environ,
        "APP_ENV": "production",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "SECRET_KEY": "fault-tests-" + "s" * 40,
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "BACKGROUND_JOBS": "celery",
        "ANALYSIS_WORKERS": "1",
        "RATELIMIT_ENABLED": "false",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


class Processes:
    """Processes started by one test, each in its own session group, all ended when the test ends."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def gunicorn(self, workers: int = 2, **env) -> int:
        port = free_port(PORT_BASE + 10 * len(self.started))
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:app"]
        self._start(command, process_env(**env))
        wait_until_serving(port)
        return port

    def worker(self, name: str, app: str = "consultation.worker", pool: str = "prefork", **env) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app,
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            f"--hostname={name}@%h",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        return self._start(command, process_env(**env))

    def _start(self, command: list[str], env: dict) -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_until_serving(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/consultations")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the app on port {port} did not start in {timeout} s")


def submit(port: int, number: int) -> tuple[int, dict | None]:
    """POST one response; (status, body), or (0, None) when the connection itself failed."""
    body = {"station": "dagenham", "answers": {**ANSWERS, "why": f"Reply {number}"}}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            f"/api/v1/consultations/{SLUG}/responses",
            body=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        reply = connection.getresponse()
        raw = reply.read()
        try:
            return reply.status, json.loads(raw)
        except ValueError:
            return reply.status, None
    except OSError:
        return 0, None
    finally:
        connection.close()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.stop_all()


@pytest.fixture
def broker():
    client = redis_or_skip()
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def open_consultation(app, boroughs):
    """Open around the real clock (the servers are other processes: a frozen clock cannot reach them)."""
    consultation = make_consultation(
        SLUG, opens_at=datetime(2020, 1, 1, tzinfo=UTC), closes_at=datetime(2999, 1, 1, tzinfo=UTC)
    )
    consultation_id = consultation.id
    db.session.remove()
    return consultation_id
