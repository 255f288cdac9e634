"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings


def shared_data_dir() -> Path | None:
    """../shared/data, or None when it is absent. Under CI its absence is an error."""
    path = Path(settings.SHARED_DATA_DIR)
    if (path / "SOURCES.md").exists():
        return path
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"CI=true but the open data folder {path} is missing; tests need ../shared/data.")
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip(f"open data not found at {settings.SHARED_DATA_DIR} (set BEATBOOK_SHARED_DATA)")
    return path
