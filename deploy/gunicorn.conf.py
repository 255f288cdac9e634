"""Gunicorn settings for Beatbook in production.

    gunicorn -c deploy/gunicorn.conf.py beatbook.wsgi

Every value can be changed by an environment variable, so one file serves a container, a VM
and the HTTP bench (`bench/survey_http.py`). Run Beatbook itself with DEBUG=false, SECRET_KEY,
ALLOWED_HOSTS and DB_CONN_MAX_AGE (persistent connections: opening a PostgreSQL connection
costs more than a survey submission) set; see README.

Threaded workers ("gthread") keep browser connections alive between requests, which sync
workers cannot, and a thread waiting on the database leaves the process's other threads
working. Each thread holds its own database connection: WEB_CONCURRENCY x GUNICORN_THREADS
must stay below the database's max_connections.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise SystemExit(f"{name}={raw!r} is not a whole number.") from exc


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two workers a core: one can run Python while the other waits on the database.
workers = _int("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# Seconds an idle keep-alive connection is held. Behind a load balancer, set this above the
# balancer's own idle timeout so the balancer never sends on a connection being closed.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Recycle a worker after this many requests (0 = never), a guard against slow memory growth.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# Load Django once in the master and fork: workers start faster and share memory. Django
# opens no database connection at import, so none is shared across the fork.
preload_app = True
# Where workers keep their heartbeat file: in a container whose /tmp is on a slow overlay
# disk, point this at a memory filesystem so a worker blocked on the disk is not killed.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client's address is read by Beatbook itself from X-Forwarded-For (TRUSTED_PROXY_COUNT),
# not by gunicorn.
proxy_allow_ips = "127.0.0.1"
