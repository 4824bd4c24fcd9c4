"""gunicorn.conf.py as an operator runs it: two worker processes, and /metrics adds up what both have counted.

Without Prometheus' multi-process mode each worker would answer a scrape with its own share only.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
REQUESTS = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.status, reply.read().decode()


@pytest.fixture
def gunicorn_server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.db'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [str(GUNICORN), "app:app"], cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # wait for both workers to boot: poll the port, as a load balancer would
        try:
            if _get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"gunicorn did not start:\n{server.stdout.read().decode()}")
        time.sleep(0.2)
    yield base
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def test_two_gunicorn_workers_report_their_requests_together(gunicorn_server):
    base = gunicorn_server
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: _get(f"{base}/healthz")[0], range(REQUESTS)))
    assert statuses == [200] * REQUESTS
    _, metrics = _get(f"{base}/metrics")
    counted = re.search(r'_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)', metrics)
    # The readiness poll above made at least one more request before these.
    assert counted is not None and float(counted.group(1)) >= REQUESTS + 1, metrics[:2000]
    assert 'consultation_http_request_duration_seconds_count{method="GET",route="/healthz"}' in metrics
