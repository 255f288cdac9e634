"""The demo force: a realistic synthetic county force built from a seed.

`build_demo()` generates the geography and population, writes them as the public files a
force would download (ONS boundaries, IoD2019 CSVs, Nomis census tables, a neighbourhood
list), imports them with Beatbook's own importers, and creates one account per role.
"""

from .build import (
    ACCOUNTS,
    ADMIN_USERNAME,
    DEFAULT_SEED,
    DemoFailed,
    DemoLogin,
    DemoResult,
    build_demo,
    demo_force,
    demo_password,
    demo_totp_code,
    login_url,
    rebuild_demo,
    reset_demo,
    site_url,
)
from .geography import FORCE_CODE, FORCE_NAME

__all__ = [
    "ACCOUNTS",
    "ADMIN_USERNAME",
    "DEFAULT_SEED",
    "FORCE_CODE",
    "FORCE_NAME",
    "DemoFailed",
    "DemoLogin",
    "DemoResult",
    "build_demo",
    "demo_force",
    "demo_password",
    "demo_totp_code",
    "login_url",
    "rebuild_demo",
    "reset_demo",
    "site_url",
]
