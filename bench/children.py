"""Running one benchmark's database half in a child process of its own.

Each bench times SQLite and PostgreSQL in separate processes, so that Django is set up once per
database and neither run's caches, connections or memory colour the other's. The child gets a
fresh database (SQLite files removed; a PostgreSQL database dropped and created, and dropped
again afterwards even if the child fails) and prints its results as JSON on its last line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# Throwaway: bench databases are dropped when the run ends.
BENCH_SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105


def _drop_postgres(postgres_url: str, database: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(f"{postgres_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{database}"')


def run_database_child(
    *,
    kind: str,
    script: str,
    arguments: list[str],
    workdir: Path,
    postgres_url: str,
    database: str,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run `script --child ARGUMENTS` against a fresh `kind` database; its last stdout line, parsed."""
    if kind not in ("sqlite", "postgres"):
        raise SystemExit(f"unknown database {kind!r}: use sqlite or postgres")
    env = dict(os.environ)
    env.update(DEBUG="false", SECRET_KEY=BENCH_SECRET_KEY, DJANGO_SETTINGS_MODULE="beatbook.settings")
    env.update(extra_env or {})
    if kind == "sqlite":
        db = workdir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    else:
        _drop_postgres(postgres_url, database, create=True)
        env["DATABASE_URL"] = f"{postgres_url}/{database}"
    try:
        done = subprocess.run(
            [sys.executable, script, "--child", *arguments], env=env, capture_output=True, text=True, check=False
        )
    finally:
        if kind == "postgres":
            _drop_postgres(postgres_url, database, create=False)
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(f"{kind}: the child run failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
