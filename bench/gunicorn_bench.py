"""gunicorn settings for the benchmarks only (the deployment's own config file is the operator's, not this)."""

import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:5510")
workers = int(os.environ.get("BENCH_WORKERS", "2"))
worker_class = "sync"
backlog = 2048
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "warning"
