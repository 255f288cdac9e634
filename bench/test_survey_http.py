"""The HTTP bench's machinery, small: a real gunicorn against the test database, a few dozen
submissions from the bench's own client, and the bench's own verification (PostgreSQL only:
the server is another process, so it needs a database it can open)."""

from __future__ import annotations

import secrets
import socket
import threading
from typing import Any

import pytest
from django.db import connection

from bench import survey_http

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Any) -> Any:
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
    process = survey_http.start_server(env)
    try:
        survey_http.wait_until_serving(port, process, seconds=60)
        yield port, items, survey_id
    finally:
        process.terminate()
        process.wait(20)


def test_every_submission_through_gunicorn_is_stored_once(server: Any) -> None:
    port, items, survey_id = server
    connections = 4
    ready, start = threading.Barrier(connections + 1), threading.Event()
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
