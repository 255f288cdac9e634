"""The HTTP bench's machinery, small: a real server (Granian and gunicorn, as `deploy/` runs
them) against the test database, a few dozen submissions from the bench's own client, and the
bench's own verification (PostgreSQL only: the server is another process, so it needs a
database it can open). And the production server's launcher settings."""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.db import connection

from bench import survey_http

GRANIAN_LAUNCHER = Path(survey_http.PROJECT) / "deploy" / "granian_server.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(params=survey_http.SERVERS)
def server(request: Any, tmp_path: Any) -> Any:
    if connection.vendor != "postgresql":
        pytest.skip("the server process needs a PostgreSQL database it can open")
    items, survey_id = survey_http.build_survey(40, seed=1)
    settings = connection.settings_dict
    port = free_port()
    env = survey_http.server_env(
        database_url=f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}",
        port=port,
        workers=2,
        threads=2,
        secret=secrets.token_urlsafe(50),
        static_root=str(tmp_path),
    )
    # The form page links static files; serve them from the source folders, unhashed.
    env["STATIC_MANIFEST"] = "false"
    process = survey_http.start_server(env, request.param)
    try:
        survey_http.wait_until_serving(port, process, seconds=60)
        yield port, items, survey_id
    finally:
        process.terminate()
        process.wait(20)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_submission_through_the_server_is_stored_once(server: Any) -> None:
    port, items, survey_id = server
    connections = 4
    ready, start = threading.Barrier(2), threading.Event()
    outcome: list[Any] = []
    sender = threading.Thread(
        target=lambda: outcome.append(survey_http.client_process(port, items, connections, True, ready, start))
    )
    sender.start()
    ready.wait()
    start.set()
    sender.join()
    results, _cpu = outcome[0]
    assert sorted(number for number, _status, _seconds in results) == list(range(len(items)))
    assert survey_http.verify(items, results, survey_id) == []


def _launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("granian_server", GRANIAN_LAUNCHER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_granian_launcher_reads_the_web_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    launcher = _launcher()
    for name in ("WEB_BIND", "GUNICORN_BIND", "WEB_THREADS", "GUNICORN_THREADS", "WEB_BACKPRESSURE", "WEB_BACKLOG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "5")  # gunicorn's name serves both servers
    monkeypatch.setenv("GUNICORN_BIND", "10.0.0.5:9000")
    options = launcher.options()
    assert (options["address"], options["port"], options["workers"]) == ("10.0.0.5", 9000, 3)
    # Granian counts idle keep-alive connections against backpressure: its default, not a
    # multiple of the threads, or a few dozen idle browsers would stop a worker taking more.
    assert (options["blocking_threads"], options["backpressure"]) == (5, 1024 // 3)
    monkeypatch.setenv("WEB_THREADS", "lots")
    with pytest.raises(SystemExit, match="WEB_THREADS='lots' is not a whole number"):
        launcher.options()
    monkeypatch.setenv("WEB_THREADS", "2")
    monkeypatch.setenv("WEB_WORKER_LIFETIME", "10")
    with pytest.raises(SystemExit, match="WEB_WORKER_LIFETIME=10"):
        launcher.options()


def test_granian_workers_drop_secrets_from_the_environment_requests_see(monkeypatch: pytest.MonkeyPatch) -> None:
    """Granian hands its process environment to every request (request.META): each worker
    takes the secrets out once Django has read its settings."""
    launcher = _launcher()
    monkeypatch.setenv("SECRET_KEY", os.environ.get("SECRET_KEY", "x"))
    monkeypatch.setenv("DATABASE_URL", os.environ.get("DATABASE_URL", "sqlite://"))
    monkeypatch.setenv("NOTIFY_API_KEY", "key")
    monkeypatch.setenv("EMAIL_HOST_PASSWORD", "password")
    monkeypatch.setenv("WEB_GC_FREEZE", "false")
    application = launcher.application()
    assert callable(application)
    assert not {"SECRET_KEY", "DATABASE_URL", "NOTIFY_API_KEY", "EMAIL_HOST_PASSWORD"} & set(os.environ)
    assert os.environ["DJANGO_SETTINGS_MODULE"]
