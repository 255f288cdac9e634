"""Settings come only from the environment, fail loudly, and are all documented."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT_DIR = Path(settings.PROJECT_DIR)
ENV_EXAMPLE = PROJECT_DIR / ".env.example"


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _run_beatbook(args: list[str], env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    # Drop the test defaults so only what the caller gives is in force.
    for name in _env_example():
        env.pop(name, None)
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "beatbook.settings"
    return subprocess.run(
        [sys.executable, "-m", "beatbook.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_DIR,
        timeout=120,
        check=False,
    )


def test_every_environment_variable_is_documented_in_env_example() -> None:
    source = (PROJECT_DIR / "beatbook" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', source))
    assert read, "settings.py reads no variables through the env helpers?"
    missing = sorted(read - set(_env_example()))
    assert not missing, f"settings read but not listed in .env.example: {missing}"


def test_production_values_pass_check_deploy(tmp_path: Path) -> None:
    values = _env_example()
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    values["DATABASE_URL"] = f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
    values["STATIC_ROOT"] = str(tmp_path / "static")
    result = _run_beatbook(["check", "--deploy", "--fail-level", "WARNING"], values)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": "false"}, "SECRET_KEY is not set"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "true", "AXES_FAILURE_LIMIT": "lots"}, "AXES_FAILURE_LIMIT='lots' is not a whole number"),
        ({"DEBUG": "true", "AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT=0 must be at least 1"),
        ({"DEBUG": "true", "DB_SERVER_SIDE_BINDING": "maybe"}, "DB_SERVER_SIDE_BINDING='maybe' is not a boolean"),
        ({"DEBUG": "true", "DB_PREPARE_THRESHOLD": "-1"}, "DB_PREPARE_THRESHOLD=-1 must be at least 0"),
        (
            {"DEBUG": "true", "DATABASE_URL": "postgres://u@localhost/db", "DB_PREPARE_THRESHOLD": "5"},
            "needs DB_SERVER_SIDE_BINDING=true",
        ),
        ({"DEBUG": "true", "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"DEBUG": "true", "SECRET_KEY_FILE": "/nonexistent/secret"}, "SECRET_KEY_FILE"),
        ({"DEBUG": "true", "MAP_TILE_URL": "tiles.example/{z}/{x}/{y}.png"}, "MAP_TILE_URL"),
        ({"DEBUG": "true", "TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT=-1 must be at least 0"),
        ({"DEBUG": "true", "MESSAGING_EMAIL_PROVIDER": "pigeon"}, "MESSAGING_EMAIL_PROVIDER='pigeon'"),
        ({"DEBUG": "true", "MESSAGING_SMS_PROVIDER": "notify"}, "NOTIFY_API_KEY is not set"),
        ({"DEBUG": "true", "MESSAGING_EMAIL_RATE": "-5"}, "MESSAGING_EMAIL_RATE=-5 must be at least 0"),
    ],
)
def test_bad_values_stop_start_up_with_the_variable_named(overrides: dict[str, str], message: str) -> None:
    result = _run_beatbook(["check"], overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_urlsafe(50) + "\n")
    result = _run_beatbook(["check"], {"DEBUG": "false", "SECRET_KEY_FILE": str(secret), "ALLOWED_HOSTS": "x"})
    assert result.returncode == 0, result.stderr


def test_beatbook_help_lists_the_management_commands() -> None:
    result = _run_beatbook(["help"], {"DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert "[areas]" in result.stdout
    assert "migrate" in result.stdout


def test_map_tile_host_is_allowed_by_the_content_security_policy() -> None:
    result = _run_beatbook(
        ["shell", "-c", "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY)"],
        {"DEBUG": "true", "MAP_TILE_URL": "https://{s}.tiles.example.police.uk/{z}/{x}/{y}.png"},
    )
    assert result.returncode == 0, result.stderr
    assert "img-src 'self' data: https://*.tiles.example.police.uk;" in result.stdout
