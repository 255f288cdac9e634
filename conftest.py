"""Fixtures shared by every app's tests."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

# The browser fixtures (one Chromium per test session) are shared by every app.
pytest_plugins = ["beatbook.core.tests.browser"]


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


# --- A small force and one person per role ------------------------------------------------
#
# Testshire Police
# ├── North (NPA)
# │   ├── Abbeyfield (neighbourhood A): LSOAs E01900001, E01900002
# │   └── Castlegate (neighbourhood C): LSOA E01900003
# └── South (NPA)
#     └── Brookside (neighbourhood B): LSOAs E01900004, E01900005
#
# Each area has a small square geometry (WGS84) so map and GeoJSON views have something to draw.

PERSONA_PASSWORD = "Kettle-Harbour-Violet-42"  # noqa: S105 - test accounts only


@dataclass
class AreaTree:
    force: Any
    npa_north: Any
    npa_south: Any
    nbhd_a: Any
    nbhd_c: Any
    nbhd_b: Any
    lsoas: dict[str, Any]

    @property
    def lsoa_a(self) -> Any:
        return self.lsoas["E01900001"]

    @property
    def lsoa_b(self) -> Any:
        return self.lsoas["E01900004"]


def _square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _area(level: str, code: str, name: str, *, parent: Any, force: Any, lon: float, lat: float, size: float) -> Any:
    from beatbook.areas.models import Area

    return Area.objects.create(
        level=level,
        code=code,
        name=name,
        parent=parent,
        force=force,
        geometry=_square(lon, lat, size),
        min_lon=lon,
        min_lat=lat,
        max_lon=lon + size,
        max_lat=lat + size,
        area_sq_km=round((size * 111) * (size * 70), 3),
        source="conftest",
    )


@pytest.fixture
def area_tree(db: Any) -> AreaTree:
    from beatbook.areas.models import Level

    force = _area(Level.FORCE, "TESTSHIRE", "Testshire Police", parent=None, force=None, lon=-1.2, lat=52.6, size=0.2)
    north = _area(Level.NPA, "NPA-N", "North", parent=force, force=force, lon=-1.2, lat=52.7, size=0.1)
    south = _area(Level.NPA, "NPA-S", "South", parent=force, force=force, lon=-1.2, lat=52.6, size=0.1)
    nbhd_a = _area(Level.NEIGHBOURHOOD, "NB-A", "Abbeyfield", parent=north, force=force, lon=-1.2, lat=52.7, size=0.05)
    nbhd_c = _area(Level.NEIGHBOURHOOD, "NB-C", "Castlegate", parent=north, force=force, lon=-1.15, lat=52.7, size=0.05)
    nbhd_b = _area(Level.NEIGHBOURHOOD, "NB-B", "Brookside", parent=south, force=force, lon=-1.2, lat=52.6, size=0.05)
    lsoas = {
        code: _area(Level.LSOA, code, name, parent=parent, force=force, lon=lon, lat=lat, size=0.02)
        for code, name, parent, lon, lat in [
            ("E01900001", "Abbeyfield 001A", nbhd_a, -1.2, 52.7),
            ("E01900002", "Abbeyfield 001B", nbhd_a, -1.18, 52.7),
            ("E01900003", "Castlegate 002A", nbhd_c, -1.15, 52.7),
            ("E01900004", "Brookside 003A", nbhd_b, -1.2, 52.6),
            ("E01900005", "Brookside 003B", nbhd_b, -1.18, 52.6),
        ]
    }
    return AreaTree(
        force=force, npa_north=north, npa_south=south, nbhd_a=nbhd_a, nbhd_c=nbhd_c, nbhd_b=nbhd_b, lsoas=lsoas
    )


@dataclass
class Personas:
    officer_a: Any  # officer of neighbourhood A
    officer_b: Any  # officer of neighbourhood B, in the other policing area
    commander: Any  # commander of North, the NPA holding A
    analyst: Any  # the whole force
    admin: Any  # the whole force, with a confirmed TOTP device
    partner: Any  # partner in neighbourhood A
    admin_device: Any
    password: str = PERSONA_PASSWORD

    def all(self) -> dict[str, Any]:
        return {
            "officer_a": self.officer_a,
            "officer_b": self.officer_b,
            "commander": self.commander,
            "analyst": self.analyst,
            "admin": self.admin,
            "partner": self.partner,
        }


@functools.cache
def _persona_password_hash() -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(PERSONA_PASSWORD)


@pytest.fixture
def users(area_tree: AreaTree) -> Personas:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from beatbook.accounts.models import Role, User
    from beatbook.accounts.services import user_create

    def make(username: str, role: str, area: Any, **extra: str) -> Any:
        user = user_create(
            actor=None,
            username=username,
            password=None,
            role=role,
            area=area,
            first_name=username.split("_")[0].title(),
            last_name="Tester",
            email=f"{username}@example.org",
            **extra,
        )
        # Hashing a password takes about half a second by design; hash it once per run.
        User.objects.filter(pk=user.pk).update(password=_persona_password_hash())
        user.refresh_from_db()
        return user

    admin = make("admin", Role.ADMIN, area_tree.force)
    device = TOTPDevice.objects.create(user=admin, name="Test phone", confirmed=True)
    return Personas(
        officer_a=make("officer_a", Role.OFFICER, area_tree.nbhd_a),
        officer_b=make("officer_b", Role.OFFICER, area_tree.nbhd_b),
        commander=make("commander", Role.COMMANDER, area_tree.npa_north),
        analyst=make("analyst", Role.ANALYST, area_tree.force),
        admin=admin,
        partner=make("partner", Role.PARTNER, area_tree.nbhd_a, organisation="Abbeyfield Borough Council"),
        admin_device=device,
    )


def totp_now(device: Any) -> str:
    """The code the device's authenticator app would show now (computed, not mocked)."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


@pytest.fixture
def login_as() -> Any:
    """`login_as(client, user)`: sign in; users with a TOTP device also pass two-factor.

    The second factor is a real code checked by django-otp, then recorded in the session
    the way django_otp.login does it.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(client: Any, user: Any) -> Any:
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            current_step = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
            # A code is accepted only once, so a second sign-in within the same 30 seconds
            # relies on the verification already made (a failed try would start throttling).
            if device.last_t < current_step:
                assert device.verify_token(totp_now(device)), "the device refused its own current code"
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return login


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the default language: the test client leaves a request's language active."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True, scope="session")
def _crime_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Crime Parquet files written by tests go to a temporary folder, never to var/crime."""
    from django.test import override_settings

    with override_settings(CRIME_DATA_DIR=tmp_path_factory.mktemp("crime-data")):
        yield


def reinstall_seeded_rows() -> None:
    """Put back the rows data migrations install (crime categories, activity types, standards…).

    A transactional test ends by emptying every table, so the next one on the same worker would
    find no default activity types or standards. `serialized_rollback` cannot restore them here:
    Playwright's sync API runs the test on other database connections than the one it saved.
    The installs are idempotent, so running them before every transactional test is safe.
    """
    import importlib

    from django.apps import apps

    for module, function in (
        ("beatbook.crime.migrations.0002_categories_and_harm_weights", "seed"),
        ("beatbook.activity.migrations.0002_default_types_categories_standards", "install"),
        ("beatbook.surveys.migrations.0002_protection_invitations_themes", "install"),
        ("beatbook.messaging.migrations.0002_default_interests_consent", "install"),
    ):
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _seeded_rows_in_transactional_tests(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        reinstall_seeded_rows()
