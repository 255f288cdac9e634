"""Granian settings for Beatbook in production, and its launcher.

    python deploy/granian_server.py          # serves beatbook.wsgi:application

Granian is an HTTP server written in Rust that calls Django through WSGI: parsing requests,
keep-alive and writing responses happen outside Python, which leaves more of each core to
Django (see bench/RESULTS.md, "Your Views submissions over HTTP"). Every value can be changed
by an environment variable, with the same names as `deploy/gunicorn.conf.py` where there is
an equivalent, so one environment file serves either server. Run Beatbook itself with
DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and DB_CONN_MAX_AGE set; see README.

Each worker is a process with `WEB_THREADS` threads running Django; each thread holds its own
database connection: WEB_CONCURRENCY x WEB_THREADS must stay below the database's
max_connections.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _int(name: str, default: int, *, minimum: int = 0, fallback: str = "") -> int:
    raw = os.environ.get(name, "").strip() or (os.environ.get(fallback, "").strip() if fallback else "")
    try:
        value = int(raw) if raw else default
    except ValueError as exc:
        raise SystemExit(f"{name}={raw!r} is not a whole number.") from exc
    if value < minimum:
        raise SystemExit(f"{name}={value} must be at least {minimum}.")
    return value


def _bind() -> tuple[str, int]:
    raw = (os.environ.get("WEB_BIND") or os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000").strip()
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"WEB_BIND={raw!r} is not host:port.")
    return host.strip("[]"), int(port)


def options() -> dict[str, object]:
    """Granian's keyword arguments from the environment."""
    host, port = _bind()
    # One worker a core: a worker's threads already run Python while others wait on the
    # database, and more processes than cores only add switching (measured, bench/RESULTS.md).
    workers = _int("WEB_CONCURRENCY", os.cpu_count() or 1, minimum=1)
    # Threads running Django in each worker (Granian's "blocking threads"). Its default is
    # hundreds, which would open as many database connections. Two: one runs Python while the
    # other waits on the database; more only pass the GIL back and forth (bench/RESULTS.md:
    # 2 threads a worker gave 386-523 survey submissions/s where 4 gave 338-352).
    threads = _int("WEB_THREADS", 2, minimum=1, fallback="GUNICORN_THREADS")
    # Connections a worker holds at once (Granian counts an idle keep-alive connection too, so
    # this must stay well above the clients' connections; requests beyond WEB_THREADS wait in
    # Granian). Default Granian's own, WEB_BACKLOG / WEB_CONCURRENCY.
    backlog = _int("WEB_BACKLOG", 1024, minimum=128)
    backpressure = _int("WEB_BACKPRESSURE", max(1, backlog // workers), minimum=1)
    lifetime = _int("WEB_WORKER_LIFETIME", 0, minimum=0)
    if 0 < lifetime < 60:
        raise SystemExit(f"WEB_WORKER_LIFETIME={lifetime} must be 0 (never) or at least 60 seconds.")
    return {
        "address": host,
        "port": port,
        "interface": "wsgi",
        "workers": workers,
        "blocking_threads": threads,
        "backpressure": backpressure,
        "backlog": backlog,
        # Recycle a worker after this many seconds (0 = never), a guard against slow memory growth.
        "workers_lifetime": lifetime or None,
        "workers_kill_timeout": _int("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=1),
        "respawn_failed_workers": True,
        "log_level": os.environ.get("GUNICORN_LOG_LEVEL", "info").lower(),
        "log_access": bool(os.environ.get("GUNICORN_ACCESS_LOG")),
        # Static files are served by WhiteNoise inside Django, with hashed names and headers.
        "static_path_mount": None,
        "working_dir": PROJECT_DIR,
    }


# Environment variables that carry secrets. Granian copies the process environment into every
# request's WSGI environ (Django's request.META), where an error report or a careless template
# could show it; Beatbook reads its settings once at start-up, so each worker drops these from
# its environment after loading Django and before serving.
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|DATABASE_URL|CREDENTIAL|PRIVATE")


def application() -> Callable[..., Any]:
    """Granian's factory in each worker: Django's WSGI application, settings loaded, with the
    secret-bearing variables taken out of the environment every request would be given."""
    import gc

    from beatbook.wsgi import application as django_application

    for name in [name for name in os.environ if SECRET_NAMES.search(name)]:
        del os.environ[name]
    if os.environ.get("WEB_GC_FREEZE", "true").strip().lower() not in {"0", "false", "no", "off"}:
        # Django and the apps loaded at start stay for the worker's life: moved out of the
        # collector's reach, they are not scanned again by every full collection.
        gc.collect()
        gc.freeze()
    return django_application


def main() -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    values = options()
    values["interface"] = Interfaces.WSGI
    try:
        values["log_level"] = LogLevels(values["log_level"])
    except ValueError as exc:
        raise SystemExit(
            f"GUNICORN_LOG_LEVEL={values['log_level']!r}: expected debug, info, warning or error."
        ) from exc
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beatbook.settings")
    Granian("deploy.granian_server:application", factory=True, **values).serve()  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
