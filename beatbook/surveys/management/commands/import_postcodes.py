"""`beatbook import-postcodes FILE [--all] [--commit] [--json]`: the ONS Postcode Directory CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.core.imports import ImportCommand, ImportReport
from beatbook.surveys.importers.postcodes import import_postcodes


class Command(ImportCommand):
    help = (
        "Import postcodes and their LSOAs from an ONS Postcode Directory CSV (plain or .gz). By default only "
        "postcodes in imported LSOAs are kept. Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="FILE", help="The ONSPD data CSV (e.g. ONSPD_MAY_2025_UK.csv).")
        parser.add_argument("--all", action="store_true", dest="keep_all", help="Keep postcodes of every LSOA.")

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_postcodes(
            Path(options["path"]), commit=commit, keep_all=options["keep_all"], show_progress=show_progress
        )
