"""gunicorn settings for production: `gunicorn app:app` reads this file from the project folder by itself.

Every value can be overridden from the environment (or on the command line), so one file serves every machine.
See README "Running in production".
"""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers, two per core plus one: a request spends most of its time waiting on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take a machine down; jitter keeps them apart.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200

# Request size limits. gunicorn answers a longer request line with its own 414 page and an oversized header
# with its own 431 page (plain HTML, not our JSON error shape): the request never reaches the app. The line
# limit is raised from gunicorn's 4094 to its maximum, 8190 bytes; our longest legitimate URL (filters plus a
# cursor) is under 1 KB, and bodies are limited by MAX_CONTENT_LENGTH inside the app.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Behind a reverse proxy: whose X-Forwarded-Proto to trust (the app's TRUSTED_PROXIES handles X-Forwarded-For).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The app writes one JSON access line per request, with the request id; gunicorn's own access log would
# only repeat it in another format.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": loglevel.upper()},
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
            # Silenced: the app's own access line (logger consultation.access) carries the request id.
            "gunicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }

# Prometheus multi-process mode: each worker writes its metrics to files in this folder and a scrape of any
# worker reads them all. It must be set before a worker imports prometheus_client, which this file is.
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="consultation-metrics-")


def on_starting(server):
    """A fresh start begins from empty counters (files of a previous run would be added in)."""
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
