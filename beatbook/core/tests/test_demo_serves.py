"""The README's demo command, end to end: build the demo, serve it, sign in, open a profile.

This runs the real `beatbook demo` and `beatbook runserver` processes against a fresh SQLite
file, the way a person following the README would, and talks to them over loopback HTTP.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _demo_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "STATIC_MANIFEST"}}
    env.update({"DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"})
    return env


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tmp_path = tmp_path_factory.mktemp("demo")
    env = _demo_env(tmp_path)
    built = subprocess.run(
        [sys.executable, "-m", "beatbook.cli", "demo"],
        env=env,
        cwd=settings.PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "beatbook.cli", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=settings.PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        yield base, built.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_prints_a_login_for_every_role(demo_server: tuple[str, str]) -> None:
    _, printed = demo_server
    assert "http://127.0.0.1:8000" in printed
    for role in ("officer", "commander", "analyst", "admin", "partner"):
        assert re.search(role, printed, re.IGNORECASE), f"no {role} login printed"


def test_demo_serves_home_login_and_a_neighbourhood_profile(demo_server: tuple[str, str]) -> None:
    base, printed = demo_server
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    home = opener.open(base + "/").read().decode()
    assert "<main" in home

    login_page = opener.open(base + "/staff/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token, "login page has no CSRF token"
    username, password = _officer_login(printed)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(base + "/staff/login/", data=form, headers={"Referer": base + "/staff/login/"})
    landing = opener.open(request)
    assert "/staff/login/" not in landing.geturl(), "officer could not sign in with the printed password"

    profile_path = re.search(r'href="(/staff/areas/neighbourhood/[^"/]+/)"', landing.read().decode())
    assert profile_path, "staff home links to no neighbourhood profile"
    profile = opener.open(base + profile_path.group(1)).read().decode()
    assert 'class="bb-map' in profile, "profile has no map"
    assert "<table" in profile, "profile has no table"


def _officer_login(printed: str) -> tuple[str, str]:
    for line in printed.splitlines():
        if re.search(r"neighbourhood officer|\bofficer\b", line, re.IGNORECASE):
            parts = line.split()
            for index, word in enumerate(parts):
                if word.lower().startswith("username") and index + 1 < len(parts):
                    user = parts[index + 1].strip(",:")
                    pw = re.search(r"password[:=]?\s+(\S+)", line, re.IGNORECASE)
                    if pw:
                        return user, pw.group(1).strip(",")
    pytest.fail(f"cannot find the officer's username and password in the demo output:\n{printed}")
