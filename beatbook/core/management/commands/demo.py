"""`beatbook demo`: set up the database and a demo force, then print how to sign in."""

from __future__ import annotations

import argparse
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.db.models import ProtectedError

from beatbook.core.demo import (
    DEFAULT_SEED,
    DemoFailed,
    DemoResult,
    build_demo,
    demo_totp_code,
    login_url,
    rebuild_demo,
    site_url,
)
from beatbook.core.imports import ImportFailed


def _seed(value: str) -> int:
    try:
        seed = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if seed < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return seed


class Command(BaseCommand):
    help = (
        "Create (or show) the demo force, Demoshire Police: synthetic boundaries, census and "
        "deprivation imported through the real importers, and one account per role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=_seed,
            default=DEFAULT_SEED,
            help=f"Seed for the synthetic force (default {DEFAULT_SEED}); the same seed gives the same force.",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo force and its accounts, then rebuild."
        )
        parser.add_argument(
            "--totp", action="store_true", help="Only print the demo administrator's current two-factor code."
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even though DEBUG is off. The demo accounts have published passwords: never on a live site.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["totp"]:
            self._print_totp()
            return
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "The demo creates accounts whose passwords are printed for anyone to read, so it only runs "
                "with DEBUG=true (a local install). If this database really is a throwaway, add --allow-without-debug."
            )
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        try:
            build = rebuild_demo if options["reset"] else build_demo
            result = build(seed=options["seed"], stdout=self.stdout)
        except (DemoFailed, ImportFailed, ProtectedError) as exc:
            # An importer that no longer reads the generated files, or another app's rows
            # that protect the demo areas from deletion: say so without a traceback.
            raise CommandError(f"The demo could not be built: {exc}") from exc
        self._print_result(result, time.perf_counter() - started)

    def _print_totp(self) -> None:
        try:
            code, remaining = demo_totp_code()
        except (DemoFailed, DatabaseError) as exc:
            raise CommandError("There is no demo administrator yet: run `beatbook demo` first.") from exc
        self.stdout.write(f"{code}  (current for {remaining} more seconds; each code can be used once)")

    def _print_result(self, result: DemoResult, seconds: float) -> None:
        write = self.stdout.write
        stats = result.stats
        force = result.force
        write("")
        if result.created:
            write(self.style.SUCCESS(f"Built {force.name} ({force.code}) from seed {result.seed} in {seconds:.1f} s."))
        else:
            write(
                f"{force.name} ({force.code}) is already here (seed {result.seed}); nothing changed. "
                "Use --reset to rebuild it."
            )
        write(
            f"{stats.get('npa', 0)} policing areas, {stats.get('neighbourhood', 0)} neighbourhoods, "
            f"{stats.get('lsoa', 0)} LSOAs, {stats.get('ward', 0)} wards, {stats.get('msoa', 0)} MSOAs, "
            f"{stats.get('lad', 0)} local authority districts."
        )
        write("")
        write(self.style.MIGRATE_HEADING(f"Open {site_url()} and sign in at {login_url()} as:"))
        # One labelled line per account, so that each login can be copied (or parsed) on its own.
        user_width = max(len(login.username) for login in result.logins)
        password_width = max(len(login.password) for login in result.logins)
        for login in result.logins:
            where = f"{login.role_label}, {login.area_name} ({login.area_level.lower()})"
            if login.organisation:
                where += f", {login.organisation}"
            write(
                f"  username: {login.username.ljust(user_width)}  "
                f"password: {login.password.ljust(password_width)}  {where}"
            )
        if result.totp_secret:
            write("")
            write(self.style.MIGRATE_HEADING("demo.admin must also enter a code from an authenticator app (TOTP):"))
            write(f"  Secret (base32): {result.totp_secret}")
            write(f"  Set-up URL:      {result.totp_url}")
            write("  No app to hand? `beatbook demo --totp` prints the current 6-digit code.")
        write("")
